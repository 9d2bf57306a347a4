"""Shared bits for the tests of the one-request listing collectors (HF router, Chutes, Together,
DeepInfra, Novita). HTTP is faked with ``responses``; nothing leaves the process."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from providers.base import Payload
from providers.http import HttpClient

FIXTURES = Path(__file__).parent / "fixtures"
BASE_URL = "http://127.0.0.1:8765"
FETCHED_AT = datetime(2026, 8, 30, 12, 0, tzinfo=UTC)

HTML_PAGE = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"


def fixture(source: str, name: str = "models.json") -> bytes:
    return (FIXTURES / source / name).read_bytes()


def fixture_json(source: str, name: str = "models.json") -> Any:
    return json.loads(fixture(source, name))


def payload(body: bytes | str | Any, *, url: str = BASE_URL) -> Payload:
    """A payload from raw bytes/str, or from a Python object serialised as JSON."""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = json.dumps(body).encode()
    return Payload(url=url, body=body, fetched_at=FETCHED_AT, kind="models")


def client() -> HttpClient:
    # No real sleeping between retries; the retry count is what the tests look at.
    return HttpClient(sleep=lambda seconds: None, retries=3, deadline=60.0)


def by_id(quotes: list[Any]) -> dict[str, Any]:
    result = {}
    for quote in quotes:
        assert quote.provider_model_id not in result, f"two quotes for {quote.provider_model_id}"
        result[quote.provider_model_id] = quote
    return result
