"""Seeded generator of a realistic daily ``trips`` table, with optional skew on chosen days.

Each day has a few hundred to a few thousand trips; volume, distance and duration follow a
weekly pattern (busy Fridays and Saturdays, quiet Sundays) plus noise. The same seed and day
always give the same rows, so any day can be regenerated independently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.core.errors import TrainguardError

TABLE = "trips"
DATE_COLUMN = "ds"
TARGET = "duration_min"
NUMERIC = ["pickup_hour", "distance_km", "passengers", "temperature_c", "tip_rate"]
CATEGORICAL = ["pickup_zone", "payment_type", "vehicle_type"]

ZONES = ["airport", "central", "docks", "east", "harbour", "north", "old_town", "south", "university", "west"]
ZONE_WEIGHTS = [0.06, 0.22, 0.05, 0.1, 0.07, 0.12, 0.11, 0.12, 0.07, 0.08]
ZONE_SPEED = dict(zip(ZONES, [1.35, 0.7, 1.0, 0.95, 1.05, 1.0, 0.75, 1.0, 0.9, 1.1], strict=True))
PAYMENTS = ["app", "card", "cash"]
VEHICLES = ["premium", "standard", "xl"]
# Monday..Sunday multipliers of daily volume and trip length.
WEEKDAY_VOLUME = [0.9, 0.92, 0.97, 1.05, 1.3, 1.4, 0.8]
WEEKDAY_DISTANCE = [1.0, 1.0, 1.0, 1.02, 1.08, 1.15, 1.1]

SKEW_KINDS = (
    "drop_column",
    "new_column",
    "type_change",
    "null_burst",
    "mean_shift",
    "new_category",
    "row_collapse",
)


# How big each value skew is unless told: the sizes the detection tests promise to catch.
DEFAULT_AMOUNTS = {
    "null_burst": 0.2,  # share of values set to null
    "mean_shift": 3.0,  # shift in standard deviations of the feature
    "new_category": 0.05,  # share of values replaced by an unseen category
    "row_collapse": 0.5,  # share of the day's rows lost
}


@dataclass(frozen=True)
class Skew:
    """A problem injected into one day: ``kind`` applied to ``column`` (when it needs one), of
    size ``amount`` (see ``DEFAULT_AMOUNTS``)."""

    day: dt.date
    kind: str
    column: str | None = None
    amount: float | None = None

    @property
    def size(self) -> float:
        return DEFAULT_AMOUNTS.get(self.kind, 0.0) if self.amount is None else self.amount

    def describe(self) -> str:
        """What is injected where, for the user: ``mean_shift on 2026-09-12: distance_km shifted
        by 3 standard deviations``."""
        share = f"{self.size:.0%}" if self.kind in ("null_burst", "new_category", "row_collapse") else ""
        detail = {
            "drop_column": f"{self.column} emptied (every value null)",
            "new_column": f"column {self.column or 'promo_code'} added",
            "type_change": f"{self.column} turned into text ('<value> units')",
            "null_burst": f"{share} of {self.column} set to null",
            "mean_shift": f"{self.column} shifted by {self.size:g} standard deviations",
            "new_category": f"{share} of {self.column} set to 'unknown_{self.column}'",
            "row_collapse": f"{share} of the day's rows dropped",
        }[self.kind]
        return f"{self.kind} on {self.day.isoformat()}: {detail}"

    @classmethod
    def parse(cls, text: str) -> Skew:
        """Parse ``YYYY-MM-DD:KIND[:COLUMN[:AMOUNT]]``."""
        parts = text.split(":")
        if len(parts) not in (2, 3, 4):
            raise TrainguardError(f"invalid skew {text!r}: expected YYYY-MM-DD:KIND[:COLUMN[:AMOUNT]]")
        try:
            day = dt.date.fromisoformat(parts[0])
        except ValueError as exc:
            raise TrainguardError(f"invalid skew date {parts[0]!r}: expected YYYY-MM-DD") from exc
        kind = parts[1]
        if kind not in SKEW_KINDS:
            raise TrainguardError(f"unknown skew kind {kind!r}: choose from {', '.join(SKEW_KINDS)}")
        column = parts[2] if len(parts) >= 3 and parts[2] else None
        if kind != "row_collapse" and kind != "new_column" and column is None:
            raise TrainguardError(f"skew kind {kind!r} needs a column: {parts[0]}:{kind}:COLUMN")
        amount = None
        if len(parts) == 4:
            try:
                amount = float(parts[3])
            except ValueError:
                raise TrainguardError(f"invalid skew amount {parts[3]!r}: expected a number") from None
            shares = ("null_burst", "new_category", "row_collapse")
            if not math.isfinite(amount) or (kind in shares and not 0 <= amount < 1):
                limit = "a share from 0 up to (not including) 1" if kind in shares else "a finite number"
                raise TrainguardError(f"invalid skew amount {parts[3]!r} for {kind}: expected {limit}")
        return cls(day=day, kind=kind, column=column, amount=amount)


def _rng(seed: int, day: dt.date) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{day.isoformat()}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def generate_day(day: dt.date, seed: int = 7, scale: float = 1.0) -> pd.DataFrame:
    """The clean trips of ``day`` (without the date column); ``scale`` multiplies the volume
    (benchmarks use it for days of 10k to 1M rows)."""
    rng = _rng(seed, day)
    weekday = day.weekday()
    season = np.sin(2 * np.pi * (day.timetuple().tm_yday - 110) / 365.25)
    n = int(scale * rng.normal(1200 * WEEKDAY_VOLUME[weekday], 60))
    hour = rng.choice(24, size=n, p=_hour_profile(weekday))
    zone = rng.choice(ZONES, size=n, p=ZONE_WEIGHTS)
    distance = rng.lognormal(mean=np.log(4.5 * WEEKDAY_DISTANCE[weekday]), sigma=0.55, size=n)
    distance = np.where(zone == "airport", distance * 2.4, distance).round(2)
    passengers = rng.choice([1, 2, 3, 4, 5, 6], size=n, p=[0.58, 0.24, 0.08, 0.06, 0.025, 0.015])
    vehicle = np.where(passengers >= 5, "xl", rng.choice(VEHICLES, size=n, p=[0.12, 0.83, 0.05]))
    payment = rng.choice(PAYMENTS, size=n, p=[0.45, 0.4, 0.15])
    temperature = (12 + 9 * season + rng.normal(0, 1.5) + rng.normal(0, 2.0, size=n)).round(1)
    tip_rate = rng.gamma(2.0, 0.05, size=n).round(3)
    # Cash tips are often not recorded: sparse nulls that are normal for this feature.
    tip_missing = (payment == "cash") & (rng.random(n) < 0.15)
    rush = np.isin(hour, [7, 8, 9, 16, 17, 18]).astype(float)
    zone_speed = np.array([ZONE_SPEED[z] for z in ZONES])[np.searchsorted(ZONES, zone)]
    speed = zone_speed * (1 - 0.25 * rush) * np.where(vehicle == "premium", 1.05, 1.0)
    duration = 2.5 + 2.1 * distance / speed + rng.normal(0, 2.0, size=n) + 0.04 * np.clip(-temperature, 0, None)
    return pd.DataFrame(
        {
            "pickup_hour": hour.astype("int64"),
            "distance_km": distance,
            "passengers": passengers.astype("int64"),
            "temperature_c": temperature,
            "tip_rate": pd.Series(np.where(tip_missing, np.nan, tip_rate)),
            "pickup_zone": pd.Series(zone, dtype=object),
            "payment_type": pd.Series(payment, dtype=object),
            "vehicle_type": pd.Series(vehicle, dtype=object),
            "duration_min": np.clip(duration, 1.0, None).round(2),
        }
    )


def _hour_profile(weekday: int) -> np.ndarray:
    hours = np.arange(24)
    commute = np.exp(-((hours - 8) ** 2) / 4) + np.exp(-((hours - 17.5) ** 2) / 5)
    night = np.exp(-((hours - 23) ** 2) / 6) * (1.5 if weekday >= 4 else 0.5)
    base = 0.15 + commute * (0.4 if weekday >= 5 else 1.0) + night
    base[2:6] *= 0.2
    return base / base.sum()


def apply_skew(frame: pd.DataFrame, skew: Skew, seed: int = 7) -> pd.DataFrame:
    """Return a copy of ``frame`` with ``skew`` applied."""
    rng = _rng(seed + 1, skew.day)
    out = frame.copy()
    column = skew.column
    if column is not None and skew.kind != "new_column" and column not in out.columns:
        raise TrainguardError(f"cannot skew unknown column {column!r}")
    if skew.kind == "drop_column":
        # A feed that stops sending a field leaves it empty in a daily-partitioned table.
        out[column] = None
    elif skew.kind == "new_column":
        out[column or "promo_code"] = pd.Series(rng.choice(["A10", "B20", "C5"], size=len(out)), dtype=object)
    elif skew.kind == "type_change":
        out[column] = out[column].map(lambda v: f"{v} units" if pd.notna(v) else None).astype(object)
    elif skew.kind == "null_burst":
        out[column] = out[column].astype(object).where(rng.random(len(out)) >= skew.size, None)
    elif skew.kind == "mean_shift":
        values = pd.to_numeric(out[column])
        out[column] = values + skew.size * values.std()
    elif skew.kind == "new_category":
        hit = rng.random(len(out)) < skew.size
        out[column] = out[column].astype(object).where(~hit, f"unknown_{column}")
    elif skew.kind == "row_collapse":
        kept = 1 - skew.size
        out = out.sample(frac=kept, random_state=int(rng.integers(1 << 31))).reset_index(drop=True)
    return out
