"""Turn a rule's decision into the contract's AlertEvent, with the words a duty officer reads.

The event id is derived from (alert_id, opened_at, state), so a replayed decision yields the
same event and is stored once.
"""

from __future__ import annotations

from datetime import datetime

from cityops.contract import AlertEvent
from cityops.contract.enums import AlertKind, AlertState, Severity

#: (Vietnamese, English) message templates per kind; `{subject}`, `{detail}` filled in.
MESSAGES: dict[AlertKind, tuple[str, str]] = {
    AlertKind.DOSSIER_OVERDUE: (
        "Hồ sơ {subject} ({detail}) đã quá hạn xử lý",
        "Dossier {subject} ({detail}) is overdue",
    ),
    AlertKind.DOSSIER_DUE_SOON: (
        "Hồ sơ {subject} ({detail}) sắp đến hạn trả kết quả",
        "Dossier {subject} ({detail}) is due soon",
    ),
    AlertKind.PAYMENT_FAILURE_SPIKE: (
        "Tỷ lệ thanh toán thất bại qua {subject} tăng cao: {detail}",
        "Payment failures through {subject} are spiking: {detail}",
    ),
    AlertKind.SOURCE_SILENT: (
        "Nguồn dữ liệu {subject} không gửi sự kiện: {detail}",
        "Source {subject} has gone silent: {detail}",
    ),
    AlertKind.ON_TIME_RATE_LOW: (
        "Tỷ lệ giải quyết đúng hạn của {subject} dưới mục tiêu: {detail}",
        "On-time rate of {subject} is under target: {detail}",
    ),
    AlertKind.SATISFACTION_LOW: (
        "Mức độ hài lòng về {subject} giảm: {detail}",
        "Satisfaction with {subject} dropped: {detail}",
    ),
}


def build_alert(
    *,
    kind: AlertKind,
    state: AlertState,
    severity: Severity,
    subject: str,
    opened_at: datetime,
    resolved_at: datetime | None,
    detail: str,
    agency_code: str | None,
    source: str,
    version: int | None = None,
    backlog: bool = False,
) -> AlertEvent:
    alert_id = AlertEvent.make_id(kind, subject)
    vi, en = MESSAGES[kind]
    prefix_vi, prefix_en = ("", "") if state == AlertState.FIRING else ("Đã xử lý: ", "Resolved: ")
    opened_ms = int(opened_at.timestamp() * 1000)
    return AlertEvent.build(
        event_id=f"{alert_id}:{opened_ms}:{state.value}",
        occurred_at=resolved_at if resolved_at is not None else opened_at,
        source=source,
        alert_id=alert_id,
        kind=kind,
        severity=severity,
        state=state,
        subject=subject,
        agency_code=agency_code or None,
        message=prefix_vi + vi.format(subject=subject, detail=detail),
        message_en=prefix_en + en.format(subject=subject, detail=detail),
        opened_at=opened_at,
        resolved_at=resolved_at if state == AlertState.RESOLVED else None,
        version=version,
        backlog=backlog,
    )
