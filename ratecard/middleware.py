from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from pricing import errors

# Plotly is served from our own static files; nothing loads from elsewhere. Plotly (and the API
# docs' bundled Swagger UI) need inline styles; scripts stay self-hosted, with no inline script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    """Every response carries the policy, the API's docs page included (its Swagger UI is served
    from our own copy with no inline script, see pricing/api/api.py OfflineSwagger)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CSP
        return response


# C0 control characters and DEL. NUL is the one PostgreSQL text cannot hold (a filter carrying it
# is a database error, not a miss); the others have no business in a slug, a date or a search.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def hostile_input(request: HttpRequest) -> tuple[int, str] | None:
    """The status and reason this request's path or query cannot be answered with, or None.

    A page address holding a control character names nothing (404, as a feed's always did); a
    parameter holding one is a bad request (400). The API answers 400 for both, as it documents.
    """
    if CONTROL.search(request.path):
        status = 400 if errors.wants_json(request) else 404
        return status, "the address must not contain control characters such as NUL"
    for name, values in request.GET.lists():
        if CONTROL.search(name) or any(CONTROL.search(v) for v in values):
            return 400, f"parameter {name[:40]!r} must not contain control characters such as NUL"
    return None


class HostileInputMiddleware:
    """One guard for every page, feed and API path, placed first so it answers before anything
    reads the database: control characters in the path or query are a 404 or 400 (an error page,
    or the API's JSON shape under /api/ and for *.json). Under /api/ every error answer leaves in the JSON
    shape, whatever produced it (ninja's bare 405, a 404 from the resolver, a body over the limit)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = hostile_input(request)
        if problem:
            return errors.for_status(request, *problem)
        return errors.reshape(request, self.get_response(request))

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return errors.for_status(request, 413)
        return None
