"""Changes: the timeline of price and attribute changes, filtered and paginated."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pricing.change_text import describe
from pricing.models import ChangeEvent
from pricing.queries import QueryError
from pricing.queries.pages import events_query, parse_day
from pricing.views.common import bad_request

PER_PAGE = 50


def changes(request: HttpRequest) -> HttpResponse:
    filters = {name: request.GET.get(name, "").strip()[:200] for name in ("model", "provider", "kind", "since")}
    try:
        since = parse_day(filters["since"], "since")
        query = events_query(model=filters["model"], provider=filters["provider"], kind=filters["kind"], since=since)
        paginator = Paginator(query, PER_PAGE)
        page = paginator.page(request.GET.get("page") or 1)
    except QueryError as exc:
        return bad_request(request, str(exc))
    except (EmptyPage, PageNotAnInteger):
        return bad_request(request, "page must be a page number within the results")
    kept = {k: v for k, v in filters.items() if v}
    return render(request, "pricing/changes.html", {
        "page": page,
        "events": [(e, describe(e)) for e in page.object_list],
        "filters": filters,
        "kinds": ChangeEvent.Kind.choices,
        "query": urlencode(kept),
    })
