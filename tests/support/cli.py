"""The real `ckmon` command in a child process, and a workspace for it to crawl loopback sites."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.childenv import ROOT, child_env
from tests.support.children import run


def days_ago(days: int) -> str:
    """The day `days` before today (UTC) as YYYY-MM-DD, for `--since`: fixture dates are relative
    to the moment their server started, so the bound is too."""
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%d")


def write_workspace(tmp: Path, sources: str) -> Path:
    """A ckmon.toml for a crawl of loopback sites into a temp store; returns its path."""
    (tmp / "sources.toml").write_text(sources, encoding="utf-8")
    config = tmp / "ckmon.toml"
    config.write_text(
        """
[crawl]
allow_private_addresses = true   # the test site is on loopback
sources_file = "sources.toml"

[scrapy]
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = false
LOG_LEVEL = "INFO"
""",
        encoding="utf-8",
    )
    return config


def ckmon(
    config: Path,
    *args: str,
    timeout: float = 120,
    env: dict[str, str] | None = None,
    at: datetime | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run the real `ckmon` command in a child process (a Twisted reactor runs once per process),
    with `env` added to its environment; `at`: with its clock moved to that moment (`tests.support.travel`).
    """
    extra = dict(env or {})
    command = [sys.executable, "-m", "digest", *args]
    if at is not None:
        command = [sys.executable, "-m", "tests.support.travel", at.isoformat(), *args]
        extra["PYTHONPATH"] = str(ROOT)  # the child starts in the workspace, not the project
    variables = child_env(CKMON_CONFIG=str(config), **extra)
    return run(command, cwd=config.parent, env=variables, timeout=timeout)


def ckmon_on_bad_disks(
    config: Path,
    *args: str,
    readonly: tuple[Path, ...] = (),
    full: tuple[Path, ...] = (),
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """`ckmon` in a mount namespace of its own (util-linux `unshare`), where each `readonly` path
    (a folder or a file) is mounted read-only and each `full` folder is a small tmpfs filled up:
    a read-only or full disk, which permissions cannot fake when the tests run as root. The
    mounts vanish with the process. Skips the test where user namespaces are not allowed."""
    import shutil

    import pytest

    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"], check=False).returncode:
        pytest.skip("no unshare or no user namespaces: cannot mount a read-only or full disk")
    steps = [f"mount --bind '{p}' '{p}' && mount -o remount,bind,ro '{p}'" for p in readonly]
    steps += [
        f"mount -t tmpfs -o size=64k tmpfs '{p}' && {{ head -c 1M /dev/zero > '{p}/.fill' 2>/dev/null; true; }}"
        for p in full
    ]
    script = " && ".join([*steps, 'exec "$@"'])
    env = child_env(CKMON_CONFIG=str(config))
    return subprocess.run(
        [unshare, "-rm", "sh", "-c", script, "sh", sys.executable, "-m", "digest", *args],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
