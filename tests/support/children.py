"""Child processes a test starts. Long-lived ones (`ckmon run`, `ckmon schedule`, crawl workers):
their output read as it comes, waited on for a line, and every process they started ended in
teardown. Short ones (`run`): like `subprocess.run`, and killed with what they started on time-out.

Each child starts in its own session, so it and its process group are killed together, and the
processes it started in sessions of their own (the scheduler's crawl children) are found through
/proc before anything is killed. The `children` fixture in conftest.py ends them all after the
test, passed or failed: no child outlives its test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from tests.support.childenv import child_env


class Child:
    """A running child process; stdout and stderr are collected line by line as they come."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, ended as one in teardown
        )
        self.pid = self.process.pid
        self.lines: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self.changed = threading.Condition()
        self.readers = [
            threading.Thread(target=self._read, args=(name, stream), daemon=True)
            for name, stream in (("stdout", self.process.stdout), ("stderr", self.process.stderr))
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, name: str, stream: IO[str] | None) -> None:
        assert stream is not None
        for line in stream:
            with self.changed:
                self.lines[name].append(line)
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    @property
    def returncode(self) -> int | None:
        return self.process.poll()

    def output(self) -> tuple[str, str]:
        with self.changed:
            return "".join(self.lines["stdout"]), "".join(self.lines["stderr"])

    def send_signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def wait_for_line(self, text: str, stream: str = "stderr", timeout: float = 60) -> str:
        """The first line of `stream` containing `text`, once written; fails at once if the child
        exits without writing it, or after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                found = [line for line in self.lines[stream] if text in line]
                if found:
                    return found[0]
                if self.process.poll() is not None and not any(r.is_alive() for r in self.readers):
                    out, err = "".join(self.lines["stdout"]), "".join(self.lines["stderr"])
                    raise AssertionError(
                        f"exit {self.process.returncode} without {text!r}:\n{out}\n{err[-4000:]}"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {text!r} after {timeout} s:\n{self.output_tail()}")
                self.changed.wait(min(left, 0.5))

    def output_tail(self) -> str:
        return "".join(self.lines["stderr"])[-4000:]

    def communicate(self, timeout: float = 120) -> tuple[str, str]:
        """Wait for the child to exit (`timeout` seconds at most); its whole stdout and stderr."""
        self.process.wait(timeout=timeout)
        for reader in self.readers:
            reader.join(timeout=30)
        return self.output()

    def end(self) -> None:
        """Kill the child, its process group and every process it started, and reap it."""
        if self.process.poll() is None:
            kill_tree(self.pid)
        try:
            self.process.wait(timeout=30)
        finally:
            for reader in self.readers:
                reader.join(timeout=5)
            for stream in (self.process.stdout, self.process.stderr):
                if stream is not None:
                    stream.close()


class Children:
    """The children one test started; `end_all` (the fixture's teardown) ends whatever still runs."""

    def __init__(self) -> None:
        self.started: list[Child] = []

    def start(self, args: list[str], cwd: Path, env: dict[str, str]) -> Child:
        child = Child(args, cwd, env)
        self.started.append(child)
        return child

    def ckmon(self, config: Path, *args: str, **env: str) -> Child:
        """The real `ckmon` command on `config`, started in the background."""
        return self.start(
            [sys.executable, "-m", "digest", *args],
            config.parent,
            child_env(CKMON_CONFIG=str(config), **env),
        )

    def end_all(self) -> None:
        for child in self.started:
            child.end()


def run(args: list[str], *, timeout: float, **popen: Any) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(args, capture_output=True, text=True, timeout=timeout)`, but the child in a
    session of its own: if it outlives `timeout` (or the test is interrupted), it is killed with
    every process it started, not alone."""
    with subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **popen,
    ) as process:
        try:
            out, err = process.communicate(timeout=timeout)
        except BaseException:
            kill_tree(process.pid)
            process.communicate()
            raise
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def descendants(pid: int) -> list[int]:
    """Every living process below `pid` (children of children too), read from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # gone meanwhile
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL `pid`'s process group and every process below it, whatever session they are in."""
    below = descendants(pid)
    for target in [pid, *below]:
        for kill in (os.killpg, os.kill):
            try:
                kill(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def wait_until(
    condition: Callable[[], bool], what: str, timeout: float = 60, child: Child | None = None
) -> None:
    """Poll `condition` until it holds; fails after `timeout` seconds, or at once if `child`
    exited meanwhile (with its output, so the reason shows)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if child is not None and child.returncode is not None:
            out, err = child.communicate(timeout=30)
            raise AssertionError(f"{what}: the child exited ({child.returncode}):\n{out}\n{err}")
        if time.monotonic() > deadline:
            tail = f":\n{child.output_tail()}" if child is not None else ""
            raise AssertionError(f"{what}: not after {timeout} s{tail}")
        time.sleep(0.02)
