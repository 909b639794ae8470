"""Who is told: contact points and the notification policy that routes alerts to them.

Critical alerts go to the duty officers' webhook within 30 seconds (group_wait); the rest
go to the operations mailbox, grouped per rule and agency so one bad morning is one mail.
Addresses are not code: file provisioning leaves `${ENV}` placeholders that Grafana fills
from its environment; `cityops dashboards provision` passes the real values.
"""

from __future__ import annotations

from dataclasses import dataclass

from cityops.contract import Severity
from dashboards.defaults import Json

DUTY_OFFICERS = "cityops-duty-officers"
OPERATIONS = "cityops-operations"
WEBHOOK_ENV = "CITYOPS_ALERT_WEBHOOK_URL"
EMAIL_ENV = "CITYOPS_ALERT_EMAIL"
#: At most this long between the first critical alert and the page.
CRITICAL_GROUP_WAIT = "30s"


@dataclass(frozen=True)
class Recipients:
    webhook_url: str = "${" + WEBHOOK_ENV + "}"
    email: str = "${" + EMAIL_ENV + "}"


def contact_points(recipients: Recipients) -> list[Json]:
    """Grafana contact points, each with one receiver (API and file forms share these)."""
    return [
        {
            "uid": DUTY_OFFICERS,
            "name": DUTY_OFFICERS,
            "type": "webhook",
            "settings": {"url": recipients.webhook_url, "httpMethod": "POST"},
            "disableResolveMessage": False,
        },
        {
            "uid": OPERATIONS,
            "name": OPERATIONS,
            "type": "email",
            "settings": {"addresses": recipients.email, "singleEmail": True},
            "disableResolveMessage": False,
        },
    ]


def policy_tree() -> Json:
    """The notification policy tree: default to operations, critical to the duty officers."""
    return {
        "receiver": OPERATIONS,
        "group_by": ["grafana_folder", "alertname", "agency"],
        "group_wait": "1m",
        "group_interval": "5m",
        "repeat_interval": "4h",
        "routes": [
            {
                "receiver": DUTY_OFFICERS,
                "object_matchers": [["severity", "=", Severity.CRITICAL.value]],
                "group_by": ["alertname", "agency", "provider", "source"],
                "group_wait": CRITICAL_GROUP_WAIT,
                "group_interval": "1m",
                "repeat_interval": "1h",
                "continue": False,
            }
        ],
    }
