"""A total time limit for one network exchange, whatever the library that does the reading.

smtplib and urllib time out a socket read, not an exchange: a server that sends one byte a second
never trips a 5 s read timeout and holds the client for ever (a tarpit). Under a `Deadline`, the
sockets ckmon's clients open are registered (`connect`), and when the deadline passes a timer
shuts them down, so a blocked read returns at once. The caller then asks `fired` and reports the
deadline, not whatever the library made of the closed socket (an EOF, a short body).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from contextvars import ContextVar, Token
from types import TracebackType

_current: ContextVar[Deadline | None] = ContextVar("ckmon_deadline", default=None)


class DeadlineExceeded(TimeoutError):
    """The exchange did not finish in its time; a TimeoutError, so an OSError like other
    network failures."""


class Deadline:
    """`seconds` from entering the block for everything done inside it on watched sockets."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._fired = False
        self._timer: threading.Timer | None = None
        self._token: Token[Deadline | None] | None = None

    def __enter__(self) -> Deadline:
        self._end = time.monotonic() + self.seconds
        self._token = _current.set(self)
        self._timer = threading.Timer(self.seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._token is not None:
            _current.reset(self._token)
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()

    @property
    def fired(self) -> bool:
        """True once the time ran out and the watched sockets were shut down."""
        return self._fired

    def left(self) -> float:
        return max(0.0, self._end - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        """Shut `sock` down when the deadline passes (at once if it has passed)."""
        # A duplicate descriptor of the same connection: shutting it down ends the connection
        # even after TLS wrapping has detached `sock` itself.
        dup = socket.socket(fileno=os.dup(sock.fileno()))
        with self._lock:
            self._sockets.append(dup)
            if self._fired:
                _shut(dup)

    def _fire(self) -> None:
        with self._lock:
            self._fired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed by the other side
        pass


def connect(
    address: tuple[str, int], timeout: float, source_address: tuple[str, int] | None = None
) -> socket.socket:
    """`socket.create_connection`, within the time left of the current deadline (if any), and
    watched by it."""
    deadline = _current.get()
    if deadline is not None:
        timeout = min(timeout, deadline.left())
        if timeout <= 0:
            raise DeadlineExceeded(f"no time left to connect to {address[0]}:{address[1]}")
    sock = socket.create_connection(address, timeout, source_address)
    if deadline is not None:
        deadline.watch(sock)
    return sock
