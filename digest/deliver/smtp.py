"""Sending one outbox message to one recipient over SMTP, with retries where retrying can help.

4xx replies and dropped connections are retried with exponential backoff (tenacity); a 5xx reply to
a recipient or to the message is permanent for that recipient; a server that cannot be reached or
refuses the login raises `DeliveryError`, and every recipient not yet done stays pending. Each
attempt at one message (connecting, greeting, TLS, login, sending) has `[smtp] timeout` seconds in
all, however slowly the server drips its replies.
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from digest.config import SmtpConfig
from digest.deadline import Deadline, connect
from digest.deliver.mail import smtp_bytes
from digest.errors import DeliveryError

log = logging.getLogger(__name__)


@dataclass
class SendResult:
    recipient: str
    status: str  # sent | pending (temporary refusal, try next run) | failed (permanent)
    attempts: int
    code: int | None = None
    detail: str = ""


class ServerUnavailable(DeliveryError):
    """Every attempt to reach or use the server failed; nothing more can be sent this run."""

    def __init__(self, message: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.attempts = attempts


class _Temporary(Exception):
    """A 4xx reply or a lost connection: worth another attempt."""

    def __init__(self, code: int | None, detail: str, *, connection: bool = False) -> None:
        super().__init__(detail)
        self.code, self.detail, self.connection = code, detail, connection


class _Permanent(Exception):
    def __init__(self, code: int, detail: str) -> None:
        super().__init__(detail)
        self.code, self.detail = code, detail


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply).strip()


def _classify(code: int | None, reply: bytes | str) -> Exception:
    detail = f"{code} {_text(reply)}".strip()
    if code is not None and 500 <= code < 600:
        return _Permanent(code, detail)
    return _Temporary(code, detail, connection=code == 421)


class _Smtp(smtplib.SMTP):
    """smtplib's client with its connection watched by the current `Deadline`."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return connect((host, port), timeout, self.source_address)


class _SmtpSsl(smtplib.SMTP_SSL, _Smtp):
    """Implicit TLS: `SMTP_SSL` wraps the connection `_Smtp` opened (its `super()` lands there)."""


class SmtpTransport:
    """One connection reused for every recipient of a run; opened on first use."""

    def __init__(self, config: SmtpConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self.sleep = sleep
        self._conn: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            try:
                with Deadline(self.config.timeout) as deadline:  # a tarpit may drip its goodbye
                    if self._conn.sock is not None:
                        deadline.watch(self._conn.sock)
                    self._conn.quit()
            except (smtplib.SMTPException, OSError):
                self._conn.close()
            self._conn = None

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        context = ssl.create_default_context(cafile=cfg.cafile or None)
        conn: smtplib.SMTP
        if cfg.security == "ssl":
            conn = _SmtpSsl(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
        else:
            conn = _Smtp(cfg.host, cfg.port, timeout=cfg.timeout)
        try:
            conn.ehlo()
            if cfg.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if cfg.username:
                conn.login(cfg.username, cfg.password)
        except BaseException:
            conn.close()
            raise
        return conn

    def _attempt(self, raw: bytes, sender: str, recipient: str) -> None:
        """One try at one message, within `[smtp] timeout` seconds from connecting to the reply to
        the message's data: a server that trickles its replies is a lost connection, retried."""
        with Deadline(self.config.timeout) as deadline:
            if self._conn is not None and self._conn.sock is not None:
                deadline.watch(self._conn.sock)
            try:
                self._exchange(raw, sender, recipient)
            except Exception as exc:
                if not deadline.fired:
                    raise
                self._drop()
                raise _Temporary(
                    None,
                    f"{self._where()} did not finish within {self.config.timeout:g} s "
                    "([smtp] timeout: the limit for one message, all steps)",
                    connection=True,
                ) from exc
        if deadline.fired:  # done in time, but the connection was shut down just after
            self._drop()

    def _exchange(self, raw: bytes, sender: str, recipient: str) -> None:
        try:
            if self._conn is None:
                self._conn = self._connect()
            self._conn.sendmail(sender, [recipient], raw)
        except smtplib.SMTPAuthenticationError as exc:
            self._drop()
            raise DeliveryError(
                f"smtp: {self._where()} refused the login ({exc.smtp_code} {_text(exc.smtp_error)}); "
                "check [smtp] username and $CKMON_SMTP_PASSWORD"
            ) from exc
        except (smtplib.SMTPNotSupportedError, ssl.SSLError) as exc:
            self._drop()
            raise DeliveryError(
                f"smtp: TLS with {self._where()} failed ({exc}); check [smtp] security and cafile"
            ) from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPHeloError) as exc:
            if exc.smtp_code < 500:
                raise _classify(exc.smtp_code, exc.smtp_error) from exc
            self._drop()
            raise DeliveryError(
                f"smtp: {self._where()} refused us ({exc.smtp_code} {_text(exc.smtp_error)}); "
                "check [mail] from and [smtp] settings"
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = exc.recipients.get(recipient, (None, b"refused"))
            raise _classify(code, reply) from exc
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
            self._drop()
            raise _Temporary(None, f"connection lost: {exc}", connection=True) from exc
        except smtplib.SMTPResponseException as exc:  # MAIL FROM or DATA refused
            if exc.smtp_code == 421:
                self._drop()
            raise _classify(exc.smtp_code, exc.smtp_error) from exc
        except OSError as exc:  # refused, unreachable, timed out
            self._drop()
            raise _Temporary(None, f"cannot reach {self._where()}: {exc}", connection=True) from exc

    def send(self, raw: bytes, sender: str, recipient: str) -> SendResult:
        """Send one message to one recipient; raises `DeliveryError` if the server is unusable."""
        data = smtp_bytes(raw)
        attempts = 0
        retrying = Retrying(
            stop=stop_after_attempt(self.config.retries + 1),
            wait=wait_exponential(multiplier=self.config.backoff, max=300),
            retry=retry_if_exception_type(_Temporary),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    self._attempt(data, sender, recipient)
        except _Permanent as exc:
            log.warning("smtp: %s refused permanently: %s", recipient, exc.detail)
            return SendResult(recipient, "failed", attempts, exc.code, exc.detail)
        except _Temporary as exc:
            if exc.connection:
                raise ServerUnavailable(
                    f"smtp: {exc.detail} (after {attempts} attempts)", attempts
                ) from exc
            log.warning("smtp: %s deferred: %s", recipient, exc.detail)
            return SendResult(recipient, "pending", attempts, exc.code, exc.detail)
        return SendResult(recipient, "sent", attempts, 250)
