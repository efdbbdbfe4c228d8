"""One lock for the unattended modes, so `ckmon run` (cron) and `ckmon schedule` never overlap.

An advisory `flock` on a file: the kernel drops it when the holder exits, however it exits (even
SIGKILL), so a crash never leaves a stale lock to clean up. The file is never deleted (deleting a
locked file lets a third process lock a new file of the same name); it only holds a note of who
holds it, for the message the second instance prints. Local file systems only (not NFS).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from digest.errors import LockedError, OutputError, os_reason


@contextmanager
def hold_lock(path: Path, holder: str) -> Iterator[int]:
    """Hold the lock at `path` for the block; yields its file descriptor. Never waits.

    Raises LockedError at once when another process holds it: cron simply tries again next time.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:  # a read-only or full data folder
        raise OutputError(
            f"cannot open the lock file {path} ([schedule] lock_file): {os_reason(exc)}"
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        note = os.pread(fd, 512, 0).decode("utf-8", "replace").strip() or "unknown process"
        os.close(fd)
        raise LockedError(
            f"another ckmon is already running ({note}); this one exits without doing anything. "
            f"Lock file: {path}"
        ) from None
    try:
        started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder}, pid {os.getpid()}, since {started}\n".encode(), 0)
        yield fd
    finally:
        os.close(fd)  # closing the last descriptor releases the lock
