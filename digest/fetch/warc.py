"""WARC archives (warcio): record every fetched response, answer requests from a recording.

Records are appended one whole gzip member at a time, so several spiders of one crawl can share
a file; a replay index keeps, per URL, the last full (non-304) response recorded.
"""

from __future__ import annotations

import gzip
import io
import zlib
from contextlib import redirect_stderr
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParserException
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
    """Every response in the archive, by URL (the last full one wins over 304s and earlier ones).

    A damaged archive is refused whole, with the byte offset of the record where reading failed
    (a truncated or corrupt gzip member, a record without its URL or with an unreadable status
    line, a body that does not match its digest or its length); the archive's own bytes are never
    put in the message.
    """
    found: dict[str, Recorded] = {}
    warc_records = 0
    _check_gzip(path)
    noise = io.StringIO()  # warcio prints length mismatches to stderr: kept, and counted instead
    offset = 0
    records: ArchiveIterator | None = None
    try:
        with path.open("rb") as handle, redirect_stderr(noise):
            records = ArchiveIterator(handle, check_digests="raise")
            for record in records:
                offset = records.offset
                warc_records += record.format == "warc"
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                if not url:
                    raise ArchiveError(f"{path}: record at byte {offset}: no WARC-Target-URI")
                status = _status(record.http_headers.get_statuscode())
                if status is None:
                    raise ArchiveError(
                        f"{path}: record at byte {offset} ({_shown(url)}): "
                        "unreadable HTTP status line"
                    )
                body = record.raw_stream.read()
                if getattr(record.raw_stream, "limit", 0) > 0:
                    raise ArchiveError(
                        f"{path}: record at byte {offset} ({_shown(url)}): shorter than its "
                        "Content-Length"
                    )
                if status == 304 and url in found:
                    continue
                found[url] = Recorded(url, status, list(record.http_headers.headers), body)
            if records.err_count:
                raise ArchiveError(
                    f"{path}: damaged: a record's Content-Length does not match its content"
                )
    except FileNotFoundError as exc:
        raise ArchiveError(f"archive not found: {path}") from exc
    except ArchiveLoadFailed as exc:
        raise ArchiveError(
            f"{path}: damaged or not a WARC archive at byte {offset}: {_reason(exc)}"
        ) from exc
    except (OSError, EOFError, ValueError, zlib.error, StatusAndHeadersParserException) as exc:
        raise ArchiveError(f"{path}: damaged at byte {offset}: {_reason(exc)}") from exc
    except (AttributeError, TypeError) as exc:  # warcio trips over a response without a URL
        at = records.offset if records is not None else offset
        raise ArchiveError(
            f"{path}: record at byte {at}: unreadable (a response record needs a "
            "WARC-Target-URI and an HTTP status line)"
        ) from exc
    if not warc_records:
        raise ArchiveError(f"{path}: not a WARC archive (no WARC records)")
    return found


def _status(code: str | None) -> int | None:
    """The HTTP status of a recorded response, None unless three digits from 100 to 599."""
    if code is None or not code.isdigit() or not 100 <= int(code) <= 599:
        return None
    return int(code)


def _check_gzip(path: Path) -> None:
    """Read a gzipped archive through once: a truncated or corrupt member (its CRC) is refused
    here, where warcio would stop early and keep quiet about the rest."""
    try:
        with path.open("rb") as handle:
            if handle.read(2) != b"\x1f\x8b":
                return  # an uncompressed WARC: warcio reads it, digests check its records
        with gzip.open(path, "rb") as stream:
            while stream.read(1 << 20):
                pass
    except FileNotFoundError as exc:
        raise ArchiveError(f"archive not found: {path}") from exc
    except EOFError as exc:
        raise ArchiveError(f"{path}: truncated: the archive ends inside a record") from exc
    except (OSError, zlib.error) as exc:  # BadGzipFile, a failed CRC, a broken deflate stream
        raise ArchiveError(f"{path}: damaged: its compressed data is corrupt") from exc


def _reason(exc: BaseException) -> str:
    """The library's reason up to where it quotes the archive's bytes, printable and short."""
    text = str(exc).split(", first line", 1)[0].split(": b'", 1)[0]
    return _shown(text) or type(exc).__name__


def _shown(text: str, limit: int = 120) -> str:
    """`text` safe for a terminal: control and non-printable characters replaced, cut short."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"
