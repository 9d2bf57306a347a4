"""The files every site is asked for: /robots.txt and /favicon.ico (no 404 in any console)."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

# Crawlers may read the pages; not the per-user, the endless (every compare and filter
# combination) or the machine parts.
DISALLOW = ("api-v1:api-root", "alerts:index", "alerts:login", "alerts:signup", "admin:index")


@require_safe
@cache_control(max_age=86400, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *"]
    lines += [f"Disallow: {reverse(name)}" for name in DISALLOW]
    lines += [f"Disallow: {reverse('compare')}?", f"Disallow: {reverse('changes')}?", f"Disallow: {reverse('search')}"]
    lines.append("")
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
@cache_control(max_age=604800, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    """The SVG icon at the address browsers and feed readers try without asking the page."""
    path = finders.find("favicon.svg")
    if not path:
        raise Http404("no favicon")
    return FileResponse(open(path, "rb"), content_type="image/svg+xml")  # noqa: SIM115 (FileResponse closes it)
