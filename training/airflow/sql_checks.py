"""Airflow's common-sql check operators, pointed at one day chosen by a template.

``SQLIntervalCheckOperator`` always compares ``{{ ds }}`` (the logical date) with N days
before it; trainguard's runs validate the day *before* the logical date, so this subclass takes
both days as templates. Zero counts fail (``ignore_zero=False``) instead of passing silently.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.common.sql.operators.sql import SQLIntervalCheckOperator


class DayIntervalCheckOperator(SQLIntervalCheckOperator):
    """Compare metrics of ``table`` on ``day`` with the same metrics on ``reference_day``.

    :param day: the day to check, a template such as ``{{ macros.ds_add(ds, -1) }}``.
    :param reference_day: the day to compare with, e.g. ``{{ macros.ds_add(ds, -8) }}``.
    :param metrics_thresholds: SQL expression -> largest allowed ratio, e.g. ``{"COUNT(*)": 1.5}``.

    Other arguments as ``SQLIntervalCheckOperator`` (``table``, ``date_filter_column``,
    ``ratio_formula``, ``conn_id``).
    """

    def __init__(self, *, day: str, reference_day: str, **kwargs: Any) -> None:
        kwargs.setdefault("ignore_zero", False)
        super().__init__(**kwargs)
        # The parent builds "<select> WHERE <column>='{{ ds }}'"; keep the select, swap the day.
        select = self.sql1.removesuffix("'{{ ds }}'")
        self.sql1 = f"{select}'{day}'"
        self.sql2 = f"{select}'{reference_day}'"
