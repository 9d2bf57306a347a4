"""What every page shares: bad parameters shown at their field, the 404 page for an unknown name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pricing.money import mix_text
from pricing.queries import QueryError

T = TypeVar("T")


class FieldErrors(dict[str, str]):
    """Messages per query parameter. A page parses each parameter through ``take``: a bad value
    becomes a message shown at its field and the page renders with the default instead, with
    status 400, never a bare error page (``?mix=5`` still shows the prices, and says why not 5)."""

    def take(self, name: str, parse: Callable[..., T], *args: Any, default: T) -> T:
        try:
            return parse(*args)
        except QueryError as exc:
            self[name] = str(exc)
            return default

    @property
    def status(self) -> int:
        return 400 if self else 200


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "pricing/error.html", {"title": "Bad request", "message": message}, status=400)


def not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "pricing/error.html", {"title": "Not found", "message": message}, status=404)


def mix_label(mix: tuple[int, int]) -> str:
    return mix_text(mix)
