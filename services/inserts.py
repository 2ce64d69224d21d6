"""Writing new rows with Core INSERTs where the unit of work would cost too much: the
booking path's one speed device, measured in docs/benchmarks.md.

A flush works out what changed, in which order to write it and what to read back: about
0.2 ms an object on the booking path, more than the INSERT itself. ``insert_now`` writes a
new object with one statement and attaches it to the session as if it had been loaded,
``insert_rows`` writes rows nobody reads back. Both write in the current transaction, at
once, after the session's autoflush: a constraint's refusal of this row or of a pending
change surfaces at the call (``write_transaction`` maps it wherever it surfaces).
``insert_new_booking`` puts them together for a new booking; the booking path uses only it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import Column, insert, inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from extensions import db

T = TypeVar("T")


def insert_now(obj: T) -> T:
    """INSERT a new ORM object now and return it persistent and unchanged, every column
    loaded (the columns left unset take their Python-side defaults first).

    Only the object's own row is written: set foreign keys, not relationships. Collections
    given to the constructor (``history=[]``) stay loaded as given. A rollback leaves the
    object expired, like any row the transaction loaded: its row is gone with the rest.
    """
    state = inspect(obj)
    if state.key is not None or state.session_id is not None:
        raise ValueError("insert_now writes new objects only")
    mapper = state.mapper
    table = mapper.local_table
    values = {}
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if prop.key not in state.dict:
            if column.primary_key:
                continue
            setattr(obj, prop.key, _default(column))
        values[column.key] = state.dict[prop.key]
    key = db.session.execute(insert(table).returning(*table.primary_key), values).one()
    for column, value in zip(table.primary_key, key, strict=True):
        setattr(obj, mapper.get_property_by_column(column).key, value)
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj


def insert_new_booking(booking, first_entry, coupon_id: int | None = None) -> None:
    """Write a new booking, its first history entry and its coupon redemption with one
    INSERT each, and leave the booking in the session as loaded, with that history and no
    suggestions: its answer is built without reading anything back. Commit it with
    ``write_transaction(keep_loaded=True)``, so the commit does not expire it either.

    ``first_entry`` is the unsaved ``BookingHistory``; its ``booking_id`` is filled in.
    Saves about 0.5 ms a booking against the unit of work (docs/benchmarks.md)."""
    from models import CouponRedemption

    insert_now(booking)
    first_entry.booking_id = booking.id
    insert_now(first_entry)
    set_committed_value(booking, "history", [first_entry])
    set_committed_value(booking, "suggestions", [])
    if coupon_id is not None:
        insert_rows(CouponRedemption, [{"coupon_id": coupon_id, "booking_id": booking.id}])


def insert_rows(model: type, rows: Sequence[dict]) -> None:
    """INSERT rows of ``model``'s table (keys: column names) in one statement."""
    if rows:
        db.session.execute(insert(inspect(model).local_table), list(rows))


def _default(column: Column):
    default = column.default
    if default is None or (not default.is_scalar and not default.is_callable):
        return None
    return default.arg(None) if default.is_callable else default.arg


def insert_ignoring_duplicates(model: type, row: dict):
    """An INSERT of ``row`` that does nothing when a unique key has it already (ON
    CONFLICT DO NOTHING on PostgreSQL and SQLite): with RETURNING, no row when it had."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(model).values(row).on_conflict_do_nothing()
