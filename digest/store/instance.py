"""The installation's own random id, kept in the store: what sets its mail apart from others'."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest.store.engine import dialect_insert
from digest.store.models import Setting

INSTANCE_ID = "instance_id"


def instance_id(session: Session) -> str:
    """The id migration 0007 made; made again (and kept with the caller's commit) if someone
    deleted the row, never changed otherwise."""
    value = session.scalar(select(Setting.value).where(Setting.name == INSTANCE_ID))
    if value:
        return value
    session.execute(
        dialect_insert(session)(Setting)
        .values(name=INSTANCE_ID, value=uuid.uuid4().hex)
        .on_conflict_do_nothing(index_elements=[Setting.name])
    )
    return session.scalars(select(Setting.value).where(Setting.name == INSTANCE_ID)).one()
