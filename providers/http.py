"""The one outbound HTTP helper for collectors.

Every request has connect and read timeouts and a total deadline (a 1 byte/s drip cannot hold a
worker), a response-size cap, a User-Agent naming Ratecard, a per-host concurrency limit, and a
few retries on 429 and 5xx that honour ``Retry-After`` but cap it (urllib3 alone would sleep for
as long as the server asks, hours if it says so).

Why a watchdog: socket timeouts bound the gap between two packets, not the whole exchange, and
``read(n)`` on a buffered socket waits for all ``n`` bytes. A server dripping one byte a second
(in the headers or the body) never trips a read timeout. So every attempt arms a timer that, when
the deadline passes, shuts down the socket the attempt is using; the blocked read returns at once
and the attempt ends as a FetchError. The socket is found through a connection-pool subclass that
records which connection the current thread took, and forgets it when the connection goes back
to the pool, so a late timer can never cut another request's connection.
"""

from __future__ import annotations

import math
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import pool_classes_by_scheme as _default_pool_classes

from providers.base import FetchError

USER_AGENT = "Ratecard/0.1 (+https://github.com/ratecard/ratecard; open-model price tracker)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Re-check interval once a deadline has fired but the connection had no socket yet (still connecting).
_REFIRE_SECONDS = 0.05

T = TypeVar("T")
R = TypeVar("R")

_local = threading.local()


class _Watch:
    """Shuts down the socket of one attempt when its deadline passes."""

    def __init__(self, seconds: float):
        self._lock = threading.Lock()
        self._conn: Any = None
        # Kept apart from conn.sock: http.client drops conn.sock as soon as it sees "Connection:
        # close", while the response goes on reading from the same socket.
        self._sock: socket.socket | None = None
        self._done = False
        self.fired = False
        self._timer = self._arm(seconds)

    def _arm(self, seconds: float) -> threading.Timer:
        timer = threading.Timer(max(seconds, 0.0), self._fire)
        timer.daemon = True
        timer.start()
        return timer

    def attach(self, conn: Any) -> None:
        with self._lock:
            if self._done:
                return
            self._conn = conn
            conn._ratecard_watch = self
            if getattr(conn, "sock", None) is not None:  # a kept-alive connection
                self._sock = conn.sock
            if self.fired:
                _shutdown(self._sock)

    def connected(self, conn: Any) -> None:
        with self._lock:
            if self._conn is not conn or self._done:
                return
            self._sock = conn.sock
            if self.fired:
                _shutdown(self._sock)

    def detach(self, conn: Any) -> None:
        with self._lock:
            if self._conn is conn:
                self._conn = None
                self._sock = None
            if getattr(conn, "_ratecard_watch", None) is self:
                conn._ratecard_watch = None

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            _shutdown(self._sock)
            # The connection may still be connecting (no socket yet) or a redirect may take a new one.
            self._timer = self._arm(_REFIRE_SECONDS)

    def finish(self) -> None:
        with self._lock:
            self._done = True
            if self._conn is not None and getattr(self._conn, "_ratecard_watch", None) is self:
                self._conn._ratecard_watch = None
            self._conn = None
            self._sock = None
            timer = self._timer
        timer.cancel()


def _shutdown(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        # socket.socket.shutdown, not SSLSocket.shutdown: the latter drops the TLS object under a
        # reader blocked in another thread; the plain shutdown just makes that read see EOF.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, ValueError, TypeError):
        pass


def _is_timeout(exc: BaseException) -> bool:
    # requests wraps a read timeout in the middle of a body as a ConnectionError; look inside.
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, urllib3.exceptions.NewConnectionError):
            continue  # urllib3 files "connection refused" under ConnectTimeoutError for history's sake
        if isinstance(item, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError | socket.timeout):
            return True
        stack.extend([*item.args, item.__cause__, item.__context__])
    return False


class _WatchedPoolMixin:
    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        watch = getattr(_local, "watch", None)
        if watch is not None:
            watch.attach(conn)
        return conn

    def _put_conn(self, conn: Any) -> None:
        watch = getattr(conn, "_ratecard_watch", None) if conn is not None else None
        if watch is not None:
            watch.detach(conn)
        super()._put_conn(conn)  # type: ignore[misc]


class _WatchedConnectionMixin:
    sock: Any

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        watch = getattr(self, "_ratecard_watch", None)
        if watch is not None:
            watch.connected(self)


class _WatchedHTTPConnection(_WatchedConnectionMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnectionMixin, HTTPSConnection):
    pass


class _WatchedHTTPConnectionPool(_WatchedPoolMixin, HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(_WatchedPoolMixin, HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPConnectionPool, "https": _WatchedHTTPSConnectionPool}


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        # SOCKS managers bring their own pool classes; only HTTP(S) proxies use the defaults.
        if manager.pool_classes_by_scheme is _default_pool_classes:
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


@dataclass
class Response:
    url: str
    status: int
    body: bytes
    headers: dict[str, str]
    fetched_at: datetime
    elapsed: float


@dataclass
class HttpClient:
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    deadline: float = 60.0  # total seconds for one request, retries included
    max_bytes: int = 20 * 1024 * 1024
    retries: int = 3
    retry_after_cap: float = 30.0
    backoff: float = 0.5
    per_host: int = 4
    sleep: Callable[[float], None] = time.sleep
    _session: requests.Session = field(default_factory=requests.Session, repr=False)
    _limits: dict[str, threading.BoundedSemaphore] = field(default_factory=dict, repr=False)
    _limits_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.per_host < 1:
            raise ValueError("per_host must be at least 1")
        adapter = _WatchedAdapter(pool_connections=16, pool_maxsize=max(16, self.per_host * 2))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.headers["Accept"] = "application/json"
        # Each hop is a full exchange; a redirect loop should end long before the deadline does.
        self._session.max_redirects = 5

    def _limit(self, url: str) -> threading.BoundedSemaphore:
        host = urlsplit(url).netloc.lower()
        with self._limits_lock:
            if host not in self._limits:
                self._limits[host] = threading.BoundedSemaphore(self.per_host)
            return self._limits[host]

    def get(self, url: str, *, headers: dict[str, str] | None = None, params: dict[str, str] | None = None) -> Response:
        """GET with retries; returns a 2xx response or raises FetchError."""
        start = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            remaining = self.deadline - (time.monotonic() - start)
            if remaining <= 0:
                raise FetchError(f"deadline of {self.deadline:g}s passed fetching {url}", url=url)
            limit = self._limit(url)
            if not limit.acquire(timeout=remaining):
                raise FetchError(f"deadline of {self.deadline:g}s passed waiting for a slot for {url}", url=url)
            try:
                response = self._get_once(url, headers=headers, params=params, remaining=remaining)
            finally:
                limit.release()
            if 200 <= response.status < 300:
                return response
            if response.status not in RETRY_STATUSES or attempt > self.retries:
                raise FetchError(f"HTTP {response.status} from {url}", status=response.status, url=url)
            delay = self._retry_delay(response, attempt)
            if time.monotonic() - start + delay >= self.deadline:
                raise FetchError(
                    f"HTTP {response.status} from {url}; retry in {delay:.1f}s would pass the deadline",
                    status=response.status,
                    url=url,
                )
            self.sleep(delay)

    def _retry_delay(self, response: Response, attempt: int) -> float:
        value = response.headers.get("retry-after", "").strip()
        delay: float | None = None
        if value:
            try:
                delay = float(value)
            except ValueError:
                try:
                    when = parsedate_to_datetime(value)
                    if when.tzinfo is None:
                        when = when.replace(tzinfo=UTC)
                    delay = (when - datetime.now(UTC)).total_seconds()
                except (TypeError, ValueError, IndexError, OverflowError):
                    delay = None
        # "nan" parses as a float and would reach time.sleep; negative means "already due".
        if delay is None or math.isnan(delay) or delay < 0:
            delay = self.backoff * (2 ** (attempt - 1)) * (1 + random.random() / 2)
        return min(delay, self.retry_after_cap)

    def _get_once(self, url: str, *, headers, params, remaining: float) -> Response:
        started = time.monotonic()
        watch = _Watch(remaining)
        raw: requests.Response | None = None
        chunks: list[bytes] = []
        try:
            _local.watch = watch
            try:
                raw = self._session.get(
                    url,
                    headers=headers,
                    params=params,
                    timeout=(min(self.connect_timeout, remaining), min(self.read_timeout, remaining)),
                    stream=True,
                    allow_redirects=True,
                )
            finally:
                _local.watch = None
            declared = raw.headers.get("Content-Length", "").strip()
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(f"response of {declared} bytes is over the {self.max_bytes}-byte cap", url=url)
            size = 0
            for chunk in raw.iter_content(chunk_size=16384):
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"response is over the {self.max_bytes}-byte cap", url=url)
                chunks.append(chunk)
                if watch.fired:
                    break
            if watch.fired:
                # A close-delimited body cut by the watchdog looks complete; it is not.
                raise FetchError(self._deadline_message(url, size), url=url)
        except FetchError:
            raise
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            if watch.fired:
                raise FetchError(self._deadline_message(url, sum(map(len, chunks))), url=url) from None
            if _is_timeout(exc):
                raise FetchError(f"timeout fetching {url}: {exc.__class__.__name__}", url=url) from None
            raise FetchError(f"cannot fetch {url}: {exc.__class__.__name__}: {exc}", url=url) from None
        finally:
            # Finish the watch before the connection returns to the pool, so it cannot fire on reuse.
            watch.finish()
            if raw is not None:
                raw.close()
        return Response(
            url=raw.url,
            status=raw.status_code,
            body=b"".join(chunks),
            headers={k.lower(): v for k, v in raw.headers.items()},
            fetched_at=datetime.now(UTC),
            elapsed=time.monotonic() - started,
        )

    def _deadline_message(self, url: str, size: int) -> str:
        return f"timeout: deadline of {self.deadline:g}s passed fetching {url} ({size} bytes in)"

    def map(self, fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None) -> list[R]:
        """Run ``fn`` over items concurrently (per-host limits still apply inside ``get``)."""
        items = list(items)
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=workers or self.per_host) as pool:
            return list(pool.map(fn, items))

    def close(self) -> None:
        self._session.close()
