"""A real HTTP server on 127.0.0.1 that answers like the provider APIs, with fault injection.

Paths are prefixed with the provider kind: ``/openai/v1/organization/usage/completions``,
``/anthropic/v1/organizations/cost_report``, ``/openrouter/api/v1/key``, ``/litellm/key/info``,
``/deepseek/user/balance``, ``/moonshot/v1/users/me/balance``.  :meth:`RunningEmulator.base_url`
gives the base URL a connector needs for each kind.

This module is only the HTTP and fault machinery: what each provider answers lives in its fake
(``tokenwallet.emulator.providers``), what each fault does in ``tokenwallet.emulator.faults``.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tokenwallet.domain.clock import Clock, system_clock
from tokenwallet.emulator.fake import FakeContext, FakeRequest
from tokenwallet.emulator.faults import CONNECTION_FAULTS, FAULTS, Fault, Reply, instead_of_fake, rewrite
from tokenwallet.emulator.providers import FAKES
from tokenwallet.emulator.scenario import Scenario

KINDS = tuple(FAKES)
BASE_PATHS = {kind: fake.base_path for kind, fake in FAKES.items()}
DEMO_KEYS = {name: key for fake in FAKES.values() for name, key in fake.keys.items()}

__all__ = ["BASE_PATHS", "DEMO_KEYS", "FAULTS", "KINDS", "RequestLogEntry", "RunningEmulator", "start_emulator"]


@dataclass(frozen=True, slots=True)
class RequestLogEntry:
    """One request the emulator answered (never with its headers: they carry the key)."""

    kind: str
    method: str
    path: str
    query: str
    status: int
    fault: str = ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: RunningEmulator


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes; Nagle would add 40 ms each

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log (it would repeat paths in test output)."""

    def do_GET(self) -> None:
        emu = self.server.emulator
        parts = urlsplit(self.path)
        segments = parts.path.split("/", 2)
        kind = segments[1] if len(segments) > 1 else ""
        self._kind, self._fault_name = kind, ""
        fake = FAKES.get(kind)
        if fake is None:
            self._write(_json(404, {"error": {"message": "unknown provider path", "type": "not_found"}}))
            return
        fault = emu._take_fault(kind, parts.path)
        self._fault_name = fault.fault if fault else ""
        if fault is not None and fault.fault in CONNECTION_FAULTS and self._connection_fault(fault):
            return
        if fault is not None and (instead := instead_of_fake(fault, fake.error_body)) is not None:
            self._write(instead)
            return
        request = FakeRequest(
            sub=parts.path[len(fake.base_path) :],
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
        )
        if not fake.authorised(request, emu.keys):
            self._write(_json(401, fake.error_body(401, "authentication_error", "Invalid API key provided.")))
            return
        context = FakeContext(scenario=emu.scenario, now=emu.clock(), keys=emu.keys, page_size=emu.page_size)
        status, body = fake.handle(context, request)
        reply = _json(status, body)
        self._write(rewrite(fault, reply, body) if fault is not None else reply)

    def _connection_fault(self, fault: Fault) -> bool:
        """Apply a socket-level fault; True when the request has been dealt with (no answer)."""
        if fault.fault == "slow":
            time.sleep(fault.delay)
            return False
        if fault.fault == "timeout":
            time.sleep(fault.delay)
            self._log(0)
            self.close_connection = True
            return True
        self._log(0)  # "reset"
        # SO_LINGER with a zero timeout makes close() send a TCP RST instead of a FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        return True

    def _log(self, status: int) -> None:
        parts = urlsplit(self.path)
        entry = RequestLogEntry(self._kind, "GET", parts.path, parts.query, status, self._fault_name)
        self.server.emulator._log(entry)

    def _write(self, reply: Reply) -> None:
        self._log(reply.status)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)


def _json(status: int, body: Any) -> Reply:
    return Reply(status, json.dumps(body).encode())


@dataclass
class RunningEmulator:
    """A started emulator: its URLs, demo keys, fault switches and request log."""

    scenario: Scenario
    clock: Clock
    keys: dict[str, str] = field(default_factory=lambda: dict(DEMO_KEYS))
    page_size: int | None = None  # force small pages to exercise pagination
    requests: list[RequestLogEntry] = field(default_factory=list)
    _faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: _Server | None = None
    _thread: threading.Thread | None = None

    # --- public API ----------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def base_url(self, kind: str) -> str:
        """The base URL a connector of ``kind`` takes (e.g. ``.../openai/v1``)."""
        return self.root_url + BASE_PATHS[kind]

    def set_fault(
        self, target: str, fault: str, count: int | None = 1, *, retry_after: int = 2, delay: float | None = None
    ) -> None:
        """Make the next ``count`` requests to ``target`` (a kind, or a path prefix) fail with ``fault``.

        ``count=None`` keeps failing until :meth:`clear_faults`.  ``delay`` is the sleep of ``slow``
        (default 0.2 s) and ``timeout`` (default 3 s, then the connection closes unanswered).
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose one of {', '.join(FAULTS)}")
        default_delay = 3.0 if fault == "timeout" else 0.2
        with self._lock:
            self._faults.append(Fault(target, fault, count, retry_after, default_delay if delay is None else delay))

    def clear_faults(self) -> None:
        """Stop injecting faults."""
        with self._lock:
            self._faults.clear()

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self.requests.clear()

    def stop(self) -> None:
        """Stop serving and wait for the server thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- internals -----------------------------------------------------------------------
    def _log(self, entry: RequestLogEntry) -> None:
        with self._lock:
            self.requests.append(entry)

    def _take_fault(self, kind: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.target == kind or path.startswith(fault.target) or path.endswith(fault.target):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None


def start_emulator(
    scenario: Scenario | None = None, clock: Clock | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> RunningEmulator:
    """Start serving on ``host`` (loopback only) and a free port; call ``.stop()`` when done."""
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("the emulator only listens on a loopback address")
    emulator = RunningEmulator(scenario=scenario or Scenario(), clock=clock or system_clock)
    server = _Server((host, port), _Handler)
    server.emulator = emulator
    emulator._server = server
    emulator._thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="tokenwallet-emulator", daemon=True
    )
    emulator._thread.start()
    return emulator
