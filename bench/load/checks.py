"""The database after the load: nothing lost, nothing doubled, every e-mail sent.

- every booking answered 201 is stored (and every accepted one is ``confirmed``);
- every stored booking of the load coaches was answered 201, or is one whose retry got
  409 because its first attempt (a 502 or a broken connection) had committed;
- no coach has two active bookings whose blocked times overlap (SQL over all coaches);
- every load booking has its outbox rows;
- the outbox empties: every row ``sent`` (none ``failed``), counted against the
  ``.eml`` files the app wrote (no ``MAIL_SERVER``); how long that took after the load.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from bench.load.workload import Ledger

ACTIVE = ("pending_payment", "requested", "confirmed")

# Active bookings of one coach overlapping an earlier one (by blocked start): with the
# running maximum of the earlier ones' ends, one pass per coach over an index order.
OVERLAPS = """
SELECT count(*) FROM (
    SELECT blocked_start_at,
           max(blocked_end_at) OVER (
               PARTITION BY coach_id ORDER BY blocked_start_at, id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
           ) AS earlier_end
    FROM booking WHERE status = ANY(%s)
) AS ordered
WHERE earlier_end > blocked_start_at
"""

WITHOUT_OUTBOX = """
SELECT count(*) FROM booking b
WHERE b.coach_id = ANY(%s)
  AND NOT EXISTS (SELECT 1 FROM outbox_email o WHERE o.booking_id = b.id)
"""


@dataclass
class BookingCheck:
    answered_201: int = 0
    stored: int = 0
    missing: list[int] = field(default_factory=list)  # answered 201, not stored
    stored_without_201: int = 0
    ambiguous_found: int = 0  # retry 409s whose booking is stored
    ambiguous_missing: int = 0
    accepted_not_confirmed: int = 0
    double_bookings: int = 0
    without_outbox: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


def check_bookings(dsn: str, coach_ids: list[int], ledger: Ledger) -> BookingCheck:
    result = BookingCheck(answered_201=len(ledger.made))
    with psycopg.connect(dsn) as connection:
        rows = connection.execute(
            "SELECT id, coach_id, client_id, start_at, status FROM booking"
            " WHERE coach_id = ANY(%s)",
            (coach_ids,),
        ).fetchall()
        stored = {row[0]: row for row in rows}
        result.stored = len(stored)
        result.missing = sorted(set(ledger.made) - set(stored))
        by_time = {(row[1], row[2], row[3]): row[0] for row in rows}
        ambiguous_ids = set()
        for key in ledger.ambiguous:
            booking_id = by_time.get(key)
            if booking_id is None:
                result.ambiguous_missing += 1
            else:
                result.ambiguous_found += 1
                ambiguous_ids.add(booking_id)
        result.stored_without_201 = len(set(stored) - set(ledger.made) - ambiguous_ids)
        result.accepted_not_confirmed = sum(
            1
            for booking_id in ledger.accepted
            if stored.get(booking_id, (0,) * 5)[4] != "confirmed"
        )
        for row in rows:
            result.statuses[row[4]] = result.statuses.get(row[4], 0) + 1
        result.double_bookings = connection.execute(OVERLAPS, (list(ACTIVE),)).fetchone()[0]
        result.without_outbox = connection.execute(WITHOUT_OUTBOX, (coach_ids,)).fetchone()[0]
    return result


@dataclass
class OutboxCheck:
    statuses: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    eml_files: int = 0
    all_sent_after: float | None = None  # seconds after the load ended; None: not in time
    waited: float = 0.0
    unsent_at_load_end: int = 0
    timeline: list[tuple[float, int]] = field(default_factory=list)  # (seconds, unsent)


def _statuses(connection) -> dict[str, int]:
    rows = connection.execute("SELECT status, count(*) FROM outbox_email GROUP BY status")
    return dict(rows.fetchall())


def wait_for_outbox(
    dsn: str,
    outbox_dir: Path,
    load_ended: float,
    limit: float,
    progress: Callable[[str], None] = print,
) -> OutboxCheck:
    """Poll until no row is ``pending`` or ``sending`` (or ``limit`` seconds passed)."""
    result = OutboxCheck()
    last_print = 0.0
    with psycopg.connect(dsn, autocommit=True) as connection:
        while True:
            statuses = _statuses(connection)
            unsent = statuses.get("pending", 0) + statuses.get("sending", 0)
            elapsed = time.monotonic() - load_ended
            if not result.timeline:
                result.unsent_at_load_end = unsent
            result.timeline.append((round(elapsed, 1), unsent))
            if unsent == 0:
                result.all_sent_after = elapsed
                break
            if elapsed > limit:
                break
            if elapsed - last_print >= 15:
                progress(f"  outbox: {unsent} unsent after {elapsed:.0f} s ({statuses})")
                last_print = elapsed
            time.sleep(1.0)
        result.waited = time.monotonic() - load_ended
        result.statuses = _statuses(connection)
        kinds = connection.execute("SELECT kind, count(*) FROM outbox_email GROUP BY kind")
        result.kinds = dict(kinds.fetchall())
    result.eml_files = sum(1 for _ in outbox_dir.glob("*.eml")) if outbox_dir.exists() else 0
    return result
