import os

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path, re_path

from pricing.api.api import api, docs_asset
from pricing.api.http import error, fast_path


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    return error(404, "not_found", "no such endpoint; see /api/v1/docs")


def trivial(request: HttpRequest) -> JsonResponse:
    """The benchmark's baseline: a Django JSON view doing no work, on the same stack."""
    if not (settings.DEBUG or os.environ.get("RATECARD_BENCH") == "1"):
        raise Http404
    return JsonResponse({"ok": True})


api_patterns, _ninja_app, _ninja_namespace = api.urls
for pattern in api_patterns:
    # The alerts router answers per user: never from the shared cache.
    if not str(pattern.pattern).startswith("alerts"):
        pattern.callback = fast_path(pattern.callback)

urlpatterns = [
    path("docs/assets/<str:name>", docs_asset, name="api-docs-asset"),
    path("_bench/trivial", trivial),
    path("", (api_patterns, _ninja_app, _ninja_namespace)),
    re_path(r"^(?P<rest>.*)$", not_found),
]
