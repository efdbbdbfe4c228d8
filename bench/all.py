"""Every scale benchmark in one run: crawl throughput and re-run, dedup at scale, digest render.

Each runs as its own process (as it would alone) and prints its figures beside its baseline; the
machine and the load are printed first. About 8 minutes on 2 cores; `--quick` takes about 1.

    python bench/all.py [--quick]

(bench/extraction.py and bench/corpus.py need ../shared; bench/workers.py needs Redis: run them
alone.)
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = ["crawl.py", "dedupe.py", "render.py"]
LIBRARIES = ["scrapy", "trafilatura", "datasketch", "sqlalchemy", "jinja2", "css-inline", "lxml"]


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    libraries = ", ".join(f"{name} {version(name)}" for name in LIBRARIES)
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs ({cpu}), {memory} RAM; "
        f"Python {platform.python_version()}; {libraries}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes for every benchmark")
    args = parser.parse_args()
    print(machine())
    started = time.monotonic()
    failed = []
    for script in SCRIPTS:
        print(
            f"\n$ python bench/{script}{' --quick' if args.quick else ''}  "
            f"(load average {os.getloadavg()[0]:.2f})",
            flush=True,
        )
        command = [sys.executable, str(BENCH / script), *(["--quick"] if args.quick else [])]
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(script)
    print(
        f"\nall benchmarks: {time.monotonic() - started:.0f} s"
        + (f"; FAILED: {', '.join(failed)}" if failed else "")
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
