"""The SSRF guard for outbound webhooks (webhook, Slack, Discord).

Two rules make it hold:

1. An explicit table of addresses that are not globally routable. ``ipaddress.is_private`` misses
   100.64.0.0/10, multicast, and the NAT64 / 6to4 / IPv4-mapped spellings of 127.0.0.1, so the
   table is written out here and embedded IPv4 addresses are unwrapped and checked too.
2. The check is made on the address actually connected to: the host name is resolved once, every
   answer checked, and the socket connects to exactly that vetted address (TLS still verifies the
   original host name through SNI). After connecting, ``getpeername()`` is checked again before a
   byte is sent. A DNS answer that changes between a form's validation and the send (rebinding)
   cannot reach a private address.

Redirects are never followed: http.client does not follow them, and a 3xx is a failed attempt.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings

from .deadline import DeadlineExceeded, Watchdog

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

BLOCKED_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches loopback on Linux
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598), missed by is_private
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, including 169.254.169.254 cloud metadata
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255 broadcast
    )
]
BLOCKED_V6 = [
    ipaddress.ip_network(n)
    for n in (
        "::/128",  # unspecified
        "::1/128",  # loopback
        "::/96",  # IPv4-compatible (deprecated)
        "100::/64",  # discard-only
        "2001::/32",  # Teredo: tunnels to an address we cannot see
        "2001:10::/28",  # ORCHID
        "2001:20::/28",  # ORCHIDv2
        "2001:db8::/32",  # documentation
        "64:ff9b:1::/48",  # local-use NAT64
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
]
NAT64 = ipaddress.ip_network("64:ff9b::/96")
SIX_TO_FOUR = ipaddress.ip_network("2002::/16")

MAX_RESPONSE = 64 * 1024
USER_AGENT = "Ratecard-Alerts/1.0"


class BlockedAddress(Exception):
    """The target is not a public address (or the URL is not one we will call)."""


def embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 spelling leads to: mapped, NAT64 or 6to4."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in SIX_TO_FOUR:
        return address.sixtofour
    return None


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv4Address):
        return not any(address in net for net in BLOCKED_V4)
    inner = embedded_v4(address)
    if inner is not None:
        return is_public(inner)
    return not any(address in net for net in BLOCKED_V6)


_LEGACY_V4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


def parse_literal(host: str) -> IPAddress | None:
    """An IP address written in any spelling a resolver would accept, or None for a name.

    ``127.1``, ``2130706433``, ``0x7f000001`` and ``0177.0.0.1`` all mean 127.0.0.1 to
    ``inet_aton`` (and so to most HTTP clients): parse them the same way.
    """
    host = host.strip().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.split("%", 1)[0]  # zone index
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _LEGACY_V4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise BlockedAddress(f"{host!r} is neither a host name nor a valid address") from None
    return None


@dataclass
class Target:
    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: str) -> Target:
    """Split a webhook URL, refusing what we never call: other schemes and user@host forms."""
    if any(ch in url for ch in "\r\n\t "):
        raise BlockedAddress("the URL contains whitespace")
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:  # "http://[::1/": an unclosed or invalid IPv6 bracket
        raise BlockedAddress(f"this is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise BlockedAddress("only http:// and https:// URLs can be called")
    if "@" in parts.netloc:
        raise BlockedAddress("URLs with user@host credentials are not allowed")
    if not host:
        raise BlockedAddress("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BlockedAddress("the URL's port is not a number between 0 and 65535") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path)


def allow_private() -> bool:
    return bool(getattr(settings, "ALERTS_ALLOW_PRIVATE_WEBHOOKS", False))


def resolve(host: str, port: int) -> list[str]:
    """Every address a name resolves to. Tests replace this to play a rebinding DNS server."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


def vet_host(host: str, port: int) -> IPAddress:
    """Resolve once, check every answer, and return the one address to connect to."""
    literal = parse_literal(host)
    if literal is not None:
        candidates = [literal]
    else:
        try:
            candidates = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(host, port)]
        except (OSError, UnicodeError) as exc:
            raise ConnectionError(f"could not resolve {host}: {exc}") from None
        if not candidates:
            raise ConnectionError(f"{host} has no addresses")
    if not allow_private():
        for address in candidates:
            if not is_public(address):
                raise BlockedAddress(f"{host} resolves to {address}, which is not a public address")
    return candidates[0]


def check_url(url: str) -> None:
    """Validation for forms: the URL's shape, and a literal address's class. Names are checked
    again at every send, so a name that is public now and private later is still refused."""
    target = parse_url(url)
    literal = parse_literal(target.host)
    if literal is not None and not allow_private() and not is_public(literal):
        raise BlockedAddress(f"{literal} is not a public address")
    if target.host.lower().rstrip(".") in ("localhost", "localhost.localdomain") and not allow_private():
        raise BlockedAddress("localhost is not a public address")


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    peer: str = ""
    duration_ms: int = 0


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = _connect(self._address, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: IPAddress, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = _connect(self._address, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _connect(address: IPAddress, port: int, timeout: float) -> socket.socket:
    family = socket.AF_INET if isinstance(address, ipaddress.IPv4Address) else socket.AF_INET6
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect((str(address), port))
        # Belt and braces: the peer we reached is the address we vetted, and it is public.
        peer = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
        if peer != address or (not allow_private() and not is_public(peer)):
            raise BlockedAddress(f"connected to {peer}, not the vetted {address}")
    except BaseException:
        sock.close()
        raise
    return sock


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = 10.0,
         deadline: float | None = None) -> Response:
    """POST to a vetted address. Raises BlockedAddress, DeadlineExceeded, or OSError/HTTPException
    on network failures; returns any HTTP status (3xx included: redirects are not followed).

    ``timeout`` bounds each socket operation; ``deadline`` (seconds) bounds the whole exchange: a
    receiver that drips one byte every few seconds resets a per-read timeout forever, so a watchdog
    shuts the socket down when the deadline passes, whatever the client is blocked in.
    """
    target = parse_url(url)
    address = vet_host(target.host, target.port)
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    total = deadline if deadline is not None else timeout * 3
    conn = cls(target.host, target.port, address, min(timeout, total))
    started = time.monotonic()
    try:
        with Watchdog(total, lambda: conn.sock) as dog:
            try:
                all_headers = {"User-Agent": USER_AGENT, "Content-Type": "application/json", **headers}
                conn.request("POST", target.path, body=body, headers=all_headers)
                raw = conn.getresponse()
                data = _read_body(raw, started + total)
            except (OSError, http.client.HTTPException) as exc:
                if dog.expired and not isinstance(exc, DeadlineExceeded):
                    raise dog.error() from None
                raise
            if dog.expired:
                raise dog.error()
        return Response(
            status=raw.status,
            headers={k.lower(): v for k, v in raw.getheaders()},
            body=data,
            peer=str(address),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    finally:
        conn.close()


def _read_body(raw: http.client.HTTPResponse, deadline_at: float) -> bytes:
    """Up to MAX_RESPONSE bytes, in reads that each return what has arrived (read1), stopping at
    the deadline: the body of a drip-feeding receiver is cut, not waited for."""
    chunks: list[bytes] = []
    size = 0
    while size < MAX_RESPONSE:
        if time.monotonic() >= deadline_at:
            raise DeadlineExceeded("the answer's body did not arrive within the deadline")
        chunk = raw.read1(MAX_RESPONSE - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
