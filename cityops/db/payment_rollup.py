"""What `cityops db compact` rolls of the payments: settled days of `agg_payment_daily`
summed per cell for `v_payment_daily` and per agency for `v_payment_agency_daily`
(migration 038), by the shared roll of cityops/db/day_rollup.py.

`agg_payment_daily` holds partial states per (cell, payment), merged here per payment as
the views merge them (`v_payment_daily.sql`): a payment counts once per status in its
cell, with its latest succeeded amount and method.
"""

from __future__ import annotations

from cityops.db.client import SqlClient
from cityops.db.day_rollup import CELL, DayRollup, Rollup, roll_changed
from cityops.db.tables import (
    AGG_PAYMENT_DAILY,
    PAYMENT_AGENCY_ROLLUP,
    PAYMENT_DAILY_ROLLUP,
    PAYMENT_DAY_STATUS,
)

#: Recorded in `backfills` once the history of an upgraded deployment is rolled.
PAYMENT_ROLLUP_HISTORY = "payment_rollup_history"

_PAID = "is_succeeded = 1"
_CASHLESS = f"{_PAID} AND paid_cashless = 1"

PAYMENTS = DayRollup(
    what=AGG_PAYMENT_DAILY,
    source=AGG_PAYMENT_DAILY,
    entity="payment_id",
    latest=(
        "maxMerge(initiated) AS is_initiated",
        "maxMerge(succeeded) AS is_succeeded",
        "maxMerge(failed) AS is_failed",
        "maxMerge(refunded) AS is_refunded",
        "argMaxIfMerge(succeeded_amount) AS paid_amount",
        "argMaxIfMerge(succeeded_cashless) AS paid_cashless",
    ),
    # initiated, succeeded, failed, refunded, amount_vnd, cashless_succeeded,
    # cashless_amount_vnd: the rollup tables' figures, as v_payment_daily counts them.
    totals=(
        "countIf(is_initiated = 1)",
        f"countIf({_PAID})",
        "countIf(is_failed = 1)",
        "countIf(is_refunded = 1)",
        f"sumIf(paid_amount, {_PAID})",
        f"countIf({_CASHLESS})",
        f"sumIf(paid_amount, {_CASHLESS})",
    ),
    rollups=(
        Rollup(PAYMENT_DAILY_ROLLUP, CELL),
        Rollup(PAYMENT_AGENCY_ROLLUP, "day, agency_code"),
    ),
    status=PAYMENT_DAY_STATUS,
)


def backfill_payment_rollup(client: SqlClient, database: str) -> None:
    """Roll every settled day of the payment history (migration 038 recorded them as
    arrived); safe to re-run: a later roll of a day wins."""
    roll_changed(client, database, PAYMENTS)
