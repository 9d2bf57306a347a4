"""The API's HTTP plumbing: one error shape, cached bodies with ETag/Last-Modified, per-client throttling."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import time
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date, parse_http_date_safe
from ninja.throttling import BaseThrottle
from pydantic import BaseModel

from pricing.cache import generation
from pricing.errors import json_error
from pricing.queries import QueryError

# Cached bodies live under the generation key (a new price makes new keys), and for at most this
# long, because sweeps that change nothing move last_seen without bumping the generation.
CACHE_SECONDS = 60


# The one error shape, shared with JSON views outside the API (pricing/errors.py).
error = json_error


class Built:
    """What a handler hands to ``respond``: the body and when its data last changed."""

    def __init__(self, body: BaseModel | bytes, last_modified: datetime | None = None,
                 content_type: str = "application/json", filename: str = ""):
        self.body = body
        self.last_modified = last_modified
        self.content_type = content_type
        self.filename = filename


def _not_modified(request: HttpRequest, etag: str, last_modified: float | None) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and last_modified is not None and int(last_modified) <= since


def _has_nul(request: HttpRequest) -> bool:
    # PostgreSQL text cannot hold NUL: a filter carrying one would be a database error, not a miss.
    return "\x00" in request.path or any("\x00" in v for _, values in request.GET.lists() for v in values)


def _key(request: HttpRequest) -> str:
    return "ratecard:api:" + hashlib.sha256(request.get_full_path().encode()).hexdigest()


# Each web process keeps the bodies it served last in memory and re-reads the generation from
# the shared cache at most this often: a new price shows within a second, and a cached read costs
# no round trip at all (Django's Redis backend builds a client per call, which alone costs more
# than the rest of the request).
GENERATION_MEMO_SECONDS = 1.0
LOCAL_SECONDS = 10.0
LOCAL_ENTRIES = 1024
_generation_memo: tuple[int | None, float] = (None, 0.0)
_local: dict[str, tuple[float, tuple]] = {}
_clock = time.monotonic


def current_generation() -> int:
    global _generation_memo
    value, read_at = _generation_memo
    now = _clock()
    if value is None or now - read_at >= GENERATION_MEMO_SECONDS:
        value = generation()
        _generation_memo = (value, now)
    return value


def forget_local() -> None:
    """Drop this process's copies (tests do, since clearing the cache restarts the generation)."""
    global _generation_memo
    _local.clear()
    _generation_memo = (None, 0.0)


def _remember(key: str, entry: tuple) -> None:
    if len(_local) >= LOCAL_ENTRIES:
        _local.clear()  # crude but bounded; the shared cache still has them
    _local[key] = (_clock() + LOCAL_SECONDS, entry)


def cached_entry(request: HttpRequest) -> tuple | None:
    """The stored body for this path and query if it is of the current generation.

    The generation is kept inside the entry rather than in its key, so a stale entry is
    recognised from the entry alone.
    """
    key = _key(request)
    current = current_generation()
    local = _local.get(key)
    if local is not None and local[0] > _clock() and local[1][0] == current:
        return local[1]
    entry = cache.get(key)
    if entry is None or entry[0] != current:
        return None
    _remember(key, entry)
    return entry


def serve(request: HttpRequest, entry: tuple) -> HttpResponse:
    _, body, etag, lm, content_type, filename = entry
    if _not_modified(request, etag, lm):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
        if filename:
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["ETag"] = etag
    if lm is not None:
        response["Last-Modified"] = http_date(lm)
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


def respond(request: HttpRequest, build: Callable[[], Built]) -> HttpResponse:
    """Serve the body for this path and query from the cache, building it once per generation.

    The ETag is a digest of the body itself, so a poll gets 304 exactly when nothing it would
    receive has changed.
    """
    if _has_nul(request):
        raise QueryError("parameters must not contain NUL characters")
    entry = cached_entry(request)
    if entry is None:
        current = current_generation()  # read before building: a bump meanwhile makes this entry stale, not wrong
        built = build()
        body = built.body.model_dump_json().encode() if isinstance(built.body, BaseModel) else built.body
        etag = '"%s"' % hashlib.sha256(body).hexdigest()[:32]
        lm = built.last_modified.timestamp() if built.last_modified else None
        entry = (current, body, etag, lm, built.content_type, built.filename)
        cache.set(_key(request), entry, CACHE_SECONDS)
        _remember(_key(request), entry)
    return serve(request, entry)


def fast_path(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer a GET whose body is already cached before ninja parses anything.

    Only bodies that ``respond`` built are cached, and only after their parameters validated, so
    skipping validation for them is safe; throttling still applies.
    """

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method == "HEAD":
            # Polling clients ask HEAD for the ETag: answer as GET, headers only.
            request.method = "GET"
            response = wrapper(request, *args, **kwargs)
            request.method = "HEAD"
            length = len(response.content) if not response.streaming else None
            response.content = b""
            if length is not None:
                response["Content-Length"] = str(length)
            return response
        if request.method == "GET":
            entry = cached_entry(request)
            if entry is not None:
                throttle = ClientThrottle()
                if not throttle.allow_request(request):
                    return throttled(throttle.wait())
                return serve(request, entry)
        return view(request, *args, **kwargs)

    return wrapper


def throttled(wait: float | None) -> HttpResponse:
    response = error(429, "throttled", "too many requests; slow down")
    if wait is not None:
        response["Retry-After"] = str(max(1, int(wait + 0.999)))
    return response


def client_address(request: HttpRequest) -> str:
    """The client as the first trusted hop saw it.

    X-Forwarded-For is honoured only for ``TRUSTED_PROXY_COUNT`` hops from the right: each proxy
    appends the address it received from, so the entry that many places from the right was written
    by our outermost proxy, and anything left of it may be forged by the client.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops <= 0 or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",")]
    if len(addresses) < hops:
        return remote  # came around the proxies: its header proves nothing
    candidate = addresses[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def login_client_address(request: HttpRequest) -> str | None:
    """The address django-axes counts failed logins by (settings.AXES_CLIENT_IP_CALLABLE): the same
    trusted-proxy rule as the API throttle, or None when the request carries none (a test client's
    force_login, a management command)."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


class ClientThrottle(BaseThrottle):
    """``API_THROTTLE_PER_MINUTE`` requests per client per clock minute, counted in the shared cache."""

    def allow_request(self, request: HttpRequest) -> bool:
        limit = settings.API_THROTTLE_PER_MINUTE
        if limit <= 0:
            return True
        window = int(time.time() // 60)
        key = f"ratecard:throttle:{client_address(request)}:{window}"
        cache.add(key, 0, timeout=90)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=90)
            count = 1
        return count <= limit

    def wait(self) -> float:
        return 60 - time.time() % 60
