"""Headless chromium, to see the digest as a real browser draws and scripts it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.children import run

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def headless_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run chromium headless with `args`: skipped where it is not installed, a failure in CI."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return run(  # chromium starts helper processes: a time-out ends them all
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            *args,
        ],
        timeout=90,
    )
