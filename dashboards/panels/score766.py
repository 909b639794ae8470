"""The 766 index (Decision 766/QĐ-TTg) per agency, from the indicators cityops computes.

Points for an indicator = min(1, rate / full_at) x max points; the score adds them and is
scaled to 100 by the points these indicators can reach (`targets.MAX_POINTS`), so bands
read like the national ones. Indicators, thresholds and bands come from `targets`.
"""

from __future__ import annotations

from cityops.db.tables import REF_AGENCIES, V_DOSSIER_AGENCY_DAILY, V_PORTAL_DAILY
from dashboards import defaults as d
from dashboards import targets
from dashboards.columns import linked_agency
from dashboards.sql import DAYS_IN_RANGE, rate
from dashboards.targets import INDICATORS, MAX_POINTS, Indicator

_VIEWS = {"dossier": V_DOSSIER_AGENCY_DAILY, "portal": V_PORTAL_DAILY}


def band_steps() -> d.Json:
    first, *rest = targets.SCORE_BANDS
    return d.steps((None, first.color), *((b.lower, b.color) for b in rest))


def _points(indicator: Indicator) -> str:
    """Points of one indicator from its summed counts; 0 when there is nothing to rate."""
    value = rate(f"{indicator.numerator}", f"{indicator.denominator}")
    return (
        f"ifNull(least(1, {value} / {indicator.full_at}), 0) * {indicator.max_points} "
        f"AS {indicator.column}"
    )


def _counts(view: str) -> str:
    columns = ", ".join(
        f"sum({c}) AS {c}"
        for i in INDICATORS
        if i.view == view
        for c in (i.numerator, i.denominator)
    )
    return (
        f"SELECT agency_code, {columns} FROM {_VIEWS[view]} "
        f"WHERE {DAYS_IN_RANGE} GROUP BY agency_code"
    )


def score_sql() -> str:
    """agency, one points column per indicator and `score` (0-100), best first.

    Two subqueries (dossier and portal counts per agency) joined one at a time, as
    ClickHouse 18.16 allows one JOIN per SELECT; agencies come from the reference table,
    and an agency with nothing to rate in the range is left out rather than scored 0.
    """
    point_columns = ", ".join(_points(i) for i in INDICATORS)
    total = " + ".join(i.column for i in INDICATORS)
    counts = ", ".join(c for i in INDICATORS for c in (i.numerator, i.denominator))
    return f"""
        SELECT agency_code, agency, {", ".join(i.column for i in INDICATORS)},
               round(({total}) * 100 / {MAX_POINTS}, 1) AS score
        FROM (
            SELECT agency_code, if(agency_name = '', agency_code, agency_name) AS agency,
                   {point_columns}
            FROM (
                SELECT agency_code, agency_name, {counts}
                FROM (SELECT agency_code, agency_name FROM {REF_AGENCIES.name}) AS a
                ANY LEFT JOIN (
                    SELECT * FROM ({_counts("dossier")}) AS dc
                    ANY LEFT JOIN ({_counts("portal")}) AS pc USING (agency_code)
                ) AS c USING (agency_code)
            )
            WHERE {" + ".join(dict.fromkeys(i.denominator for i in INDICATORS))} > 0
        )
        ORDER BY score DESC, agency ASC
        """


def by_agency(height: int = 10) -> d.Panel:
    names = ", ".join(f"{i.code} {i.title} ({i.max_points:g} pts)" for i in INDICATORS)
    return d.table(
        "Chỉ số 766 theo cơ quan",
        f"766 score by agency: points per indicator over the time range: {names}; score "
        "scaled to 100. "
        "Bands: " + ", ".join(f"{b.name} from {b.lower:g}" for b in targets.SCORE_BANDS) + ".",
        score_sql(),
        columns={
            **linked_agency(),
            **{
                i.column: d.Column(f"{i.code} {i.title_vi} ({i.max_points:g})", d.POINTS)
                for i in INDICATORS
            },
            "score": d.Column("Điểm", d.POINTS, band_steps()),
        },
        height=height,
    )


def province() -> d.Panel:
    return d.stat(
        "Chỉ số 766 toàn tỉnh",
        "766 score (province): mean of the agencies' 766 scores over the time range (0-100).",
        f"SELECT round(avg(score), 1) AS score FROM ({score_sql()})",
        unit=d.POINTS,
        thresholds=band_steps(),
        decimals=1,
    )
