"""The demo generator: deterministic, realistic (weekly seasonality, sparse nulls), and each skew
kind does what it says."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from training.core.errors import TrainguardError
from training.demo.generate import NUMERIC, SKEW_KINDS, Skew, apply_skew, generate_day

DAY = dt.date(2026, 9, 9)


def test_same_seed_same_rows_and_other_seed_other_rows():
    pd.testing.assert_frame_equal(generate_day(DAY), generate_day(DAY))
    assert not generate_day(DAY).equals(generate_day(DAY, seed=8))


def test_weekly_seasonality_in_volume():
    weeks = [dt.date(2026, 9, 7) + dt.timedelta(days=i) for i in range(28)]
    volume = pd.Series({d: len(generate_day(d)) for d in weeks})
    by_weekday = volume.groupby([d.weekday() for d in volume.index]).mean()
    assert by_weekday[5] > 1.3 * by_weekday[6]  # Saturdays are busy, Sundays quiet
    assert 300 < volume.min() and volume.max() < 3000


def test_sparse_nulls_only_where_expected():
    frame = generate_day(DAY)
    assert 0 < frame["tip_rate"].isna().mean() < 0.05
    assert frame.drop(columns="tip_rate").notna().all().all()


@pytest.mark.parametrize("kind", SKEW_KINDS)
def test_each_skew_changes_the_day(kind):
    clean = generate_day(DAY)
    column = None if kind == "row_collapse" else ("pickup_zone" if kind == "new_category" else "distance_km")
    if kind == "new_column":
        column = "promo_code"
    skewed = apply_skew(clean, Skew(DAY, kind, column))
    if kind == "drop_column":
        assert skewed[column].isna().all()
    elif kind == "new_column":
        assert column in skewed.columns and column not in clean.columns
    elif kind == "type_change":
        assert skewed[column].astype(str).str.endswith(" units").all()
    elif kind == "null_burst":
        assert 0.15 < skewed[column].isna().mean() < 0.25
    elif kind == "mean_shift":
        assert skewed[column].mean() - clean[column].mean() == pytest.approx(3 * clean[column].std())
    elif kind == "new_category":
        assert 0.03 < (skewed[column] == "unknown_pickup_zone").mean() < 0.07
    elif kind == "row_collapse":
        assert len(skewed) == pytest.approx(0.5 * len(clean), abs=1)


def test_skew_size_can_be_chosen():
    skew = Skew.parse("2026-09-09:null_burst:tip_rate:0.5")
    assert skew.size == 0.5
    assert Skew.parse("2026-09-09:row_collapse").size == 0.5
    skewed = apply_skew(generate_day(DAY), skew)
    assert 0.45 < skewed["tip_rate"].isna().mean() < 0.6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-09-09", "expected YYYY-MM-DD:KIND"),
        ("2026-09-31:mean_shift:distance_km", "invalid skew date"),
        ("2026-09-09:explode:distance_km", "unknown skew kind 'explode'"),
        ("2026-09-09:mean_shift", "needs a column"),
        ("2026-09-09:null_burst:tip_rate:lots", "invalid skew amount"),
        ("2026-09-09:row_collapse::1.5", "expected a share"),
        ("2026-09-09:mean_shift:distance_km:inf", "expected a finite number"),
    ],
)
def test_bad_skew_specs_are_clear_errors(text, message):
    with pytest.raises(TrainguardError, match=message):
        Skew.parse(text)


def test_features_cover_numeric_and_categorical():
    frame = generate_day(DAY)
    assert all(pd.api.types.is_numeric_dtype(frame[c]) for c in NUMERIC)
