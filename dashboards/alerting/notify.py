"""Who is told: contact points, the message they get, and the policy that routes and paces it.

Pages (`alerting/pages.py`) are one alert instance per agency and kind, so the policy groups
by those labels and a duty officer gets one message per desk: critical ones within 30 s
(`CRITICAL_GROUP_WAIT`) to Telegram and the webhook, repeated at most hourly while still
firing; warnings to the operations mailbox every 4 hours at most. Only configured channels
exist (`cityops.settings.AlertingSettings`); with no channel at all nothing is provisioned
and Grafana keeps its own default policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from cityops.contract import Severity
from cityops.settings import AlertingSettings
from dashboards.defaults import Json

DUTY_OFFICERS = "cityops-duty-officers"
OPERATIONS = "cityops-operations"
TEMPLATE_NAME = "cityops"
MESSAGE = "cityops.message"
TITLE = "cityops.title"
#: At most this long between the first critical alert and the page.
CRITICAL_GROUP_WAIT = "30s"
#: Labels a page is grouped by: one notification per rule, agency and kind (or topic).
GROUP_BY = ["alertname", "agency", "kind", "topic"]

#: The text every channel sends: what, where, how many, and the link (with var-agency).
TEMPLATE = (
    f'{{{{ define "{TITLE}" }}}}[{{{{ if eq .CommonLabels.severity "{Severity.CRITICAL.value}" }}}}'
    "KHẨN{{ else }}CẢNH BÁO{{ end }}] {{ .CommonAnnotations.summary }}{{ end }}\n"
    f'{{{{ define "{MESSAGE}" }}}}{{{{ range .Alerts.Firing }}}}'
    "{{ .Annotations.summary }}\n{{ .Annotations.description }}\n{{ .Annotations.runbook_url }}\n"
    "{{ end }}{{ range .Alerts.Resolved }}Đã hết / resolved: {{ .Annotations.summary }}\n"
    "{{ end }}{{ end }}"
)


@dataclass(frozen=True)
class Recipients:
    """Configured channels, with secrets as values (API) or as references (files)."""

    email_to: str = ""
    telegram_chat_id: str = ""
    telegram_bot_token: str = ""
    webhook_url: str = ""
    webhook_token: str = ""

    @property
    def duty_channels(self) -> bool:
        return bool(self.telegram_chat_id or self.webhook_url)

    @property
    def any(self) -> bool:
        return bool(self.email_to or self.duty_channels)


def _secret_ref(file: str, env: str) -> str:
    """What a provisioning file holds instead of a secret; Grafana expands it at start."""
    return f"$__file{{{file}}}" if file else f"$__env{{{env}}}"


def file_recipients(settings: AlertingSettings) -> Recipients:
    """Channels for provisioning files: addresses as configured, secrets as references.

    A channel missing a part Grafana requires (e-mail without SMTP, Telegram without a bot
    token) is left out: Grafana would refuse it and not start.
    """
    token_set = bool(settings.webhook_token or settings.webhook_token_path)
    bot_set = bool(settings.telegram_bot_token or settings.telegram_bot_token_path)
    return Recipients(
        email_to=settings.email_to if settings.smtp_host else "",
        telegram_chat_id=settings.telegram_chat_id if bot_set else "",
        telegram_bot_token=_secret_ref(
            settings.telegram_bot_token_path, "CITYOPS_ALERTING__TELEGRAM_BOT_TOKEN"
        ),
        webhook_url=settings.webhook_url,
        webhook_token=(
            _secret_ref(settings.webhook_token_path, "CITYOPS_ALERTING__WEBHOOK_TOKEN")
            if token_set
            else ""
        ),
    )


def api_recipients(settings: AlertingSettings) -> Recipients:
    """Channels for the HTTP API, with the secrets' values (`CITYOPS_..._FILE` reads them
    from files at the edge, `cityops.settings.load_settings`)."""

    def value(secret: SecretStr | None) -> str:
        return secret.get_secret_value() if secret is not None else ""

    return Recipients(
        email_to=settings.email_to if settings.smtp_host else "",
        telegram_chat_id=settings.telegram_chat_id if settings.telegram_bot_token else "",
        telegram_bot_token=value(settings.telegram_bot_token),
        webhook_url=settings.webhook_url,
        webhook_token=value(settings.webhook_token),
    )


def _integration(uid: str, name: str, kind: str, settings: Json) -> Json:
    return {
        "uid": uid,
        "name": name,
        "type": kind,
        "settings": settings,
        "disableResolveMessage": False,
    }


def contact_points(recipients: Recipients) -> list[Json]:
    """One Grafana integration per configured channel (API and file forms share these);
    integrations with the same name form one contact point."""
    points: list[Json] = []
    message = f'{{{{ template "{MESSAGE}" . }}}}'
    title = f'{{{{ template "{TITLE}" . }}}}'
    if recipients.telegram_chat_id:
        points.append(
            _integration(
                f"{DUTY_OFFICERS}-telegram",
                DUTY_OFFICERS,
                "telegram",
                {
                    "bottoken": recipients.telegram_bot_token,
                    "chatid": recipients.telegram_chat_id,
                    "message": message,
                },
            )
        )
    if recipients.webhook_url:
        webhook: Json = {"url": recipients.webhook_url, "httpMethod": "POST", "title": title}
        if recipients.webhook_token:
            webhook |= {
                "authorization_scheme": "Bearer",
                "authorization_credentials": recipients.webhook_token,
            }
        webhook["message"] = message
        points.append(_integration(f"{DUTY_OFFICERS}-webhook", DUTY_OFFICERS, "webhook", webhook))
    if recipients.email_to:
        points.append(
            _integration(
                f"{OPERATIONS}-email",
                OPERATIONS,
                "email",
                {
                    "addresses": recipients.email_to,
                    "singleEmail": True,
                    "subject": title,
                    "message": message,
                },
            )
        )
    return points


def policy_tree(recipients: Recipients) -> Json | None:
    """Warnings to operations (else the duty officers), critical to the duty officers;
    None when no channel is configured."""
    if not recipients.any:
        return None
    duty = DUTY_OFFICERS if recipients.duty_channels else OPERATIONS
    tree: Json = {
        "receiver": OPERATIONS if recipients.email_to else duty,
        "group_by": GROUP_BY,
        "group_wait": "1m",
        "group_interval": "5m",
        "repeat_interval": "4h",
        "routes": [
            {
                "receiver": duty,
                "object_matchers": [["severity", "=", Severity.CRITICAL.value]],
                "group_by": GROUP_BY,
                "group_wait": CRITICAL_GROUP_WAIT,
                "group_interval": "5m",
                "repeat_interval": "1h",
                "continue": False,
            }
        ],
    }
    return tree
