"""The one outbound HTTP helper for collectors.

Every request has connect and read timeouts and a total deadline (a 1 byte/s drip cannot hold a
worker), a response-size cap, a User-Agent naming Ratecard, a per-host concurrency limit, and a
few retries on 429 and 5xx that honour ``Retry-After`` but cap it (urllib3 alone would sleep for
as long as the server asks, hours if it says so).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import urlsplit

import requests

from providers.base import FetchError

USER_AGENT = "Ratecard/0.1 (+https://github.com/ratecard/ratecard; open-model price tracker)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

T = TypeVar("T")
R = TypeVar("R")


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
        adapter = requests.adapters.HTTPAdapter(pool_connections=16, pool_maxsize=max(16, self.per_host * 2))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.headers["Accept"] = "application/json"

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
                raise FetchError(f"deadline of {self.deadline:g}s passed", url=url)
            with self._limit(url):
                response = self._get_once(url, headers=headers, params=params, remaining=remaining)
            if 200 <= response.status < 300:
                return response
            if response.status not in RETRY_STATUSES or attempt > self.retries:
                raise FetchError(f"HTTP {response.status} from {url}", status=response.status, url=url)
            delay = self._retry_delay(response, attempt)
            if time.monotonic() - start + delay >= self.deadline:
                raise FetchError(
                    f"HTTP {response.status} from {url}; retry in {delay:.0f}s would pass the deadline",
                    status=response.status,
                    url=url,
                )
            self.sleep(delay)

    def _retry_delay(self, response: Response, attempt: int) -> float:
        value = response.headers.get("retry-after", "")
        delay: float | None = None
        if value:
            try:
                delay = float(value)
            except ValueError:
                try:
                    when = parsedate_to_datetime(value)
                    delay = (when - datetime.now(UTC)).total_seconds()
                except (TypeError, ValueError):
                    delay = None
        if delay is None or delay < 0:
            delay = self.backoff * (2 ** (attempt - 1)) * (1 + random.random() / 2)
        return min(delay, self.retry_after_cap)

    def _get_once(self, url: str, *, headers, params, remaining: float) -> Response:
        started = time.monotonic()
        try:
            raw = self._session.get(
                url,
                headers=headers,
                params=params,
                timeout=(self.connect_timeout, min(self.read_timeout, remaining)),
                stream=True,
                allow_redirects=True,
            )
        except requests.Timeout as exc:
            raise FetchError(f"timeout fetching {url}: {exc.__class__.__name__}", url=url) from None
        except requests.RequestException as exc:
            raise FetchError(f"cannot fetch {url}: {exc.__class__.__name__}: {exc}", url=url) from None
        try:
            declared = raw.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(f"response of {declared} bytes is over the {self.max_bytes}-byte cap", url=url)
            chunks: list[bytes] = []
            size = 0
            try:
                for chunk in raw.iter_content(chunk_size=65536):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(f"response is over the {self.max_bytes}-byte cap", url=url)
                    if time.monotonic() - started > remaining:
                        raise FetchError(f"deadline passed while reading {url} ({size} bytes in)", url=url)
                    chunks.append(chunk)
            except requests.RequestException as exc:
                raise FetchError(f"reading {url} failed: {exc.__class__.__name__}", url=url) from None
        finally:
            raw.close()
        return Response(
            url=raw.url,
            status=raw.status_code,
            body=b"".join(chunks),
            headers={k.lower(): v for k, v in raw.headers.items()},
            fetched_at=datetime.now(UTC),
            elapsed=time.monotonic() - started,
        )

    def map(self, fn: Callable[[T], R], items: Iterable[T], *, workers: int | None = None) -> list[R]:
        """Run ``fn`` over items concurrently (per-host limits still apply inside ``get``)."""
        items = list(items)
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=workers or self.per_host) as pool:
            return list(pool.map(fn, items))

    def close(self) -> None:
        self._session.close()
