"""A table unlike the demo's, for "any table" tests: wide, with a high-cardinality text column,
sparse nulls and weekly seasonality in volume. Seeded: the same day always gives the same rows."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd

NUMERIC = [f"f{i:02d}" for i in range(40)]
CATEGORIES = {"country": ["de", "fr", "it", "nl", "pl", "se"], "device": ["android", "ios", "web"]}


def wide_day(day: dt.date, seed: int = 3) -> pd.DataFrame:
    digest = hashlib.sha256(f"{seed}:{day.isoformat()}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    n = int(rng.normal(400 * (1.5 if day.weekday() >= 5 else 1.0), 15))
    data: dict[str, object] = {name: rng.normal(i, 1 + i / 10, size=n).round(4) for i, name in enumerate(NUMERIC)}
    for name, values in CATEGORIES.items():
        data[name] = pd.Series(rng.choice(values, size=n), dtype=object)
    data["user_id"] = pd.Series([f"u{v:08d}" for v in rng.integers(0, 10**8, size=n)], dtype=object)
    data["is_returning"] = rng.random(n) < 0.3
    frame = pd.DataFrame(data)
    for name in NUMERIC[::7]:
        frame.loc[rng.random(n) < 0.03, name] = np.nan
    return frame


ORDER_REGIONS = {"north": 0.0, "south": 0.6, "east": 0.3, "west": 1.1}


def orders_day(day: dt.date, seed: int = 5) -> pd.DataFrame:
    """A delivery table the demo does not know: ``delivery_hours`` (regression) and ``late``
    (0/1, classification) depend on distance, items and region; ``basket_value`` is noise."""
    digest = hashlib.sha256(f"orders:{seed}:{day.isoformat()}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    n = int(rng.integers(560, 640))
    region = rng.choice(list(ORDER_REGIONS), size=n)
    distance = rng.gamma(2.0, 3.0, size=n).round(2)
    items = rng.poisson(3, size=n) + 1
    hours = 0.8 + 0.35 * distance + 0.15 * items + np.array([ORDER_REGIONS[r] for r in region])
    hours = hours + rng.normal(0, 0.4, size=n)
    frame = pd.DataFrame(
        {
            "order_id": [f"o{day:%Y%m%d}{i:05d}" for i in range(n)],
            "basket_value": rng.lognormal(3.5, 0.5, size=n).round(2),
            "distance_km": distance,
            "items": items,
            "region": pd.Series(region, dtype=object),
            "channel": pd.Series(rng.choice(["app", "web"], size=n, p=[0.7, 0.3]), dtype=object),
            "delivery_hours": hours.round(3),
            "late": (hours > 4.0).astype(int),
        }
    )
    frame.loc[rng.random(n) < 0.02, "basket_value"] = np.nan
    return frame
