"""One error shape for every JSON answer, one error page for every HTML one.

JSON (the API under /api/, and JSON views such as a model's series.json) always answers
``{"error": {"code": "...", "message": "...", "details": [...]?}}``, whatever the status, 405 and
413 included. Pages answer with templates/pricing/error.html. The project's handler400/403/404/500
(ratecard/urls.py) and its hostile-input middleware answer through here, so a request that never
reaches a view still gets the shape its client expects.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults

CODES = {
    400: "bad_parameter",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "throttled",
    500: "server_error",
}
TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 405: "Method not allowed", 413: "Too large"}
MESSAGES = {
    400: "bad request",
    401: "authentication required",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    413: "the request body is too large",
    429: "too many requests; slow down",
    500: "internal error; it has been logged",
}


def json_error(status: int, code: str, message: str, details: list | None = None) -> JsonResponse:
    body: dict = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JsonResponse({"error": body}, status=status)


JSON_PATHS = ("/healthz",)


def wants_json(request: HttpRequest) -> bool:
    """The API (but not its HTML docs page), any *.json view, the health check, and any client that
    asks for JSON first in its Accept header."""
    path = request.path
    if path.startswith("/api/"):
        return not path.rstrip("/").endswith("/docs")
    if path.endswith(".json") or path in JSON_PATHS:
        return True
    return request.headers.get("Accept", "").lstrip().startswith("application/json")


def for_status(request: HttpRequest, status: int, message: str | None = None) -> HttpResponse:
    """The error answer for a status, in the shape this request's client reads."""
    text = message or MESSAGES.get(status, "error")
    if wants_json(request):
        return json_error(status, CODES.get(status, "http_error"), text)
    return page(request, status, text)


def page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    title = TITLES.get(status, "Error")
    return render(request, "pricing/error.html", {"title": title, "message": message}, status=status)


def is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


def reshape(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """A non-JSON error answer on a JSON path (ninja's bare 405, Django's 404 page) in our shape."""
    if response.status_code < 400 or not wants_json(request) or is_json(response) or response.streaming:
        return response
    shaped = json_error(response.status_code, CODES.get(response.status_code, "http_error"),
                        MESSAGES.get(response.status_code, "error"))
    for header in ("Allow", "Retry-After", "WWW-Authenticate"):
        if header in response:
            shaped[header] = response[header]
    return shaped


# The project's handlers (ratecard/urls.py). Django calls them for exceptions that escape views
# and middleware: a 3 MB form post (RequestDataTooBig is a SuspiciousOperation, so a 400) is a 413.

def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return for_status(request, 413)
    return for_status(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return for_status(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return for_status(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        return json_error(500, CODES[500], MESSAGES[500])
    # Django's own 500 page: it needs no template context that could fail again.
    return defaults.server_error(request)
