"""Exactly one edition a week, however many schedulers run: publishing happens under a database lock."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from digest.deliver.publish import Published, Publishing, publish_due
from digest.store.claims import held

log = logging.getLogger(__name__)

PUBLISH_LOCK = "ckmon:publish"


def publish_due_locked(session: Session, config: Publishing, now: datetime) -> Published | None:
    """`publish_due`, by one scheduler at a time; the others return None at once.

    Whoever gets the lock checks what is due and sends it; a scheduler that comes after finds the
    edition sent (not due any more), one that comes during finds the lock taken.
    """
    engine = session.get_bind()
    with held(engine, PUBLISH_LOCK) as mine:
        if not mine:
            log.info("another scheduler is publishing; this one leaves it the edition")
            return None
        return publish_due(session, config, now)
