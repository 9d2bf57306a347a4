"""Price and attribute change events, newest first, paginated by an opaque keyset cursor."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from pricing.api import render
from pricing.api import schemas as s
from pricing.api.catalog import ERRORS, Instant, utc
from pricing.api.http import Built, respond
from pricing.queries import api as q

router = Router(tags=["changes"])


@router.get("/changes", response={200: s.ChangesOut, **ERRORS}, summary="Change events, newest first")
def list_changes(
    request: HttpRequest,
    since: Instant | None = Query(None, description="only changes at or after this instant (ISO-8601)"),  # noqa: B008
    until: Instant | None = Query(None, description="only changes before this instant (ISO-8601)"),  # noqa: B008
    model: str | None = Query(None, max_length=200, description="only this model (slug author/name)"),
    provider: str | None = Query(None, max_length=64, description="only this provider (slug)"),
    kind: str | None = Query(None, max_length=32,
                             description="only this kind: price, new_offer, removed, attribute or returned"),
    cursor: str | None = Query(None, max_length=200, description="next_cursor from the previous page"),
    limit: int = Query(100, ge=1, le=q.MAX_LIMIT, description="most events per page"),
) -> HttpResponse:
    start, end = utc(since), utc(until)
    if cursor:
        q.decode_cursor(cursor)  # a bad cursor is the client's error, whatever is cached

    def build() -> Built:
        events, next_cursor = q.changes_page(since=start, until=end, model=model, provider=provider, kind=kind,
                                             cursor=cursor, limit=limit)
        newest = events[0].at if events else None
        return Built(s.ChangesOut(items=[render.change(e) for e in events], next_cursor=next_cursor, limit=limit),
                     newest)

    return respond(request, build)
