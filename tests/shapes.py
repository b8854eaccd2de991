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
