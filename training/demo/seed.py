"""Write the demo table into the warehouse, day by day, with optional skew."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from training.demo.generate import DATE_COLUMN, TABLE, Skew, apply_skew, generate_day
from training.warehouse.partitions import days_between
from training.warehouse.writer import write_day


def seed_demo(
    engine: sa.Engine,
    start: dt.date,
    end: dt.date,
    skews: Iterable[Skew] = (),
    seed: int = 7,
    table: str = TABLE,
) -> dict[dt.date, int]:
    """Generate and write every day from ``start`` to ``end``; returns rows written per day."""
    by_day: dict[dt.date, list[Skew]] = {}
    for skew in skews:
        by_day.setdefault(skew.day, []).append(skew)
    written = {}
    for day in days_between(start, end):
        frame = generate_day(day, seed)
        for skew in by_day.get(day, []):
            frame = apply_skew(frame, skew, seed)
        written[day] = write_day(engine, table, DATE_COLUMN, day, frame)
    return written
