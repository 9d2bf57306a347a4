"""Inclusion tags, so pages show quality with one line each:
``{% quality_card model %}`` on a model's page, ``{% compare_quality %}`` on the compare page."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from pricing.quality import views
from pricing.quality.models import Benchmark

register = template.Library()


@register.inclusion_tag("pricing/_quality_card.html")
def quality_card(model):
    return views.model_card_context(model)


@register.inclusion_tag("pricing/_compare_quality.html", takes_context=True)
def compare_quality(context):
    """Reads the compare page's own context: ``models`` and ``rows`` (each with its reference price)."""
    models, rows = context.get("models"), context.get("rows")
    if not models or not rows:
        return {}
    request = context["request"]
    return views.compare_context(list(models), [r.ref for r in rows], request.GET, context.get("mix", "3:1"),
                                 context.get("as_of"))


@register.simple_tag
def benchmark_options(selected: str | None = None):
    """<option>s for every benchmark, the chosen one selected (escaped by format_html)."""
    return format_html_join("", "<option value=\"{}\"{}>{}</option>", (
        (b.slug, mark_safe(" selected") if b.slug == selected else "", b.label)  # noqa: S308 (a constant)
        for b in Benchmark.objects.all()))


@register.filter
def score(value: Decimal | None) -> str:
    """A score as printed in its table: 90.8, 2029, never 9.08E+1."""
    if value is None:
        return "—"
    text = format(Decimal(value).normalize(), "f")
    return text
