"""Changes: the timeline of price and attribute changes, filtered and paginated."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pricing.change_text import describe
from pricing.models import ChangeEvent
from pricing.queries import QueryError
from pricing.queries.pages import EVENT_KINDS, events_query, parse_day
from pricing.views.common import FieldErrors

PER_PAGE = 50


def _kind(text: str) -> str:
    if text and text not in EVENT_KINDS:
        raise QueryError(f"kind must be one of {', '.join(EVENT_KINDS)}, not {text[:20]!r}")
    return text


def _page_number(text: str | None, n_pages: int) -> int:
    if not text:
        return 1
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise QueryError(f"page must be a page number from 1 to {n_pages}, not {text[:20]!r}")
    if int(text) > n_pages:
        raise QueryError(f"there {'is' if n_pages == 1 else 'are'} {n_pages} page{'s' if n_pages != 1 else ''} "
                         f"of changes with these filters, not {int(text):,}; showing the last")
    return int(text)


def changes(request: HttpRequest) -> HttpResponse:
    filters = {name: request.GET.get(name, "").strip()[:200] for name in ("model", "provider", "kind", "since")}
    errors = FieldErrors()
    since = errors.take("since", parse_day, filters["since"], "since", default=None)
    kind = errors.take("kind", _kind, filters["kind"], default="")
    query = events_query(model=filters["model"], provider=filters["provider"], kind=kind, since=since)
    paginator = Paginator(query, PER_PAGE)
    number = errors.take("page", _page_number, request.GET.get("page"), paginator.num_pages,
                         default=paginator.num_pages if (request.GET.get("page") or "").isdigit() else 1)
    page = paginator.page(number)
    kept = {k: v for k, v in filters.items() if v and k not in errors}
    return render(request, "pricing/changes.html", {
        "page": page,
        "events": [(e, describe(e)) for e in page.object_list],
        "filters": filters,
        "kinds": ChangeEvent.Kind.choices,
        "query": urlencode(kept),
        "errors": errors,
    }, status=errors.status)
