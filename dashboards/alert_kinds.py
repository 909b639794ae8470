"""The words for each kind of alert the workers raise, and the dashboard that lists them.

Pages and the wall's alert tables name kinds the same way (`hồ sơ quá hạn`, not
`dossier_overdue`); a test fails when the contract gains a kind not named here.
"""

from __future__ import annotations

from dataclasses import dataclass

from cityops.contract import AlertKind
from dashboards import uids


@dataclass(frozen=True)
class KindWords:
    """How a page names a count of one kind of alert, and where its list is."""

    vi: str
    en: str
    dashboard_uid: str


KINDS: dict[AlertKind, KindWords] = {
    AlertKind.DOSSIER_OVERDUE: KindWords("hồ sơ quá hạn", "dossiers overdue", uids.DOSSIERS),
    AlertKind.DOSSIER_DUE_SOON: KindWords("hồ sơ sắp đến hạn", "dossiers due soon", uids.DOSSIERS),
    AlertKind.PAYMENT_FAILURE_SPIKE: KindWords(
        "cổng thanh toán lỗi nhiều", "payment providers failing", uids.PAYMENTS
    ),
    AlertKind.SOURCE_SILENT: KindWords("nguồn dữ liệu im lặng", "sources silent", uids.PIPELINE),
    AlertKind.ON_TIME_RATE_LOW: KindWords(
        "tỷ lệ đúng hạn dưới mục tiêu", "on-time rate under target", uids.DOSSIERS
    ),
    AlertKind.SATISFACTION_LOW: KindWords("mức hài lòng thấp", "satisfaction low", uids.PORTAL),
}
