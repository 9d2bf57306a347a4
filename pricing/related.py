"""Related models, derived from slugs and Hugging Face ids (no hand-kept list): other versions of
one line (DeepSeek R1 and R1 0528, V3 and V3 0324), other sizes of one generation (Llama 3.1 405B
and 70B), and the same size in another generation (Llama 3.1 70B and 3.3 70B)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Q

from pricing.models import Model
from pricing.queries.home import HEADLINE_PAIRS

# A dated or numbered release at the end: -0528, -20240620, -2407, -v3-0324 (a version tag
# right before a date names the same line: deepseek-chat-v3-0324 is deepseek-chat's V3 0324).
_RELEASE = re.compile(r"(?:-v\d+(?:\.\d+)?)?-(?:\d{4}|\d{6}|\d{8})$")
_SIZE = re.compile(r"-(?:a?\d+(?:\.\d+)?[bm])(?=-|$)")
_VERSION = re.compile(r"(?<=[a-z])-?\d+(?:\.\d+)*(?=-|$)")

# Which kinds of relation there are, in the order a page lists them.
KINDS = {"version": "another release", "size": "another size", "generation": "another generation"}


@dataclass(frozen=True)
class Related:
    model: Model
    kind: str  # a key of KINDS

    @property
    def why(self) -> str:
        return KINDS[self.kind]


def _names(model: Model) -> list[str]:
    names = [model.name_part.lower()]
    if model.hf_id:
        names.append(model.hf_id.partition("/")[2].lower())
    return [n for n in names if n]


def _line(name: str) -> str:
    return _RELEASE.sub("", name)


def _generation(name: str) -> str:
    return _SIZE.sub("", _line(name))


def _size_class(name: str) -> str:
    """The name without its generation number: llama-3.1-70b-instruct -> llama-70b-instruct."""
    return _VERSION.sub("", _line(name))


def relation(a: Model, b: Model) -> str | None:
    """How b relates to a, or None. Both must come from one author."""
    if a.pk == b.pk or a.author_part != b.author_part:
        return None
    pairs = [(x, y) for x in _names(a) for y in _names(b)]
    if any(_line(x) == _line(y) for x, y in pairs):
        return "version"
    if any(_generation(x) == _generation(y) and _SIZE.search(x) and _SIZE.search(y) for x, y in pairs):
        return "size"
    if any(_size_class(x) == _size_class(y) and _line(x) != _line(y) for x, y in pairs):
        return "generation"
    return None


def related_models(model: Model, limit: int = 8, candidates: list[Model] | None = None) -> list[Related]:
    """The model's relatives among those tracked (one query over the author's models, or none
    when ``candidates`` are given)."""
    if candidates is None:
        candidates = list(_candidates(model))
    found = []
    for other in candidates:
        kind = relation(model, other)
        if kind:
            found.append(Related(other, kind))
    order = list(KINDS)
    found.sort(key=lambda r: (order.index(r.kind), r.model.name))
    return found[:limit]


def _rivals(model: Model) -> list[tuple[str, bool]]:
    """Headline rivals of the model: (slug, whether the model comes first in the pair)."""
    return [(b if a == model.slug else a, a == model.slug) for a, _, b, _ in HEADLINE_PAIRS if model.slug in (a, b)]


def _candidates(model: Model, rivals: list[str] = ()):
    return Model.objects.filter(Q(slug__startswith=f"{model.author_part}/") | Q(slug__in=list(rivals))).exclude(
        pk=model.pk).only("id", "slug", "name", "hf_id", "author", "open_weights")


def compare_pair(model: Model, related: list[Related], rivals: dict[str, Model] | None = None) -> tuple[Model, Model] | None:
    """What to compare a model with first, in compare's order (the baseline last): its headline
    rival (o1 against R1, the 27x), else its closest relative against it."""
    for slug, first in _rivals(model):
        rival = (rivals or {}).get(slug) if rivals is not None else Model.objects.filter(slug=slug).first()
        if rival:
            return (model, rival) if first else (rival, model)
    return (related[0].model, model) if related else None


def leads(model: Model) -> dict:
    """Related models and a first compare partner in one query."""
    rivals = [slug for slug, _ in _rivals(model)]
    candidates = list(_candidates(model, rivals))
    related = related_models(model, candidates=[c for c in candidates if c.author_part == model.author_part])
    by_slug = {c.slug: c for c in candidates}
    return {"related": related, "compare_pair": compare_pair(model, related, by_slug)}
