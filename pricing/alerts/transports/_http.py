"""Posting JSON through the SSRF guard and turning the answer into Sent or TransportError."""

from __future__ import annotations

import http.client
import json
import time

from .. import netguard
from ..deadline import send_deadline
from . import Sent, TransportError

TIMEOUT = 10.0  # each socket operation; send_deadline() bounds the whole send


def retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        from email.utils import parsedate_to_datetime

        from django.utils import timezone

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - timezone.now()).total_seconds()
    return max(0.0, seconds) if seconds == seconds else None  # NaN is not a wish


def post_json(url: str, payload: dict | bytes, headers: dict[str, str] | None = None) -> Sent:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    started = time.monotonic()
    try:
        response = netguard.post(url, body, headers or {}, timeout=TIMEOUT, deadline=send_deadline())
    except netguard.BlockedAddress as exc:
        raise TransportError(f"blocked address: {exc}", blocked=True, permanent=True) from None
    except netguard.DeadlineExceeded as exc:
        raise TransportError(f"deadline exceeded: {exc}",
                             duration_ms=int((time.monotonic() - started) * 1000)) from None
    except (OSError, http.client.HTTPException, ConnectionError) as exc:
        raise TransportError(f"network error: {exc.__class__.__name__}: {exc}") from None
    text = response.body[:1000].decode("utf-8", "replace")
    if 200 <= response.status < 300:
        return Sent(response.status, text, response.duration_ms)
    common = {"status_code": response.status, "response": text, "duration_ms": response.duration_ms}
    if 300 <= response.status < 400:
        raise TransportError(f"HTTP {response.status}: redirects are not followed", **common)
    if response.status == 410:
        raise TransportError("HTTP 410 Gone: the endpoint is disabled", permanent=True, disable=True, **common)
    raise TransportError(f"HTTP {response.status}", retry_after=retry_after(response.headers.get("retry-after")),
                         **common)
