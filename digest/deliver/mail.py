"""The digest as one e-mail: text and HTML alternatives, written to the outbox before any sending.

The message is deterministic for an installation, an edition and a recipient (Message-ID, Date,
MIME boundary), so the copy in the outbox is exactly what is sent, and a retry sends the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from digest.analysis.textnorm import clip

# 7-bit transfer encodings (quoted-printable or base64): any server takes them, no 8BITMIME needed.
POLICY = policy.default.clone(cte_type="7bit")
LIST_NAME = "Cambodia-Korea media digest"  # ASCII: the List-Id phrase stays unencoded
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Bidi marks, embeddings, overrides and isolates (a U+202E turns "gpj.exe" around) and
# zero-width characters: invisible in a header, or worse.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]+")


def header_safe(value: str, limit: int = 200) -> str:
    """No CR, LF or other control characters, no bidi or zero-width characters, and a bounded
    length: headers never carry raw input."""
    return _CONTROL.sub(" ", _INVISIBLE.sub("", value[: limit * 4])).strip()[:limit].strip()


def address_of(value: str) -> str:
    """The bare address of 'Name <addr>' (the SMTP envelope needs it)."""
    return parseaddr(header_safe(value))[1]


def message_id(
    edition_key: str, recipient: str, domain: str, instance: str = "", variant: str = ""
) -> str:
    """Deterministic per installation (`instance`), edition, `variant` ("preview" for a preview)
    and recipient, so a resend is recognisable as the same message and no other
    installation's or preview's message ever has the same id (clients keep one of two)."""
    seed = f"{edition_key}\n{recipient.lower()}"
    if instance or variant:
        seed = f"{instance}\n{variant}\n{seed}"
    tag = hashlib.sha256(seed.encode()).hexdigest()[:16]
    key = re.sub(r"[^A-Za-z0-9_-]", "", header_safe(edition_key, 32))
    if variant:
        key += "." + re.sub(r"[^A-Za-z0-9_-]", "", header_safe(variant, 32))
    return f"<ckmon.{key}.{tag}@{domain}>"


def sender_domain(sender: str) -> str:
    """The domain of the `from` address ("localhost" when it has none)."""
    return address_of(sender).rpartition("@")[2].lower() or "localhost"


def default_list_id(sender: str, instance: str) -> str:
    """RFC 2919 List-Id, so readers can filter the digest: named by the sender's domain, or, for
    a `localhost` sender, by the installation under the unmanaged `localhost` namespace."""
    domain = re.sub(r"[^a-z0-9.-]", "", sender_domain(sender)) or "localhost"
    label = f"ckmon-{instance[:12]}" if domain == "localhost" and instance else "ckmon"
    return f"{LIST_NAME} <{label}.{domain}>"


def subject(edition_key: str, stories: int, headline: str = "", tag: str = "") -> str:
    """The week, the number of stories and, when there is one, the first headline (cleaned);
    `tag` first when given ("[sample]")."""
    noun = "story" if stories == 1 else "stories"
    line = f"Cambodia–Korea digest {header_safe(edition_key, 32)}: {stories} {noun}"
    if tag:
        line = f"{header_safe(tag, 32)} {line}"
    headline = header_safe(headline, 300)
    if headline:
        line += f" — {clip(headline, 80)}"
    return line


def compose(
    *,
    edition_key: str,
    stories: int,
    html: str,
    text: str,
    sender: str,
    recipient: str,
    date: datetime,
    reply_to: str = "",
    list_unsubscribe: str = "",
    headline: str = "",
    subject_tag: str = "",
    instance: str = "",
    list_id: str = "",
    id_variant: str = "",
) -> EmailMessage:
    """One multipart/alternative message; scraped text (the headline) only after cleaning.

    `instance` is the installation's id (`digest.store.instance`), `list_id` the List-Id header
    (none when empty), `id_variant` sets a preview's Message-ID apart from the edition's."""
    msg = EmailMessage(policy=POLICY)
    msg["Subject"] = subject(edition_key, stories, headline, subject_tag)
    msg["From"] = header_safe(sender)
    msg["To"] = header_safe(recipient)
    if reply_to:
        msg["Reply-To"] = header_safe(reply_to)
    if list_unsubscribe:
        target = header_safe(list_unsubscribe).strip("<>")
        msg["List-Unsubscribe"] = f"<{target}>"
        if target.lower().startswith("https://"):
            # RFC 8058 one-click: large mailbox providers want it from senders of list mail
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if list_id:
        msg["List-Id"] = header_safe(list_id)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id(
        edition_key, recipient, sender_domain(sender), instance, id_variant
    )
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: auto-responders should not reply
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    # A boundary drawn from the content cannot occur in it and keeps the bytes reproducible.
    digest = hashlib.sha256(f"{msg['Message-ID']}\n{text}\n{html}".encode()).hexdigest()[:32]
    msg.set_boundary(f"ckmon-{digest}")
    return msg


def write_outbox(msg: EmailMessage, outbox: Path, name: str) -> Path:
    """Write `name`.eml atomically: a reader never sees half a message."""
    return write_atomic(msg.as_bytes(), outbox / f"{name}.eml")


def smtp_bytes(raw: bytes) -> bytes:
    """The outbox copy with CRLF line ends, as SMTP requires (bare LF is refused by strict servers)."""
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def write_atomic(data: bytes, target: Path, mode: int = 0o600) -> Path:
    """Replace `target` with `data` in one step (temp file, fsync, rename); the file gets `mode`
    (default: its owner's only, as a temp file is)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
