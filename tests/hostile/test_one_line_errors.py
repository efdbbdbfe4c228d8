"""What a careless operator or a broken disk does to ckmon ends in one line and a meaningful exit
code (2: a setting, an argument or a folder ckmon writes to; 6: the store), never a traceback.

Each case runs the real `ckmon` in a child process. Read-only and full disks are real mounts in a
mount namespace of the child's own (`tests.support.cli.ckmon_on_bad_disks`): the tests may run as root,
whom file permissions do not stop.
"""

from __future__ import annotations

import gzip
import io
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from digest.config import load_config
from digest.fetch.warc import response_record
from tests.support.cli import ckmon, ckmon_on_bad_disks
from tests.support.crawlsite import DEAD_OUTLET
from tests.support.weekdata import make_config, store

ERROR_LINE = re.compile(r"^(ckmon: )?error: ", re.IGNORECASE)
LOG_PROBLEM = re.compile(r" (WARNING|ERROR|CRITICAL) ")


def one_error(result: subprocess.CompletedProcess[str], code: int, *causes: str) -> str:
    """The run's one error line, after checking the exit code, that nothing else complained and
    that no trace and no raw bytes reached the terminal."""
    out = result.stdout + result.stderr
    assert result.returncode == code, out
    assert "Traceback" not in out, out
    errors = [line for line in result.stderr.splitlines() if ERROR_LINE.match(line)]
    assert len(errors) == 1, out
    assert not LOG_PROBLEM.search(result.stderr), out
    for cause in causes:
        assert cause in errors[0], (cause, errors[0])
    assert all(c.isprintable() or c in "\n\t" for c in out), repr(out)
    return errors[0]


@dataclass
class Case:
    args: tuple[str, ...]
    code: int
    causes: tuple[str, ...]
    readonly: tuple[str, ...] = ()  # paths relative to the workspace
    full: tuple[str, ...] = ()
    prepare: Callable[[Path], None] = field(default=lambda tmp: None)
    extra: str = ""  # more of ckmon.toml, after its [mail] table


def _workspace(tmp: Path, extra: str = "") -> Path:
    """The case's ckmon.toml; its registry is one outlet on a loopback port where nothing
    listens, so a case that went on to crawl would never leave the machine."""
    (tmp / "sources.toml").write_text(DEAD_OUTLET, encoding="utf-8")
    config = make_config(tmp, extra + '\n[crawl]\nsources_file = "sources.toml"\n')
    assert config.source_path is not None
    return config.source_path


def _populated(tmp: Path) -> None:
    """A store with last week's edition sent, so `digest --send` has a new one due."""
    store(load_config(tmp / "ckmon.toml")).close()


def _mkdir(*names: str) -> Callable[[Path], None]:
    def prepare(tmp: Path) -> None:
        _populated(tmp)
        for name in names:
            (tmp / name).mkdir(parents=True, exist_ok=True)

    return prepare


def _file(name: str) -> Callable[[Path], None]:
    def prepare(tmp: Path) -> None:
        (tmp / name).write_text("not a folder\n", encoding="utf-8")

    return prepare


DISKS = {
    "data folder read-only, no store in it yet": Case(
        ("digest", "--send"), 6, ("cannot open the store", "unable to open database file"),
        readonly=("data",), prepare=lambda tmp: (tmp / "data").mkdir(),
    ),
    "store folder cannot be made on a read-only disk": Case(
        ("digest", "--send"), 6, ("cannot create its folder", "Read-only file system"),
        readonly=(".",),
    ),
    "store path whose parent is a file": Case(
        ("digest", "--send"), 6, ("cannot create its folder", "blocker"),
        prepare=_file("blocker"), extra='\n[store]\nurl = "sqlite:///blocker/ckmon.sqlite"\n',
    ),
    "read-only store file": Case(
        ("digest", "--send"), 6, ("the store failed", "readonly database"),
        readonly=("data/ckmon.sqlite",), prepare=_populated,
    ),
    "read-only outbox": Case(
        ("digest", "--send"), 2, ("[digest] outbox", "Read-only file system", "stays pending"),
        readonly=("outbox",), prepare=_mkdir("outbox"),
    ),
    "full outbox": Case(
        ("digest", "--send"), 2, ("[digest] outbox", "No space left on device"),
        full=("outbox",), prepare=_mkdir("outbox"),
    ),
    "read-only archive": Case(
        ("digest", "--send"), 2, ("[digest] archive", "Read-only file system"),
        readonly=("archive",), prepare=_mkdir("archive"),
    ),
    "full preview folder": Case(
        ("digest", "--preview"), 2, ("[digest] preview", "No space left on device"),
        full=("preview",), prepare=_mkdir("preview"),
    ),
    "lock file on a read-only data folder": Case(
        ("run", "--quiet"), 2, ("[schedule] lock_file", "Read-only file system"),
        readonly=("data",), prepare=_mkdir("data"), extra='\n[log]\nfile = ""\n',  # not in data/
    ),
    "WARC archive on a read-only folder": Case(
        ("crawl", "--record", "rec/run.warc.gz"), 2, ("--record", "Read-only file system"),
        readonly=("rec",), prepare=_mkdir("rec"),
    ),
    "log file on a read-only folder": Case(
        ("run",), 2, ("[log] file", "Read-only file system"),
        readonly=("logs",), prepare=_mkdir("logs"), extra='\n[log]\nfile = "logs/ckmon.log"\n',
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(DISKS))
def test_a_disk_or_folder_that_cannot_be_written(tmp_path: Path, name: str) -> None:
    case = DISKS[name]
    config = _workspace(tmp_path, case.extra)
    case.prepare(tmp_path)
    result = ckmon_on_bad_disks(
        config,
        *case.args,
        readonly=tuple(tmp_path / p for p in case.readonly),
        full=tuple(tmp_path / p for p in case.full),
    )
    one_error(result, case.code, *case.causes)


@pytest.mark.parametrize(
    ("args", "causes"),
    [
        (("digest", "--since", "0001-01-01"), ("--since", "0001-01-01 is out of range")),
        (("digest", "--until", "9999-12-31"), ("--until", "9999-12-31 is out of range")),
        (("digest", "--since", "9999-12-30"), ("--since", "is in the future")),
        (("explain", "http://[::1"), ("not an article id or a readable URL", "http://[::1")),
        (("explain", "https://example.org:99999/x"), ("not an article id or a readable URL",)),
        (("extract", "page.html", "--url", "http://[::1"), ("--url", "not a readable URL")),
        (("extract", "page.html", "--url", "http://x.test:99999/"), ("--url", "out of range")),
    ],
)
def test_an_argument_out_of_range(
    tmp_path: Path, args: tuple[str, ...], causes: tuple[str]
) -> None:
    (tmp_path / "page.html").write_text("<html><title>T</title><p>Text.</p></html>", "utf-8")
    one_error(ckmon(_workspace(tmp_path), *args), 2, *causes)


def _record(url: str | None, http: bytes | None = None, *, digests: bool = True) -> bytes:
    """One gzipped WARC response record; `url` None leaves WARC-Target-URI out, `http` replaces
    the HTTP block (status line, headers and body) with raw bytes."""
    if http is not None:  # written by hand: what no writer would produce
        head = f"WARC/1.0\r\nWARC-Type: response\r\n{'WARC-Target-URI: ' + url + chr(13) + chr(10) if url else ''}Content-Length: {len(http)}\r\n\r\n"
        return gzip.compress(head.encode() + http + b"\r\n\r\n")
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    headers = StatusAndHeaders("200 OK", [("Content-Length", "2")], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url or "http://example.org/", "response", payload=io.BytesIO(b"hi"), length=2,
        http_headers=headers,
    )  # fmt: skip
    if url is None:
        record.rec_headers.remove_header("WARC-Target-URI")
    writer.write_record(record)
    return buffer.getvalue()


def _good(n: int) -> bytes:
    return response_record(
        f"http://127.0.0.1:9/{n}.xml", 200, [("Content-Type", "application/xml")], b"<rss/>" * 40,
        info="ckmon" if n == 0 else "",
    )  # fmt: skip


def _flipped(data: bytes) -> bytes:
    """`data` with bytes in the middle of its compressed stream changed: a damaged disk."""
    damaged = bytearray(data)
    for i in range(30, 60):
        damaged[i] ^= 0x5A
    return bytes(damaged)


# The raw bytes that a careless message would print: escape sequences, a bell, NUL.
TERMINAL_NOISE = b"\x1b[2J\x1b]0;pwned\x07\x00\x9b"
WARCS = {
    "a record without WARC-Target-URI": (
        _good(0) + _record(None),
        ("record at byte", "WARC-Target-URI"),
    ),
    "a corrupt record": (_good(0) + _flipped(_good(1)) + _good(2), ("damaged", "corrupt")),
    "a truncated archive": (_good(0) + _good(1)[:-25], ("truncated",)),
    "not gzip at all": (TERMINAL_NOISE * 20, ("not a WARC archive",)),
    "gzip of something else": (gzip.compress(TERMINAL_NOISE * 20), ("not a WARC archive",)),
    "an unreadable status line": (
        _good(0) + _record("http://a.test/", b"HTTP/1.1 " + TERMINAL_NOISE + b"\r\n\r\nbody"),
        ("record at byte", "unreadable HTTP status line"),
    ),
    "a record shorter than its length": (
        _good(0) + _record("http://a.test/", b"HTTP/1.1 200 OK\r\n\r\nbody")[:-3] + b"",
        ("truncated",),
    ),
}


@pytest.mark.parametrize("name", sorted(WARCS))
def test_a_damaged_warc_archive(tmp_path: Path, name: str) -> None:
    data, causes = WARCS[name]
    archive = tmp_path / "run.warc.gz"
    archive.write_bytes(data)
    result = ckmon(_workspace(tmp_path), "crawl", "--replay", str(archive))
    line = one_error(result, 2, str(archive), *causes)
    assert "\x1b" not in line and "pwned" not in line
