"""Pages from the workers' alerts: one per agency and kind, never one per dossier.

The workers raise an alert per overdue dossier, per failing provider, per silent source;
each stays a row (`v_alerts`, the dossiers dashboard lists them). A duty officer is paged
for the sum: "SKHDT: 12 hồ sơ quá hạn, 3 mới trong 1 giờ" with a link to that agency's
list. The notification policy (`notify.policy_tree`) groups these per agency and kind and
repeats them hourly at most, so a bad morning is one page per desk, not hundreds.
"""

from __future__ import annotations

from cityops.contract import AlertState, Severity
from cityops.db.tables import V_ALERTS_LIVE
from dashboards.alert_kinds import KINDS
from dashboards.alerting.model import Detail, Rule, reduced_ref
from dashboards.uids import DOSSIERS

#: Seconds back that count as "new" in a page.
NEW_WITHIN_S = 3600


_PAGED = (
    f"state = '{AlertState.FIRING.value}' "
    f"AND severity IN ('{Severity.CRITICAL.value}', '{Severity.WARNING.value}') "
    # Raised while a worker caught up on a backlog: recorded, not paged (docs/read-api.md).
    "AND backlog = 0"
)
_LABELS = "ifNull(agency_code, '') AS agency, kind, severity"


def firing_sql(view: str = V_ALERTS_LIVE) -> str:
    """Firing alerts per agency, kind and severity (`view`: qualified where needed; every
    firing alert is in `v_alerts_live`)."""
    return f"""
    SELECT {_LABELS}, toFloat64(count()) AS value
    FROM {view}
    WHERE {_PAGED}
    GROUP BY agency, kind, severity
    """


FIRING_SQL = firing_sql()
NEW_SQL = f"""
    SELECT {_LABELS}, toFloat64(countIf(opened_at >= now() - {NEW_WITHIN_S})) AS value
    FROM {V_ALERTS_LIVE}
    WHERE {_PAGED}
    GROUP BY agency, kind, severity
    """
NEW = Detail("N", NEW_SQL)


def _by_kind(pick: str) -> str:
    """A template choosing per `$labels.kind` among the KINDS (`pick`: vi, en, uid)."""
    branches = [
        f'{{{{ {"if" if i == 0 else "else if"} eq $labels.kind "{kind.value}" }}}}'
        + (words.dashboard_uid if pick == "uid" else getattr(words, pick))
        for i, (kind, words) in enumerate(KINDS.items())
    ]
    return "".join(branches) + "{{ else }}{{ $labels.kind }}{{ end }}"


#: Where a page sends its reader: the kind's dashboard, on the agency.
LINK = "{{ externalURL }}/d/" + _by_kind("uid") + "?var-agency={{ $labels.agency }}"

_COUNT = "{{ humanize $values.B.Value }}"
_NEW = "{{ humanize $values." + reduced_ref(NEW) + ".Value }}"
_WHERE = "{{ if $labels.agency }}{{ $labels.agency }}{{ else }}Toàn tỉnh{{ end }}"

PAGE = Rule(
    uid="cityops-pages",
    title="Alerts raised by the workers, per agency and kind",
    group="pages",
    sql=FIRING_SQL,
    evaluator="gt",
    threshold=0,
    # Each instance keeps the severity the workers gave its kind.
    severity="{{ $labels.severity }}",
    summary=f"{_WHERE}: {_COUNT} {_by_kind('vi')}, {_NEW} mới trong 1 giờ",
    description=(
        f"{_WHERE}: {_COUNT} {_by_kind('en')} (firing alerts raised by the stream workers), "
        f"{_NEW} of them new in the last hour. Open the link for the list of this agency and "
        "call its desk; each alert is a row in v_alerts."
    ),
    dashboard_uid=DOSSIERS,
    link=LINK,
    pending="0s",
    details=(NEW,),
)

RULES: tuple[Rule, ...] = (PAGE,)
