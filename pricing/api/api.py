"""The versioned JSON API: one NinjaAPI, one error shape, throttled per client, served with its docs."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import ninja
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import escape
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError
from ninja.openapi.docs import DocsBase

from pricing.alerts.api import router as alerts_router
from pricing.api import catalog, changes, compare, providers, run_log
from pricing.api.http import ClientThrottle, error, throttled
from pricing.errors import CODES
from pricing.quality import api as quality
from pricing.queries import QueryError

log = logging.getLogger(__name__)

NINJA_STATIC = Path(ninja.__file__).resolve().parent / "static" / "ninja"
DOC_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
}


class OfflineSwagger(DocsBase):
    """Swagger UI from the copy bundled in django-ninja, served by us: no CDN, no inline script.

    Ninja only uses its bundled copy when "ninja" is an installed app; this works either way.
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: object) -> HttpResponse:
        config = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True}
        # Inside <script type="application/json"> only "<" can end the element early.
        config_json = json.dumps(config).replace("<", "\\u003c")

        def asset(name: str) -> str:
            return escape(reverse("api-docs-asset", kwargs={"name": name}))

        html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{escape(api.title)} {escape(api.version)}</title>
<link rel="stylesheet" href="{asset("swagger-ui.css")}">
<link rel="icon" type="image/png" href="{asset("favicon.png")}">
</head>
<body data-csrf-token="" data-api-csrf="">
<script type="application/json" id="swagger-settings">{config_json}</script>
<div id="swagger-ui"></div>
<script src="{asset("swagger-ui-bundle.js")}"></script>
<script src="{asset("swagger-ui-init.js")}"></script>
</body>
</html>
"""
        return HttpResponse(html)


def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in DOC_ASSETS:
        raise Http404(name)
    response = FileResponse((NINJA_STATIC / name).open("rb"), content_type=DOC_ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


DESCRIPTION = """\
Prices of open-weight language models at every host, with full history.

* Prices are **USD per million tokens**, as **decimal strings** (`"0.55"`), never floats.
* Times are ISO-8601 UTC. `as_of` shows any endpoint's prices as they stood at that instant.
* `mix` is an input:output token ratio (default `3:1`); `mix` fields are the blended price at it.
* Lists are paginated (`limit`, `offset`; changes use an opaque `cursor`) and capped.
* Errors: `{"error": {"code": "...", "message": "..."}}` for every status: 400 (bad parameter),
  401 (no valid token), 404 (unknown model or provider), 405 (method not allowed), 413 (body too
  large) or 429 (throttled; see `Retry-After`).
* Instants are ISO-8601 only (a bare number is not epoch seconds), between 1970 and 2999.
* Reads carry `ETag` and `Last-Modified`: send `If-None-Match` to get `304 Not Modified`.
"""

api = NinjaAPI(
    title="Ratecard API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    docs=OfflineSwagger(),
    throttle=[ClientThrottle()],
)

for module in (catalog, compare, providers, changes, run_log, quality):
    api.add_router("", module.router)
# Personal alert rules and channels (token auth), owned by the alerts app.
api.add_router("alerts", alerts_router)


def _details(errors: list) -> list[dict]:
    # Ninja's errors may carry exception objects in "ctx"; keep what a client can read.
    out = []
    for item in errors:
        loc = [str(part) for part in item.get("loc", ())]
        out.append({"loc": loc, "msg": str(item.get("msg", "")), "type": str(item.get("type", ""))})
    return out


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    details = _details(exc.errors)
    where = ", ".join(".".join(d["loc"][1:] or d["loc"]) for d in details) or "request"
    message = f"invalid parameter: {where}"
    if len(details) == 1 and details[0]["msg"]:
        message += f" ({details[0]['msg'].removeprefix('Value error, ')[:200]})"
    return error(400, "bad_parameter", message, details)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error(413, "too_large", f"the request body is larger than the {limit} bytes allowed")


@api.exception_handler(QueryError)
def on_query_error(request: HttpRequest, exc: QueryError) -> HttpResponse:
    return error(400, "bad_parameter", str(exc))


@api.exception_handler(LookupError)
def on_lookup_error(request: HttpRequest, exc: LookupError) -> HttpResponse:
    if type(exc) is not LookupError:  # a KeyError or IndexError is a bug, not an unknown model
        return on_exception(request, exc)
    return error(404, "not_found", str(exc))


@api.exception_handler(Http404)
def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(404, "not_found", "not found")


@api.exception_handler(Throttled)
def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    return throttled(exc.wait)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # e.g. ninja's 400 "Cannot parse request body": the same code as any other bad input.
    return error(exc.status_code, CODES.get(exc.status_code, "http_error"), str(exc.message))


# Ninja registers its own handlers for these subclasses ({"detail": ...}); ours keep one shape.
@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(401, "unauthenticated", "send a personal API token: Authorization: Bearer <token>")


@api.exception_handler(AuthorizationError)
def on_forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return error(403, "forbidden", "this token may not do that")


@api.exception_handler(Exception)
def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s", request.get_full_path()[:500])
    return error(500, "server_error", "internal error; it has been logged")
