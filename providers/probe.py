"""Latency and throughput probe: one streaming chat completion, timed from the user's own network.

Users measure a host with their own key, so the figures are what *they* will see. One probe sends a
fixed, published workload (:data:`WORKLOADS`) to an OpenAI-compatible ``/chat/completions`` endpoint
with ``stream: true`` and records:

- time to first token: from the moment the request has been written to the socket until the bytes of
  the first event with non-empty ``delta.content`` (or ``reasoning_content``/``reasoning``) arrive;
- output tokens per second after the first token: ``(completion_tokens - 1) / (t_last - t_first)``,
  with ``completion_tokens`` from the provider's final usage chunk (or, when a provider sends none,
  the number of token events, marked ``usage_missing``);
- total time, token counts, HTTP status and an error kind.

A probe never raises for anything the remote end does and never retries: a failure is a result
(``ok=False``, ``error="http_429"``, ``"timeout"``, ``"malformed_stream"``, ``"stream_cut"``,
``"no_tokens"``, ...). The total deadline holds even when the server hangs or drips a byte at a time:
every socket operation has a timeout and a watchdog thread shuts the socket down at the deadline.

It talks ``http.client`` directly: no connection pool, no proxy from the environment (the user's key
must go to the host it names and nowhere else), no redirects, no compression (a gzip layer would
buffer tokens and spoil the timing). Reads return as soon as any bytes arrive (``read1``), so each
timestamp is taken when the bytes arrive rather than when a buffer fills.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import math
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any
from urllib.parse import urlsplit

from providers.base import ParseError, PerfSample
from providers.http import USER_AGENT
from providers.units import loads_strict

MILLION = Decimal(1_000_000)
# Caps so a broken or hostile endpoint cannot make a probe hold unbounded memory.
MAX_STREAM_BYTES = 8 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
MAX_ERROR_BODY = 2048


# --------------------------------------------------------------------------------------------------
# Workloads


@dataclass(frozen=True)
class Workload:
    """A published request shape. ``render`` makes the prompt unique per run with a nonce line first:
    prefix caches match from the first token, so a different first line defeats them."""

    name: str
    template: str
    max_tokens: int = 256
    temperature: int = 0
    # Conservative input-token bound for the cost cap: about 3 characters per token (English text is
    # closer to 4 for Llama/Qwen/DeepSeek tokenizers), plus the nonce line and chat-template overhead.
    chat_overhead_tokens: int = 32

    @property
    def approx_input_tokens(self) -> int:
        """Nominal size, about 4 characters per token."""
        return round(len(self.render("0" * 16)) / 4)

    @property
    def max_input_tokens(self) -> int:
        return math.ceil(len(self.render("0" * 16)) / 3) + self.chat_overhead_tokens

    @property
    def fingerprint(self) -> str:
        """Identifies the exact workload, so samples from different versions are not mixed up."""
        text = f"{self.template}\x00{self.max_tokens}\x00{self.temperature}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def render(self, nonce: str) -> str:
        return f"Request {nonce}. Ignore this line.\n{self.template}"

    def body(self, model: str, nonce: str) -> dict[str, Any]:
        return {
            "model": model,
            "messages": [{"role": "user", "content": self.render(nonce)}],
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }


_SHORT_PROMPT = (
    "You are helping to test how fast a text service answers. Write a long, plain essay about the "
    "history of railway timetables: how they began, why standard time zones followed, and how "
    "timetables are planned today. Use full paragraphs, no lists and no headings. Keep writing until "
    "you are stopped; do not summarise or conclude early."
)


def _inventory_log() -> str:
    # A fixed, deterministic document of about 900 tokens (36 entries): plain arithmetic, no randomness, so the
    # workload is the same everywhere and anyone can rebuild it from this source.
    depots = ["Aberdeen", "Bruges", "Cordoba", "Dresden", "Eindhoven", "Florence", "Gdansk", "Helsinki"]
    goods = ["pears", "copper wire", "wool blankets", "tinned tomatoes", "bicycle chains", "olive oil"]
    lines = []
    for i in range(1, 37):
        depot = depots[i % len(depots)]
        dest = depots[(i * 3 + 1) % len(depots)]
        item = goods[(i * 5) % len(goods)]
        crates = 40 + (i * 37) % 160
        damaged = (i * 7) % 5
        lines.append(
            f"Entry {i:02d}: the {depot} depot sent {crates} crates of {item} to {dest} on day {i}; "
            f"{damaged} arrived damaged."
        )
    return "\n".join(lines)


_LONG_PROMPT = (
    "You are helping to test how fast a text service answers. Below is a shipping log of thirty-six "
    "entries.\n\n"
    + _inventory_log()
    + "\n\nWrite a long, plain report about this log: describe the flows between depots, which goods "
    "travelled furthest, where damage was most common and what a manager might change. Use full "
    "paragraphs, no lists and no tables. Keep writing until you are stopped; do not conclude early."
)

WORKLOADS: dict[str, Workload] = {
    "short": Workload(name="short", template=_SHORT_PROMPT),
    "long": Workload(name="long", template=_LONG_PROMPT),
}


def _workload(workload: str | Workload) -> Workload:
    if isinstance(workload, Workload):
        return workload
    try:
        return WORKLOADS[workload]
    except KeyError:
        raise ValueError(f"unknown workload {workload!r}; known: {', '.join(WORKLOADS)}") from None


def estimate_cost(input_price_per_m: Decimal, output_price_per_m: Decimal, workload: str | Workload) -> Decimal:
    """Upper estimate in USD of one probe: the conservative input bound and the full ``max_tokens``
    of output (reasoning tokens count within it at OpenAI-compatible hosts). For a daily budget cap,
    so it errs high, never low."""
    if not isinstance(input_price_per_m, Decimal) or not isinstance(output_price_per_m, Decimal):
        raise TypeError("prices must be Decimal USD per million tokens")
    if not (input_price_per_m.is_finite() and output_price_per_m.is_finite()):
        raise ValueError("prices must be finite")
    if input_price_per_m < 0 or output_price_per_m < 0:
        raise ValueError("prices must not be negative")
    spec = _workload(workload)
    cost = (spec.max_input_tokens * input_price_per_m + spec.max_tokens * output_price_per_m) / MILLION
    # Round up to a millionth of a dollar: small enough to stay exact in sums, never under the cost.
    return cost.quantize(Decimal("0.000001"), rounding=ROUND_CEILING)


# --------------------------------------------------------------------------------------------------
# Result


def _ms(seconds: float) -> Decimal:
    return Decimal(f"{seconds * 1000:.3f}")


@dataclass
class ProbeResult:
    ok: bool
    error: str  # "" when ok; otherwise a short kind, e.g. "http_429", "timeout", "stream_cut"
    status: int | None
    ttft_ms: Decimal | None
    tps: Decimal | None
    total_ms: Decimal | None  # request written -> [DONE] (or the failure)
    prompt_tokens: int | None
    completion_tokens: int | None  # the provider's usage figure, or the token-event count if usage_missing
    usage_missing: bool
    model: str
    workload: str
    started_at: datetime
    detail: str = ""  # a human-readable note on the error; never contains the key
    connect_ms: Decimal | None = None  # TCP (+TLS) set-up, kept apart from TTFT
    retry_after: str = ""  # the server's Retry-After, recorded for the scheduler; we never retry here
    token_events: int = 0  # events that carried content or reasoning
    served_model: str = ""  # the "model" the stream reported, when it differs from the request
    workload_fingerprint: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_perf_sample(self, provider: str, provider_model_id: str, variant: str = "") -> PerfSample:
        """One probe as a sample of window "probe". A failed probe keeps its error and no figures, so
        partial timings of a cut stream never enter the percentiles."""
        extra: dict[str, Any] = {
            "workload": self.workload,
            "kind": "probe",
            "ok": self.ok,
            "started_at": self.started_at.isoformat(),
            "usage_missing": self.usage_missing,
        }
        if self.error:
            extra["error"] = self.error
        if self.status is not None:
            extra["status"] = self.status
        if self.completion_tokens is not None:
            extra["completion_tokens"] = self.completion_tokens
        if self.prompt_tokens is not None:
            extra["prompt_tokens"] = self.prompt_tokens
        if self.total_ms is not None:
            extra["total_ms"] = str(self.total_ms)
        if self.workload_fingerprint:
            extra["workload_fingerprint"] = self.workload_fingerprint
        return PerfSample(
            provider=provider,
            provider_model_id=provider_model_id,
            variant=variant,
            window="probe",
            ttft_p50_ms=self.ttft_ms if self.ok else None,
            tps_p50=self.tps if self.ok else None,
            n_requests=1,
            extra=extra,
        )


# --------------------------------------------------------------------------------------------------
# The probe


class _Watchdog:
    """Shuts the socket down at the deadline. ``shutdown`` (unlike ``close``) wakes a thread that is
    blocked in ``recv`` on Linux, which then sees end-of-file."""

    def __init__(self, seconds: float):
        self.fired = threading.Event()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if self.fired.is_set():
                self._shutdown()

    def _fire(self) -> None:
        with self._lock:
            self.fired.set()
            self._shutdown()

    def _shutdown(self) -> None:
        if self._sock is None:
            return
        try:
            # The base-class method on purpose: SSLSocket.shutdown drops its SSL object first, which
            # races with the reader thread still inside SSL_read.
            socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
        except OSError:
            pass

    def cancel(self) -> None:
        self._timer.cancel()
        # Joined so a worker running thousands of probes does not collect timer threads.
        self._timer.join(timeout=1.0)


class _Failure(Exception):
    def __init__(self, kind: str, detail: str = ""):
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


@dataclass
class _Stream:
    """What the event loop has seen so far."""

    t_first: float | None = None
    t_last: float | None = None
    token_events: int = 0
    usage: dict[str, Any] | None = None
    served_model: str = ""
    done: bool = False


def _token_text(delta: dict[str, Any]) -> bool:
    for key in ("content", "reasoning_content", "reasoning"):
        value = delta.get(key)
        if isinstance(value, str) and value:
            return True
    return False


def _handle_event(data: bytes, now: float, state: _Stream) -> None:
    if data.strip() == b"[DONE]":
        state.done = True
        return
    try:
        event = loads_strict(data)
    except ParseError as exc:
        raise _Failure("malformed_stream", str(exc)[:200]) from None
    if not isinstance(event, dict):
        raise _Failure("malformed_stream", f"event is a {type(event).__name__}, not an object")
    if "error" in event:
        # Several hosts report overload or moderation inside a 200 stream.
        raise _Failure("provider_error", json.dumps(event["error"], default=str)[:300])
    if isinstance(event.get("model"), str):
        state.served_model = event["model"]
    choices = event.get("choices")
    if choices is not None and not isinstance(choices, list):
        raise _Failure("malformed_stream", "choices is not a list")
    if choices:
        choice = choices[0]
        if not isinstance(choice, dict):
            raise _Failure("malformed_stream", "choice is not an object")
        delta = choice.get("delta")
        if delta is not None and not isinstance(delta, dict):
            raise _Failure("malformed_stream", "delta is not an object")
        if delta and _token_text(delta):
            if state.t_first is None:
                state.t_first = now
            state.t_last = now
            state.token_events += 1
    usage = event.get("usage")
    if isinstance(usage, dict):
        # Some hosts repeat a running usage on every chunk; the last one is the total.
        state.usage = usage


def _handle_line(line: bytes, now: float, state: _Stream) -> None:
    if not line or line.startswith(b":"):
        return  # event separator or SSE comment (keep-alive, "OPENROUTER PROCESSING")
    name, _, value = line.partition(b":")
    if value.startswith(b" "):
        value = value[1:]
    if name == b"data":
        # OpenAI-compatible servers put one JSON object on one data line; handling it at once, rather
        # than at the blank line, cannot change the timing since both come in one write.
        _handle_event(value, now, state)
    elif name in (b"event", b"id", b"retry"):
        return
    else:
        raise _Failure("malformed_stream", f"not an SSE line: {line[:80]!r}")


def _usage_int(usage: dict[str, Any] | None, key: str) -> int | None:
    if usage is None:
        return None
    value = usage.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def probe(
    base_url: str,
    api_key: str,
    model: str,
    workload: str | Workload,
    *,
    timeout: float = 30.0,
    deadline: float = 120.0,
    clock: Callable[[], float] = time.perf_counter,
    ssl_context: ssl.SSLContext | None = None,
) -> ProbeResult:
    """Send one streaming chat completion and time it. Never raises for remote failures.

    ``timeout`` bounds the connection set-up and every single read; ``deadline`` bounds the whole
    probe, set-up included (name resolution aside, which Python cannot interrupt). ``ssl_context``
    is for a self-hosted endpoint behind a private CA; the default verifies against the system store.
    """
    spec = _workload(workload)
    began = time.monotonic()
    result = ProbeResult(
        ok=False, error="", status=None, ttft_ms=None, tps=None, total_ms=None, prompt_tokens=None,
        completion_tokens=None, usage_missing=False, model=model, workload=spec.name,
        started_at=datetime.now(UTC), workload_fingerprint=spec.fingerprint,
    )
    parts = urlsplit(base_url.rstrip("/"))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        result.error, result.detail = "bad_url", "base_url must be an http(s) URL"
        return result

    def remaining() -> float:
        return deadline - (time.monotonic() - began)

    conn = _connection(parts.scheme, parts.hostname, parts.port, max(0.001, min(timeout, remaining())), ssl_context)
    exchange = _Exchange(conn=conn, result=result, clock=clock, watchdog=_Watchdog(remaining()), timeout=timeout,
                         remaining=remaining)
    exchange.watchdog.start()
    try:
        exchange.run((parts.path or "") + "/chat/completions", _request_body(spec, model), _headers(api_key))
    except _Failure as failure:
        exchange.t_end = clock()
        # Whatever the socket said last, a fired watchdog means the deadline is why it ended.
        if exchange.watchdog.fired.is_set():
            result.error, result.detail = "timeout", f"deadline of {deadline:g}s passed"
        else:
            result.error, result.detail = failure.kind, failure.detail
    finally:
        exchange.watchdog.cancel()
        conn.close()

    if api_key and api_key in result.detail:
        # Some hosts echo the key they were given in their error body.
        result.detail = result.detail.replace(api_key, "***")
    _fill_figures(result, exchange.state, exchange.t_sent, exchange.t_end)
    if not result.error and exchange.state.token_events == 0:
        result.error = "no_tokens"
    result.ok = not result.error
    return result


def _request_body(spec: Workload, model: str) -> bytes:
    return json.dumps(spec.body(model, secrets.token_hex(8))).encode()


def _headers(api_key: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/json",
        "Accept": "text/event-stream",
        "Accept-Encoding": "identity",
        "User-Agent": USER_AGENT,
        "Cache-Control": "no-cache",
    }


def _connection(scheme: str, host: str, port: int | None, connect_timeout: float,
                ssl_context: ssl.SSLContext | None) -> http.client.HTTPConnection:
    if scheme == "https":
        return http.client.HTTPSConnection(
            host, port, timeout=connect_timeout, context=ssl_context or ssl.create_default_context()
        )
    return http.client.HTTPConnection(host, port, timeout=connect_timeout)


@dataclass
class _Exchange:
    """One probe's request and streamed response, with the instants it is timed by."""

    conn: http.client.HTTPConnection
    result: ProbeResult
    clock: Callable[[], float]
    watchdog: _Watchdog
    timeout: float
    remaining: Callable[[], float]
    state: _Stream = field(default_factory=lambda: _Stream())
    t_sent: float | None = None
    t_end: float | None = None

    def run(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        """Connect, send, read the stream; every way it can go wrong becomes a :class:`_Failure`."""
        try:
            self._send_and_read(path, body, headers)
        except _Failure:
            raise
        except TimeoutError:
            what = "connecting" if self.result.connect_ms is None else "no bytes"
            raise _Failure("timeout", f"{what} for {self.timeout:g}s") from None
        except ssl.SSLError as exc:
            # The handshake is part of connect(); an SSL error after it is the stream breaking off.
            kind = "tls_error" if self.result.connect_ms is None else "stream_cut"
            raise _Failure(kind, str(exc)[:200]) from None
        except (http.client.IncompleteRead, OSError) as exc:
            # Before the connection is up it is a refusal, a reset or a name that does not resolve;
            # after it, the other end went away mid-exchange.
            kind = "connect_error" if self.result.connect_ms is None else "stream_cut"
            raise _Failure(kind, f"{exc.__class__.__name__}: {str(exc)[:200]}") from None
        except http.client.HTTPException as exc:
            raise _Failure("bad_response", f"{exc.__class__.__name__}: {str(exc)[:200]}") from None
        except Exception as exc:  # noqa: BLE001 - one probe's surprise must not stop a sweep of probes
            raise _Failure("unexpected", f"{exc.__class__.__name__}: {str(exc)[:200]}") from None

    def _send_and_read(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        conn, result, clock = self.conn, self.result, self.clock
        t_connect = clock()
        conn.connect()
        result.connect_ms = _ms(clock() - t_connect)
        assert conn.sock is not None
        self.watchdog.attach(conn.sock)
        # Each token event is a small write; without NODELAY our own request could wait on Nagle.
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sock.settimeout(max(0.001, min(self.timeout, self.remaining())))
        conn.request("POST", path, body=body, headers=headers)
        self.t_sent = clock()
        response = conn.getresponse()
        result.status = response.status
        if response.status != 200:
            result.retry_after = (response.getheader("Retry-After") or "")[:64]
            text = response.read1(MAX_ERROR_BODY) if response.status >= 400 else b""
            raise _Failure(f"http_{response.status}", text.decode("utf-8", "replace")[:300])
        _read_stream(response, self.state, clock, self.watchdog)
        self.t_end = clock()


def _read_stream(
    response: http.client.HTTPResponse, state: _Stream, clock: Callable[[], float], watchdog: _Watchdog
) -> None:
    buffer = bytearray()
    total = 0
    while not state.done:
        data = response.read1(65536)  # returns as soon as any bytes are in
        now = clock()
        if watchdog.fired.is_set():
            raise _Failure("timeout")
        if not data:
            raise _Failure("stream_cut", "connection closed before [DONE]")
        total += len(data)
        if total > MAX_STREAM_BYTES:
            raise _Failure("too_large", f"stream over {MAX_STREAM_BYTES} bytes")
        buffer += data
        while not state.done:
            end = buffer.find(b"\n")
            if end < 0:
                if len(buffer) > MAX_LINE_BYTES:
                    raise _Failure("malformed_stream", "line too long")
                break
            line = bytes(buffer[:end]).rstrip(b"\r")
            del buffer[: end + 1]
            _handle_line(line, now, state)


def _fill_figures(result: ProbeResult, state: _Stream, t_sent: float | None, t_end: float | None) -> None:
    result.token_events = state.token_events
    if state.served_model and state.served_model != result.model:
        result.served_model = state.served_model
    if t_sent is not None and t_end is not None:
        result.total_ms = _ms(t_end - t_sent)
    if t_sent is not None and state.t_first is not None:
        result.ttft_ms = _ms(state.t_first - t_sent)
    result.prompt_tokens = _usage_int(state.usage, "prompt_tokens")
    completion = _usage_int(state.usage, "completion_tokens")
    if completion is None or (completion == 0 and state.token_events > 0):
        # No usable usage block: estimate from the events (one token each at most hosts, so this may
        # undercount where a host batches several tokens into one event).
        completion = state.token_events if state.token_events else None
        result.usage_missing = result.status == 200
    result.completion_tokens = completion
    if (
        completion is not None
        and completion > 1
        and state.t_first is not None
        and state.t_last is not None
        and state.t_last > state.t_first
    ):
        result.tps = Decimal(f"{(completion - 1) / (state.t_last - state.t_first):.3f}")
