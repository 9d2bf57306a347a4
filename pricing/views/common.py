"""What every page shares: the 400/404 pages for a person's bad parameter or unknown name."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "pricing/error.html", {"title": "Bad request", "message": message}, status=400)


def not_found(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "pricing/error.html", {"title": "Not found", "message": message}, status=404)


def mix_label(mix: tuple[int, int]) -> str:
    return f"{mix[0]}:{mix[1]}"
