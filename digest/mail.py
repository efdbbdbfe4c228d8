"""The digest as one e-mail: text and HTML alternatives, written to the outbox before any sending."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def header_safe(value: str, limit: int = 200) -> str:
    """No CR, LF or other control characters, and a bounded length: headers never carry raw input."""
    return _CONTROL.sub(" ", value).strip()[:limit]


def message_id(edition_key: str, recipient: str, domain: str) -> str:
    """Deterministic per edition and recipient, so a resend is recognisable as the same message."""
    tag = hashlib.sha256(f"{edition_key}\n{recipient.lower()}".encode()).hexdigest()[:16]
    return f"<ckmon.{header_safe(edition_key, 32)}.{tag}@{domain}>"


def compose(
    *,
    edition_key: str,
    stories: int,
    html: str,
    text: str,
    sender: str,
    recipient: str,
    date: object,
    reply_to: str = "",
    list_unsubscribe: str = "",
) -> EmailMessage:
    """One multipart/alternative message; the subject holds only our own words and numbers."""
    msg = EmailMessage()
    noun = "story" if stories == 1 else "stories"
    msg["Subject"] = header_safe(f"Cambodia–Korea digest {edition_key}: {stories} {noun}")
    msg["From"] = header_safe(sender)
    msg["To"] = header_safe(recipient)
    if reply_to:
        msg["Reply-To"] = header_safe(reply_to)
    if list_unsubscribe:
        msg["List-Unsubscribe"] = f"<{header_safe(list_unsubscribe)}>"
    msg["Date"] = format_datetime(date)  # type: ignore[arg-type]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = message_id(edition_key, recipient, domain)
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def write_outbox(msg: EmailMessage, outbox: Path, name: str) -> Path:
    """Write `name`.eml atomically: a reader never sees half a message."""
    outbox.mkdir(parents=True, exist_ok=True)
    target = outbox / f"{name}.eml"
    fd, tmp = tempfile.mkstemp(dir=outbox, prefix=".tmp-", suffix=".eml")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(msg.as_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
