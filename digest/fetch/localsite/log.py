"""What the loopback server was asked and what it answered, for tests and benchmarks to assert on
recorded events instead of guessing from the clock."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class Dripped:
    """One answer of a trickled path: when its body began, when each byte went out, and when the
    client hung up (monotonic seconds; None if it never did while the server ran)."""

    path: str
    started: float
    sent: list[float] = field(default_factory=list)
    hung_up: float | None = None


@dataclass
class Answered:
    """One answer: the port that sent it, the path (no query), status, body bytes, monotonic time."""

    port: int
    path: str
    status: int
    size: int
    at: float


@dataclass
class RequestLog:
    """Every request and answer of one server (all its ports).

    `requested`: paths asked for (no leading slash, no query), as they arrive; `hits`: (path with
    query, status) of each answer and `times` when it was sent (monotonic); `answers`: the same
    with port and size; `arrivals`: when each request arrived (wall clock, `time.time()`,
    comparable with what a crawl child records); `agents`: the User-Agents seen; `most_busy`: the
    most requests answered at once; `drips`: the trickled answers.
    """

    requested: list[str] = field(default_factory=list)
    hits: list[tuple[str, int]] = field(default_factory=list)
    times: list[tuple[str, float]] = field(default_factory=list)
    answers: list[Answered] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    agents: set[str] = field(default_factory=set)
    busy: int = 0
    most_busy: int = 0
    drips: list[Dripped] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def started(self, path: str, agent: str) -> None:
        with self.lock:
            self.requested.append(path)
            self.arrivals.append(time.time())
            self.agents.add(agent)
            self.busy += 1
            self.most_busy = max(self.most_busy, self.busy)

    def finished(self) -> None:
        with self.lock:
            self.busy -= 1

    def add(self, port: int, target: str, status: int, size: int) -> None:
        """Record one answer to `target` (the request's path with query)."""
        now = time.monotonic()
        with self.lock:
            self.hits.append((target, status))
            self.times.append((target, now))
            self.answers.append(Answered(port, target.split("?", 1)[0], status, size, now))

    def dripped(self, path: str) -> list[Dripped]:
        return [d for d in self.drips if d.path == path]

    def paths(self, port: int | None = None) -> list[str]:
        """Paths answered, with their query; or those one port answered, without it."""
        if port is None:
            return [p for p, _ in self.hits]
        return [a.path for a in self.answers if a.port == port]

    def clear(self) -> None:
        with self.lock:
            self.requested.clear()
            self.hits.clear()
            self.times.clear()
            self.answers.clear()
            self.arrivals.clear()
            self.agents.clear()
            self.most_busy = 0
