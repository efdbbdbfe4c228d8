"""WARC archives (warcio): record every fetched response, answer requests from a recording.

Records are appended one whole gzip member at a time, so several spiders of one crawl can share
a file; a replay index keeps, per URL, the last full (non-304) response recorded.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from digest.errors import CkmonError

# Hop-by-hop framing that no longer describes the stored body.
_DROPPED = {"transfer-encoding", "content-length", "connection", "keep-alive"}


class ArchiveError(CkmonError):
    """A WARC file that cannot be read."""

    exit_code = 2


@dataclass(frozen=True)
class Recorded:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes  # as received: still content-encoded if the server compressed it


def response_record(
    url: str, status: int, headers: list[tuple[str, str]], body: bytes, *, info: str = ""
) -> bytes:
    """One gzipped WARC response record (with a warcinfo record first when `info` is given)."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    if info:
        writer.write_record(writer.create_warcinfo_record("ckmon.warc.gz", {"software": info}))
    kept = [(k, v) for k, v in headers if k.lower() not in _DROPPED]
    kept.append(("Content-Length", str(len(body))))
    http_headers = StatusAndHeaders(f"{status} -", kept, protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url, "response", payload=io.BytesIO(body), length=len(body), http_headers=http_headers
    )
    writer.write_record(record)
    return buffer.getvalue()


def append(path: Path, url: str, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    """Append one response to the archive at `path` (created with a warcinfo record if new)."""
    new = not path.exists() or path.stat().st_size == 0
    data = response_record(url, status, headers, body, info="ckmon" if new else "")
    with path.open("ab") as handle:  # one write per record: safe for several writers in a process
        handle.write(data)


def load(path: Path) -> dict[str, Recorded]:
    """Every response in the archive, by URL (the last full one wins over 304s and earlier ones)."""
    found: dict[str, Recorded] = {}
    warc_records = 0
    try:
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle):
                warc_records += record.format == "warc"
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                status = int(record.http_headers.get_statuscode() or 0)
                body = record.raw_stream.read()
                if status == 304 and url in found:
                    continue
                found[url] = Recorded(url, status, list(record.http_headers.headers), body)
    except FileNotFoundError as exc:
        raise ArchiveError(f"archive not found: {path}") from exc
    except ArchiveLoadFailed as exc:
        raise ArchiveError(f"{path}: not a WARC archive: {exc}") from exc
    if not warc_records:
        raise ArchiveError(f"{path}: not a WARC archive (no WARC records)")
    return found
