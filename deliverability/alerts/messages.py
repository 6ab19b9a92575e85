"""Alerts as each destination reads them: Slack and Teams incoming-webhook payloads, plain
JSON, and e-mail (subject, text and HTML). One alert makes a detailed message; several (a
digest) a list with a line or two each.

Log values (carriers, campaigns, status texts) and catalog text are untrusted: they never
reach a part of a message that is parsed as markup.

* Slack (https://api.slack.com/messaging/webhooks): `{"text": ..., "blocks": [...]}`. Log
  values go only into `plain_text` text objects, which Slack does not parse as mrkdwn
  (https://docs.slack.dev/reference/block-kit/composition-objects/text-object); our own
  labels and numbers use mrkdwn. The top-level `text` (the notification's fallback) is sent
  with `"mrkdwn": false`, and &, < and > are escaped there as Slack's formatting reference
  asks (https://api.slack.com/reference/surfaces/formatting#escaping): no `<!channel>`,
  `<url|link>` or *bold* can come from a log.
* Teams (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/
  connectors-using#send-adaptive-cards-using-an-incoming-webhook): a message whose attachment
  is an Adaptive Card 1.2. Log values go only into TextRun elements of RichTextBlocks, where
  "Markdown is not supported" (https://learn.microsoft.com/adaptive-cards/schema-explorer/
  text-run); FactSet values, which Teams reads as Markdown, hold only our own numbers. A
  message stays under Teams' 28 KB: texts are clipped, then a digest lists fewer alerts.
* E-mail: text/plain and text/html, every value HTML-escaped; header values on one line.
* Links are ours (the dashboard's URL) or the catalog's provider page, and only http(s).
"""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from deliverability.alerts.findings import Alert
from deliverability.render.output import to_json

# Slack: a header's text is at most 150 characters, a section's 3,000, a message has at most
# 50 blocks; Teams takes about 28 KB per message (the JSON posted; some room is left for
# what the connector adds). A digest beyond these lists the first alerts and says how many
# more there are.
SLACK_HEADER = 150
SLACK_TEXT = 3000
SLACK_DIGEST_ALERTS = 45
TEAMS_DIGEST_ALERTS = 25
TEAMS_MAX_BYTES = 26_000
# The longest a Teams text may be, tried in turn until the message fits.
TEAMS_TEXT_LIMITS = (None, 2000, 800, 300, 120)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"


def significance(value: float | None) -> str:
    if value is None:
        return "–"
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def when(alert: Alert) -> str:
    if alert.grain == "week":
        return f"week {alert.week} (from {alert.period_start:%Y-%m-%d})"
    if alert.grain == "day":
        return f"{alert.period_start:%Y-%m-%d} (day, UTC)"
    return f"{alert.period_start:%Y-%m-%d %H:%M} UTC (hour)"


def rate_line(alert: Alert) -> str:
    against = "the 4-week baseline" if alert.kind == "sustained" else "baseline"
    if not alert.baseline_rate:
        return f"{pct(alert.rate)}, never seen in the baseline"
    times = f" (×{alert.ratio:.1f})" if alert.ratio is not None else ""
    return f"{pct(alert.rate)} vs {pct(alert.baseline_rate)} {against}{times}"


def count_line(alert: Alert) -> str:
    ended = "failed" if alert.kind == "sustained" else "on the code"
    return f"{alert.count:,} {ended} of {alert.messages:,} messages"


def facts(alert: Alert) -> list[tuple[str, str]]:
    """Our own labels, numbers and dates: nothing from a log."""
    rows = [
        ("When", when(alert)),
        ("Rate", rate_line(alert)),
        ("Count", count_line(alert)),
        ("q-value", significance(alert.q_value)),
    ]
    if alert.is_update:
        since = (
            f" (sent {alert.previous_sent_at:%Y-%m-%d %H:%M} UTC)" if alert.previous_sent_at else ""
        )
        rows.append(("Grew", f"from {alert.previous_count:,} to {alert.count:,}{since}"))
    return rows


def meaning(alert: Alert) -> str | None:
    if alert.description and alert.name:
        return f"{alert.name}: {alert.description}"
    return (
        alert.name
        or alert.description
        or ("not in the catalog" if alert.code and alert.kind == "spike" else None)
    )


def advice(alert: Alert) -> str | None:
    if not alert.advice:
        return None
    return alert.advice + (" (advice for its category)" if alert.advice_from == "category" else "")


def contributors(alert: Alert) -> str | None:
    """'carrier Verizon +61 · campaign welcome +30 · sender ••••0100 +40' (senders masked)."""
    parts = []
    for item in alert.contributors:
        value = item.get("value")
        excess = item.get("excess") or 0
        parts.append(
            f"{item.get('dimension')} {value if value is not None else '(none)'} +{excess:.0f}"
        )
    return " · ".join(parts) or None


def links(alert: Alert) -> list[tuple[str, str]]:
    found = []
    if alert.dashboard_url:
        found.append(("Open in the dashboard", alert.dashboard_url))
    if alert.link and urlsplit(alert.link).scheme in ("http", "https"):
        found.append(("The provider's page on the code", alert.link))
    return found


def sections(alert: Alert) -> list[tuple[str, str]]:
    """The alert's texts that hold catalog or log values, labelled."""
    found = [
        ("Meaning", meaning(alert)),
        ("Advice", advice(alert)),
        ("Top contributors", contributors(alert)),
    ]
    return [(label, text) for label, text in found if text]


def footer(alerts: list[Alert]) -> str:
    rules = sorted({a.rule for a in alerts})
    return f"deliverability alert · rule{'s' if len(rules) > 1 else ''} {', '.join(rules)}"


def digest_title(alerts: list[Alert]) -> str:
    spikes = sum(1 for a in alerts if a.kind == "spike")
    rises = len(alerts) - spikes
    parts = [
        f"{n} {word}{'s' if n > 1 else ''}"
        for n, word in ((spikes, "spike"), (rises, "sustained rise"))
        if n
    ]
    return "Deliverability alerts: " + " and ".join(parts)


# -- plain text (e-mail's text part, --dry-run) -----------------------------------------------


def plain_text(alerts: list[Alert]) -> str:
    blocks = []
    for alert in alerts:
        lines = [alert.title]
        lines += [f"  {label}: {value}" for label, value in facts(alert)]
        lines += [f"  {label}: {text}" for label, text in sections(alert)]
        lines += [f"  {label}: {url}" for label, url in links(alert)]
        blocks.append("\n".join(lines))
    head = [digest_title(alerts), ""] if len(alerts) > 1 else []
    return "\n".join(head) + "\n\n".join(blocks) + "\n\n" + footer(alerts) + "\n"


def subject(alerts: list[Alert]) -> str:
    text = alerts[0].title if len(alerts) == 1 else digest_title(alerts)
    # One header line: a log value with a line break must not start another header.
    return clip(" ".join(f"[deliverability] {text}".split()), 200)


# -- Slack ------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _plain(text: str, limit: int = SLACK_TEXT) -> dict:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": False}


def _slack_button(label: str, url: str) -> dict:
    return {"type": "button", "text": _plain(label, 75), "url": url}


def _slack_alert(alert: Alert) -> list[dict]:
    blocks: list[dict] = [
        {"type": "header", "text": _plain(alert.title, SLACK_HEADER)},
        # Our own labels and numbers, escaped all the same: "<0.0001" would open a Slack tag.
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{label}*\n{slack_escape(value)}"}
                for label, value in facts(alert)
            ],
        },
    ]
    for label, text in sections(alert):
        blocks.append({"type": "section", "text": _plain(f"{label}: {text}")})
    buttons = [_slack_button(label, url) for label, url in links(alert)]
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def _slack_digest_item(alert: Alert) -> dict:
    lines = [alert.title, f"{when(alert)}: {rate_line(alert)}, {count_line(alert)}"]
    if text := contributors(alert):
        lines.append(f"Top contributors: {text}")
    block = {"type": "section", "text": _plain("\n".join(lines))}
    if alert.dashboard_url:
        block["accessory"] = _slack_button("Open", alert.dashboard_url)
    return block


def slack_payload(alerts: list[Alert]) -> dict:
    if len(alerts) == 1:
        blocks = _slack_alert(alerts[0])
        fallback = f"{alerts[0].title}: {rate_line(alerts[0])}"
    else:
        shown = alerts[:SLACK_DIGEST_ALERTS]
        blocks = [{"type": "header", "text": _plain(digest_title(alerts), SLACK_HEADER)}]
        blocks += [_slack_digest_item(a) for a in shown]
        if len(alerts) > len(shown):
            more = f"and {len(alerts) - len(shown)} more: see the dashboard's Alerts page"
            blocks.append({"type": "context", "elements": [_plain(more)]})
        fallback = digest_title(alerts)
    blocks.append({"type": "context", "elements": [_plain(footer(alerts))]})
    return {"text": slack_escape(clip(fallback, SLACK_TEXT)), "mrkdwn": False, "blocks": blocks}


# -- Teams ------------------------------------------------------------------------------------


def _run(text: str, **style) -> dict:
    return {"type": "TextRun", "text": text, **style}


def _rich(*runs: dict, **extra) -> dict:
    return {"type": "RichTextBlock", "inlines": list(runs), **extra}


def _teams_actions(alert: Alert) -> list[dict]:
    return [{"type": "Action.OpenUrl", "title": label, "url": url} for label, url in links(alert)]


def _teams_alert(alert: Alert, limit: int) -> tuple[list[dict], list[dict]]:
    body = [
        _rich(_run(clip(alert.title, limit), weight="Bolder", size="Medium")),
        {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts(alert)]},
    ]
    for label, text in sections(alert):
        body.append(_rich(_run(f"{label}: ", weight="Bolder"), _run(clip(text, limit))))
    return body, _teams_actions(alert)


def _teams_digest(alerts: list[Alert], shown: int, limit: int) -> list[dict]:
    body = [_rich(_run(digest_title(alerts), weight="Bolder", size="Medium"))]
    for alert in alerts[:shown]:
        body.append(_rich(_run(clip(alert.title, limit), weight="Bolder"), separator=True))
        body.append(_rich(_run(f"{when(alert)}: {rate_line(alert)}, {count_line(alert)}")))
        if text := contributors(alert):
            body.append(_rich(_run("Top contributors: ", weight="Bolder"), _run(clip(text, limit))))
        if actions := _teams_actions(alert):
            body.append({"type": "ActionSet", "actions": actions})
    if len(alerts) > shown:
        more = f"and {len(alerts) - shown} more: see the dashboard's Alerts page"
        body.append(_rich(_run(more, isSubtle=True)))
    return body


def _teams_message(alerts: list[Alert], shown: int, limit: int) -> dict:
    if len(alerts) == 1:
        body, actions = _teams_alert(alerts[0], limit)
    else:
        body, actions = _teams_digest(alerts, shown, limit), []
    body.append(_rich(_run(footer(alerts), isSubtle=True, size="Small")))
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.2",
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def payload_bytes(payload: dict) -> int:
    """The size of PAYLOAD as posted (transport.post_json's encoding)."""
    return len(to_json(payload).encode("utf-8"))


def teams_payload(alerts: list[Alert]) -> dict:
    """The Adaptive Card message, within TEAMS_MAX_BYTES: long texts clipped first, then a
    digest shortened (the rest named by count)."""
    shown = min(len(alerts), TEAMS_DIGEST_ALERTS)
    while True:
        for limit in TEAMS_TEXT_LIMITS:
            message = _teams_message(alerts, shown, limit or SLACK_TEXT * 10)
            if payload_bytes(message) <= TEAMS_MAX_BYTES:
                return message
        if shown <= 1:
            return message
        shown = max(1, shown * 3 // 4)


# -- JSON and e-mail --------------------------------------------------------------------------


def json_payload(alerts: list[Alert]) -> dict:
    """{"alerts": [...]}: one alert, or every alert of a digest (README: "JSON payload")."""
    return {"alerts": [a.document() for a in alerts]}


def _html_alert(alert: Alert) -> str:
    e = html.escape
    rows = [(label, value) for label, value in facts(alert)] + sections(alert)
    cells = "".join(
        f'<tr><th align="left" valign="top">{e(label)}</th><td>{e(value)}</td></tr>'
        for label, value in rows
    )
    anchors = " · ".join(
        f'<a href="{e(url, quote=True)}">{e(label)}</a>' for label, url in links(alert)
    )
    return f"<h2>{e(alert.title)}</h2><table>{cells}</table>" + (
        f"<p>{anchors}</p>" if anchors else ""
    )


def email_html(alerts: list[Alert]) -> str:
    head = f"<h1>{html.escape(digest_title(alerts))}</h1>" if len(alerts) > 1 else ""
    body = head + "".join(_html_alert(a) for a in alerts)
    return (
        f"<!DOCTYPE html><html><body>{body}"
        f"<p><small>{html.escape(footer(alerts))}</small></p></body></html>"
    )


def webhook_payload(fmt: str, alerts: list[Alert]) -> dict:
    builders = {"slack": slack_payload, "teams": teams_payload, "json": json_payload}
    return builders[fmt](alerts)
