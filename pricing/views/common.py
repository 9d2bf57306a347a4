"""What every page shares: bad parameters shown at their field, the 404 page for an unknown name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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


def take_group(errors: FieldErrors, parse: Callable[[Mapping[str, str | None]], T], params: Mapping[str, str | None],
               names: tuple[str, ...], default: T) -> T:
    """Parse a group of parameters (a filter, a workload) field by field: a bad one is reported at
    its field and left out; the others still apply."""
    good = {name: params.get(name) for name in names if params.get(name) not in (None, "")}
    for name in list(good):
        try:
            parse({name: good[name]})
        except QueryError as exc:
            errors[name] = str(exc)
            del good[name]
    return errors.take(names[0], parse, good, default=default)


def take_retrying(errors: FieldErrors, run: Callable[[dict], T], params: Mapping[str, str]) -> T:
    """Run a read that parses its own parameters (an index page's filters, sort and page): each
    QueryError names its parameter first ("min_hosts must be…", "page 9 is past…"); that one is
    reported and left out, and the read runs again with the rest."""
    params = dict(params)
    for _ in range(len(params) + 1):
        try:
            return run(params)
        except QueryError as exc:
            name = str(exc).split(" ", 1)[0]
            errors[name if name in params else "query"] = str(exc)
            if name not in params:
                params = {}
            else:
                del params[name]
    return run({})
