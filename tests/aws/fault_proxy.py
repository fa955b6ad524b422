"""A loopback HTTP proxy in front of moto's server that breaks the network on purpose.

Clients are pointed at the proxy (AWS_ENDPOINT_URL), and the proxy passes each request to moto
unchanged, byte for byte, so signatures still hold. A test adds faults; each fault matches some
requests and does one thing to them:

    slow_down        answer 503 SlowDown (S3's throttling) without passing the request on
    reset            cut the connection before passing the request on (nothing happened)
    lose_answer      pass the request on, let moto do it, then cut the connection: the client
                     never learns that it happened (a lost answer)
    pause            hold the request until the test releases it (a paused network)
    wrong_region     answer as S3 does a request signed for another region than its bucket's:
                     400 AuthorizationHeaderMalformed naming the bucket's region (in the body,
                     and in x-amz-bucket-region); `place_bucket` adds it for a bucket

A fault applies `times` times (None: every time it matches), or to a share of the matching
requests (`probability`, drawn from a seeded random generator, so a run is repeatable).
`proxy.seen` lists every request as (method, path with query, fault or None).
"""

from __future__ import annotations

import random
import re
import socket
import socketserver
import struct
import threading
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

from tests.moto_server import free_port

ACTIONS = ("slow_down", "reset", "lose_answer", "pause", "wrong_region")
SLOW_DOWN = (b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: %d\r\n"
             b"Connection: close\r\n\r\n%s")
WRONG_REGION = ("HTTP/1.1 400 Bad Request\r\nContent-Type: application/xml\r\nx-amz-bucket-region: {region}\r\n"
                "Content-Length: {length}\r\nConnection: close\r\n\r\n")
WRONG_REGION_BODY = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AuthorizationHeaderMalformed</Code>'
                     "<Message>The authorization header is malformed; the region is wrong; expecting '{region}'"
                     "</Message><Region>{region}</Region></Error>")
# The region a SigV4 request is signed for: "Credential=KEY/DATE/REGION/SERVICE/aws4_request".
SIGNED_REGION = re.compile(r"Credential=[^/,]+/\d{8}/([^/,]+)/s3/")
SLOW_DOWN_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
                  b"<Message>Please reduce your request rate.</Message></Error>")


@dataclass(eq=False)  # compared by identity: two faults alike are still two faults
class Fault:
    action: str
    match: Callable[[str, str, dict[str, str]], bool]  # (method, path with query, headers)
    times: int | None = 1
    probability: float = 1.0
    hits: int = 0
    released: threading.Event = field(default_factory=threading.Event)  # for "pause"
    region: str = ""  # for "wrong_region": the bucket's

    def release(self) -> None:
        self.released.set()


def request_to(method: str | None = None, path_contains: str = "", query_contains: str = "",
               header: str | None = None) -> Callable[[str, str, dict[str, str]], bool]:
    """A matcher: the method (if given), a piece of the path, of the query, a header present."""
    def match(m: str, target: str, headers: dict[str, str]) -> bool:
        path, _, query = target.partition("?")
        return ((method is None or m == method) and path_contains in path and query_contains in query
                and (header is None or header.lower() in headers))
    return match


def any_request(method: str, target: str, headers: dict[str, str]) -> bool:
    return True


class FaultProxy:
    def __init__(self, upstream: str, seed: int = 7):
        parsed = urlsplit(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.faults: list[Fault] = []
        self.seen: list[tuple[str, str, str | None]] = []
        self._random = random.Random(seed)
        self._guard = threading.Lock()
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()

    def add(self, action: str, match: Callable[[str, str, dict[str, str]], bool] = any_request,
            times: int | None = 1, probability: float = 1.0) -> Fault:
        if action not in ACTIONS:
            raise ValueError(f"unknown fault {action!r}: one of {', '.join(ACTIONS)}")
        fault = Fault(action, match, times, probability)
        with self._guard:
            self.faults.append(fault)
        return fault

    def place_bucket(self, bucket: str, region: str) -> Fault:
        """S3's rule for a bucket in `region` (moto serves any bucket in any region): a request
        to it signed for another region is refused, as S3 refuses it."""
        def signed_elsewhere(method: str, target: str, headers: dict[str, str]) -> bool:
            signed = SIGNED_REGION.search(headers.get("authorization", ""))
            path = target.partition("?")[0]
            return (path == f"/{bucket}" or path.startswith(f"/{bucket}/")) and signed is not None \
                and signed.group(1) != region
        fault = self.add("wrong_region", signed_elsewhere, times=None)
        fault.region = region
        return fault

    def clear(self) -> None:
        with self._guard:
            for fault in self.faults:
                fault.release()
            self.faults.clear()

    def stop(self) -> None:
        self.clear()
        self._server.shutdown()  # its loop polls every 0.5 s
        self._server.server_close()

    def _choose(self, method: str, target: str, headers: dict[str, str]) -> Fault | None:
        with self._guard:
            for fault in self.faults:
                if fault.times is not None and fault.hits >= fault.times:
                    continue
                if not fault.match(method, target, headers):
                    continue
                if fault.probability < 1.0 and self._random.random() >= fault.probability:
                    continue
                fault.hits += 1
                self.seen.append((method, target, fault.action))
                return fault
            self.seen.append((method, target, None))
            return None


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    proxy: FaultProxy


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]
        while True:  # a client keeps its connection alive across requests
            try:
                request = _read_message(self.rfile, is_response=False, on_head=self._continue)
            except (ConnectionError, OSError):
                return
            if request is None:
                return
            head, body, method, target, headers = request
            fault = proxy._choose(method, target, headers)
            action = fault.action if fault else None
            if action == "pause":
                fault.released.wait()  # type: ignore[union-attr]
            if action == "reset":
                return self._reset()
            if action == "wrong_region":
                body = b"" if method == "HEAD" else WRONG_REGION_BODY.format(region=fault.region).encode()
                head = WRONG_REGION.format(region=fault.region, length=len(body)).encode()
                self.wfile.write(head + body)
                return
            if action == "slow_down":
                self.wfile.write(SLOW_DOWN % (len(SLOW_DOWN_BODY), SLOW_DOWN_BODY))
                return
            try:
                answer = _forward(proxy.upstream, head + body, method)
            except OSError:
                return self._reset()
            if action == "lose_answer":
                return self._reset()
            self.wfile.write(answer)
            self.wfile.flush()
            if b"connection: close" in answer.split(b"\r\n\r\n", 1)[0].lower():
                return

    def _continue(self, headers: dict[str, str]) -> None:
        """Answer "Expect: 100-continue" at once, as S3 does (botocore would wait a second)."""
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()

    def _reset(self) -> None:
        """Close with a TCP reset, as a cut network or a dropped load balancer does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()


def _forward(upstream: tuple[str, int], raw: bytes, method: str) -> bytes:
    """One request to moto on a connection of its own; the whole answer, as moto gave it."""
    with socket.create_connection(upstream, timeout=60) as connection:
        connection.sendall(raw)
        reader = connection.makefile("rb")
        while True:
            answer = _read_message(reader, is_response=True, method=method)
            if answer is None:
                raise ConnectionError("moto closed the connection without an answer")
            head, body, *_ = answer
            if not head.split(b" ", 2)[1].startswith(b"1"):  # a 100 Continue: the client had its own
                return head + body


def _read_message(stream, is_response: bool, method: str = "",
                  on_head: Callable[[dict[str, str]], None] | None = None) -> tuple[bytes, bytes, str, str, dict[str, str]] | None:
    """An HTTP/1.1 message's head and body, as bytes, framed by Content-Length or chunks."""
    first = stream.readline()
    if not first:
        return None
    lines = [first]
    headers: dict[str, str] = {}
    while True:
        line = stream.readline()
        if not line:
            raise ConnectionError("connection closed inside a message head")
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    head = b"".join(lines)
    if on_head is not None:
        on_head(headers)
    words = first.decode("latin-1").split()
    request_method, target = ("", "") if is_response else (words[0], words[1])
    if is_response:
        status = int(words[1])
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return head, b"", "", "", headers
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = _read_chunks(stream)
    elif "content-length" in headers:
        body = stream.read(int(headers["content-length"]))
    elif is_response:
        body = stream.read()  # framed by the close
    else:
        body = b""
    return head, body, request_method, target, headers


def _read_chunks(stream) -> bytes:
    parts = []
    while True:
        size_line = stream.readline()
        parts.append(size_line)
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while True:  # trailers, then the empty line
                trailer = stream.readline()
                parts.append(trailer)
                if trailer in (b"\r\n", b"\n", b""):
                    return b"".join(parts)
        parts.append(stream.read(size + 2))
