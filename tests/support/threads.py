"""Several threads started at once, for tests of what concurrent writers do to a store or lock."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(count: int, target: Callable[[int, threading.Barrier], None]) -> None:
    """Run `target(index, barrier)` in `count` threads; they meet at the barrier to start at once.

    A thread's exception fails the calling test (and breaks the barrier, so no thread waits forever).
    """
    start = threading.Barrier(count, timeout=30)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            target(index, start)
        except BaseException as exc:  # re-raised in the test below
            errors.append(exc)
            start.abort()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
