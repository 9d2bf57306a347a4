"""Collection runs per source, so clients can judge how fresh the prices are."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from pricing.api import render
from pricing.api import schemas as s
from pricing.api.catalog import ERRORS, Instant, _page_link, utc
from pricing.api.http import Built, respond
from pricing.queries import api as q

router = Router(tags=["runs"])


@router.get("/runs", response={200: s.RunsOut, **ERRORS}, summary="Collection runs and freshness per source")
def list_runs(
    request: HttpRequest,
    source: str | None = Query(None, max_length=64, description="only this source (slug)"),
    status: str | None = Query(None, max_length=16, description="only runs with this status"),
    since: Instant | None = Query(None, description="only runs whose slot is at or after this instant (ISO-8601)"),  # noqa: B008
    limit: int = Query(100, ge=1, le=q.MAX_LIMIT, description="most runs per page"),
    offset: int = Query(0, ge=0, le=q.MAX_OFFSET, description="runs to skip"),
) -> HttpResponse:
    start = utc(since)

    def build() -> Built:
        runs, total = q.runs_page(source=source, status=status, since=start, limit=limit, offset=offset)
        sources = q.source_summaries()
        newest = max((r.finished for r in runs if r.finished), default=None)
        return Built(s.RunsOut(count=total, limit=limit, offset=offset, next=_page_link(request, offset, limit, total),
                               sources=[render.source_status(x) for x in sources],
                               items=[render.run(r) for r in runs]), newest)

    return respond(request, build)
