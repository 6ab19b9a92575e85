"""`deliverability alert` end to end: a store with planted spikes (tests/alert_store.py), the
real CLI, a real HTTP receiver and a real SMTP server on 127.0.0.1 (tests/alert_receivers.py).

Slack payloads are checked against Slack's incoming-webhook format ({"text", "blocks"},
https://api.slack.com/messaging/webhooks; text objects plain_text / mrkdwn,
https://docs.slack.dev/reference/block-kit/composition-objects/text-object); Teams payloads
against the Adaptive Card message an incoming webhook takes (https://learn.microsoft.com/
microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-
using-an-incoming-webhook), where a TextRun's text is not read as Markdown
(https://learn.microsoft.com/adaptive-cards/schema-explorer/text-run).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from deliverability.cli import main
from deliverability.queries.alerts import alert_rules, sent_alerts
from deliverability.store import SCHEMA_VERSION, Store
from tests.alert_receivers import closed_port, http_receiver, smtp_receiver
from tests.alert_store import HOSTILE_ADVICE, HOSTILE_CAMPAIGN, LINK, SPIKE_SENDER
from tests.conftest import as_schema, run_cli
from tests.test_dashboard_access import non_loopback_ipv4

# The test SMTP server takes a login without TLS on purpose (aiosmtpd warns).
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

DASHBOARD = "http://dashboard.example:8501"
AZURE = ("azure_acs", "7101")
TWILIO = ("twilio", "7102")


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def alert(planted, capsys):
    """alert(*args) runs `deliverability alert` on the planted store, in this process."""

    def run(*args: str) -> Run:
        code = main(
            ["alert", "--db", str(planted.db), "--catalog-extra", str(planted.catalog), *args]
        )
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def alerts_of(receiver) -> list[dict]:
    """Every alert a JSON receiver got, in order."""
    return [a for payload in receiver.payloads for a in payload["alerts"]]


def key(alert: dict) -> tuple[str, str]:
    return (alert["provider"], alert["code"])


def ledger(db: Path):
    con = Store.open_reader(db)
    try:
        return sent_alerts(con), alert_rules(con)
    finally:
        con.close()


def test_each_new_spike_is_sent_once_with_its_meaning_numbers_and_contributors(alert, planted):
    with http_receiver() as hook:
        first = alert("--webhook", hook.url, "--dashboard-url", DASHBOARD)
        assert first.code == 0, first.err
        sent = alerts_of(hook)
        # One message per spike.
        assert len(hook.requests) == 2 and sorted(map(key, sent)) == [AZURE, TWILIO]
        assert hook.requests[0]["headers"]["Content-Type"].startswith("application/json")
        azure = next(a for a in sent if key(a) == AZURE)
        assert azure["kind"] == "spike" and azure["update"] is False
        assert azure["period_start"] == "2024-01-15T10:00:00Z" and azure["grain"] == "hour"
        assert azure["name"] == "Carrier filter"
        assert azure["description"] == "The carrier's filter blocked the message."
        assert azure["advice"] == HOSTILE_ADVICE and azure["link"] == LINK
        assert azure["count"] == 20 and azure["rate"] == pytest.approx(20 / azure["messages"])
        assert azure["ratio"] > 5 and 0 < azure["baseline_rate"] < 0.02
        assert azure["q_value"] < 0.01
        contributors = {(c["dimension"], c["value"]) for c in azure["top_contributors"]}
        assert {
            ("carrier", "Verizon"),
            ("campaign", HOSTILE_CAMPAIGN),
            ("sender", "••••0199"),
        } <= contributors
        link = urlsplit(azure["dashboard_url"])
        assert f"{link.scheme}://{link.netloc}{link.path}" == f"{DASHBOARD}/spikes"
        assert parse_qs(link.query) == {
            "since": ["2024-01-15"],
            "until": ["2024-01-16"],
            "provider": ["azure_acs"],
            "channel": ["sms"],
            "grain": ["hour"],
            "spike_code": ["7101"],
            "spike_at": ["2024-01-15T10:00"],
            "tz": ["UTC"],
        }
        body = json.dumps(hook.payloads)
        assert SPIKE_SENDER not in body and SPIKE_SENDER[1:] not in body
        assert first.out.count("sent: Spike") == 2

        again = alert("--webhook", hook.url, "--dashboard-url", DASHBOARD)
        assert again.code == 0 and len(hook.requests) == 2
        assert "nothing new to send" in again.err
    rows, rules = ledger(planted.db)
    assert rows.height == 2 and set(rows["code"]) == {"7101", "7102"}
    assert rules["rule"].to_list() == ["command line (hour)"]
    assert rules["last_sent"].to_list() == [0]  # the second run sent nothing new


def _text_objects(node, path=()):
    """Every Slack text object ({"type": plain_text|mrkdwn, "text"}) with where it is."""
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and "text" in node:
            yield node, path
        for k, v in node.items():
            yield from _text_objects(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _text_objects(v, (*path, i))


def test_slack_payload_follows_the_incoming_webhook_format_and_log_text_stays_plain(alert):
    with http_receiver() as hook:
        run = alert(
            "--webhook", hook.url, "--webhook-format", "slack", "--dashboard-url", DASHBOARD
        )
        assert run.code == 0, run.err
    payloads = {("7101" in p["text"]): p for p in hook.payloads}
    azure = payloads[True]
    # The top-level text carries the code (log text): not parsed as mrkdwn.
    assert set(azure) == {"text", "mrkdwn", "blocks"} and azure["mrkdwn"] is False
    assert azure["blocks"][0]["type"] == "header"
    assert azure["blocks"][0]["text"]["type"] == "plain_text"
    assert len(azure["blocks"][0]["text"]["text"]) <= 150
    assert {b["type"] for b in azure["blocks"]} <= {"header", "section", "actions", "context"}
    texts = list(_text_objects(azure["blocks"]))
    hostile = [t for t, _ in texts if "evil.example" in t["text"] or "<!channel>" in t["text"]]
    # The hostile campaign (a contributor) and the hostile advice (catalog) are both there,
    # only in plain_text objects: Slack parses no links, mentions or formatting in those.
    assert any(HOSTILE_CAMPAIGN in t["text"] for t in hostile)
    assert any(HOSTILE_ADVICE in t["text"] for t in hostile)
    assert all(t["type"] == "plain_text" and t["emoji"] is False for t in hostile)
    mrkdwn = [t["text"] for t, _ in texts if t["type"] == "mrkdwn"]
    assert "*q-value*\n&lt;0.0001" in mrkdwn  # our own "<" escaped as Slack asks
    for text in mrkdwn:  # our labels and numbers only
        assert "<" not in text and ">" not in text and "Verizon" not in text
    assert "<" not in azure["text"].replace("&lt;", "") and "@" not in azure["text"]
    buttons = [e for b in azure["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["url"] for b in buttons][1] == LINK
    assert buttons[0]["url"].startswith(f"{DASHBOARD}/spikes?")
    assert "••••0199" in json.dumps(azure, ensure_ascii=False)


def _strings(node, path=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _strings(v, (*path, i))
    elif isinstance(node, str):
        yield node, path


def test_teams_payload_is_an_adaptive_card_with_log_text_in_text_runs(alert):
    with http_receiver() as hook:
        run = alert(
            "--webhook", hook.url, "--webhook-format", "teams", "--dashboard-url", DASHBOARD
        )
        assert run.code == 0, run.err
    azure = next(p for p in hook.payloads if "7101" in json.dumps(p))
    assert azure["type"] == "message" and len(azure["attachments"]) == 1
    attachment = azure["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.2"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert {e["type"] for e in card["body"]} <= {"RichTextBlock", "FactSet"}
    for text, path in _strings(card):
        if "evil.example" in text or "Verizon" in text:
            # Inside a TextRun of a RichTextBlock: no Markdown there.
            parent = card
            for step in path[:-1]:
                parent = parent[step]
            assert parent["type"] == "TextRun" and path[-1] == "text", path
    facts = [f for e in card["body"] if e["type"] == "FactSet" for f in e["facts"]]
    assert [f["title"] for f in facts] == ["When", "Rate", "Count", "q-value"]
    assert facts[0]["value"] == "2024-01-15 10:00 UTC (hour)"
    assert [a["type"] for a in card["actions"]] == ["Action.OpenUrl", "Action.OpenUrl"]
    assert card["actions"][0]["url"].startswith(f"{DASHBOARD}/spikes?")


def test_email_through_smtp_with_a_login_from_the_environment(alert, monkeypatch):
    monkeypatch.setenv("DELIVERABILITY_SMTP_PASSWORD", "pa55-w0rd-xyz")
    with smtp_receiver(user="alerts", password="pa55-w0rd-xyz") as smtp:
        smtp_url = f"smtp://alerts@127.0.0.1:{smtp.port}?from=deliverability@example.com"
        run = alert(
            "--smtp",
            smtp_url,
            "--to",
            "ops@example.com",
            "--to",
            "oncall@example.com",
            "--dashboard-url",
            DASHBOARD,
        )
        assert run.code == 0, run.err
    assert smtp.logins == ["alerts", "alerts"] and len(smtp.messages) == 2
    assert smtp.envelopes[0] == {
        "from": "deliverability@example.com",
        "to": ["ops@example.com", "oncall@example.com"],
    }
    message = next(m for m in smtp.messages if "7101" in m["Subject"])
    assert message["Subject"] == "[deliverability] Spike: azure_acs · sms · 7101 (Carrier filter)"
    assert message["To"] == "ops@example.com, oncall@example.com"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Rate: 10.10% vs" in text and "Carrier filter: The carrier's filter" in text
    assert "sender ••••0199" in text and SPIKE_SENDER not in text + html
    # Log and catalog text escaped: no tag, link or entity of theirs survives.
    assert "&lt;https://evil.example|click&gt; *promo* &lt;!channel&gt;" in html
    assert "Register the sender &lt;https://evil.example|here&gt; *now* &amp; retry" in html
    assert "<https://evil" not in html and 'href="https://evil' not in html
    assert f'<a href="{LINK}">' in html and f'href="{DASHBOARD}/spikes?' in html
    assert "pa55-w0rd-xyz" not in run.out + run.err


def test_no_password_in_clear_text_to_a_host_beyond_loopback(alert, monkeypatch):
    address = non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no IPv4 address beyond loopback")
    monkeypatch.setenv("DELIVERABILITY_SMTP_PASSWORD", "pa55-w0rd-xyz")
    # A server without STARTTLS on the machine's own network address: the password would
    # cross the network as typed, so it is not sent at all.
    with smtp_receiver(user="alerts", password="pa55-w0rd-xyz", host=address) as smtp:
        run = alert("--smtp", f"smtp://alerts@{address}:{smtp.port}", "--to", "a@example.com")
    assert run.code == 4 and "offers no STARTTLS" in run.err
    assert smtp.logins == [] and smtp.messages == []
    assert "pa55-w0rd-xyz" not in run.out + run.err


FAILURES = {
    # name: (statuses the receiver answers with, attempts it sees, what the error says)
    "http-500": ([500, 500, 500], 3, "HTTP 500 (after 3 attempts)"),
    "http-404": ([404], 1, "HTTP 404 (refused; not retried)"),
    "refused": (None, 0, "connection refused (after 3 attempts)"),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_a_failed_destination_exits_4_and_a_rerun_sends_only_what_failed(alert, failure):
    statuses, attempts, error = FAILURES[failure]
    port = closed_port()
    with http_receiver() as good:
        if statuses is None:
            bad_url = f"http://127.0.0.1:{port}/hook/SECRET-TOKEN"
            first = alert("--webhook", good.url, "--webhook", bad_url, "--retries", "2")
        else:
            with http_receiver(statuses) as bad:
                bad_url = bad.url
                first = alert("--webhook", good.url, "--webhook", bad_url, "--retries", "2")
                assert len(bad.requests) == attempts
        assert first.code == 4
        assert len(good.requests) == 2  # the healthy destination got everything
        assert error in first.err and "not tried: an earlier message" in first.err
        assert "SECRET" not in first.out + first.err
        with http_receiver(port=int(urlsplit(bad_url).port)) as bad_again:
            rerun = alert("--webhook", good.url, "--webhook", bad_url, "--retries", "2")
        assert rerun.code == 0, rerun.err
        assert len(good.requests) == 2  # nothing twice
        assert sorted(map(key, alerts_of(bad_again))) == [AZURE, TWILIO]


RETRIED = {
    # name: (statuses, delays, headers, waits between the attempts, at least)
    "503-then-ok": ([503, 503], [], {}, [0.5, 1.0]),
    "429-retry-after": ([429], [], {"Retry-After": "0"}, [0.0]),
    "slow-then-ok": ([], [3.0], {}, [0.5]),
}


@pytest.mark.parametrize("case", RETRIED)
def test_a_failure_that_may_pass_is_tried_again_with_backoff(alert, case):
    statuses, delays, headers, waits = RETRIED[case]
    with http_receiver(statuses, delays=delays, headers=headers) as hook:
        run = alert("--webhook", hook.url, "--digest", "--timeout", "1")
        assert run.code == 0, run.err
        times = [r["at"] for r in hook.requests]
    assert len(times) == len(waits) + 1  # the attempts, the last one answered 200
    for gap, wait in zip(
        [later - earlier for earlier, later in zip(times, times[1:], strict=False)],
        waits,
        strict=True,
    ):
        assert gap >= wait * 0.9
    # The answered attempt holds the digest: both spikes, recorded once.
    assert sorted(map(key, hook.payloads[-1]["alerts"])) == [AZURE, TWILIO]


def test_a_destination_that_never_answers_in_time_fails_after_its_retries(alert):
    with http_receiver(delays=[2.0, 2.0]) as hook:
        run = alert("--webhook", hook.url, "--digest", "--timeout", "0.5", "--retries", "1")
    assert run.code == 4 and "timed out (after 2 attempts)" in run.err
    assert len(hook.requests) == 2


def test_a_spike_that_grows_markedly_is_sent_again_as_an_update(alert, planted, capsys):
    with http_receiver() as hook:
        assert alert("--webhook", hook.url).code == 0
        assert {key(a): a["count"] for a in alerts_of(hook)} == {AZURE: 20, TWILIO: 30}
        # The Azure spike's held-back delivery reports arrive.
        ingested = main(
            [
                "ingest",
                str(planted.late),
                "--db",
                str(planted.db),
                "--catalog-extra",
                str(planted.catalog),
            ]
        )
        capsys.readouterr()
        assert ingested == 0
        update = alert("--webhook", hook.url)
        assert update.code == 0, update.err
        assert len(hook.requests) == 3
        last = hook.payloads[-1]["alerts"][0]
        assert key(last) == AZURE and last["update"] is True
        assert (last["previous_count"], last["count"]) == (20, 47)
        assert last["title"].startswith("Update: Spike: azure_acs")
        assert alert("--webhook", hook.url).code == 0 and len(hook.requests) == 3


@pytest.mark.slow
def test_digest_sends_one_message_per_destination(alert, planted):
    with http_receiver() as hook, http_receiver() as slack, http_receiver() as teams:
        run = alert("--webhook", hook.url, "--digest")
        assert run.code == 0, run.err
        assert len(hook.requests) == 1
        assert sorted(map(key, hook.payloads[0]["alerts"])) == [AZURE, TWILIO]
        assert alert("--webhook", hook.url, "--digest").code == 0 and len(hook.requests) == 1
        run = alert("--webhook", slack.url, "--webhook-format", "slack", "--digest")
        assert run.code == 0 and len(slack.requests) == 1
        header = slack.payloads[0]["blocks"][0]["text"]["text"]
        assert header == "Deliverability alerts: 2 spikes"
        # One section per spike, each with its dashboard button; log text plain.
        sections = [b for b in slack.payloads[0]["blocks"] if b["type"] == "section"]
        assert len(sections) == 2 and all(s["text"]["type"] == "plain_text" for s in sections)
        run = alert(
            "--webhook",
            teams.url,
            "--webhook-format",
            "teams",
            "--digest",
            "--dashboard-url",
            DASHBOARD,
        )
        assert run.code == 0 and len(teams.requests) == 1
        card = teams.payloads[0]["attachments"][0]["content"]
        assert card["body"][0]["inlines"][0]["text"] == "Deliverability alerts: 2 spikes"
        links = [a["url"] for e in card["body"] if e["type"] == "ActionSet" for a in e["actions"]]
        assert sum(url.startswith(f"{DASHBOARD}/spikes?") for url in links) == 2
    rows, _ = ledger(planted.db)
    assert rows.height == 6 and rows["in_digest"].all()


def test_dry_run_sends_nothing_and_records_nothing(alert, planted):
    with http_receiver() as hook:
        dry = alert("--webhook", hook.url, "--dry-run", "--dashboard-url", DASHBOARD)
        assert dry.code == 0 and hook.requests == []
        assert dry.out.count("--- would send to json webhook 127.0.0.1:") == 2
        assert "Spike: azure_acs · sms · 7101 (Carrier filter)" in dry.out
        assert "sender ••••0199" in dry.out and SPIKE_SENDER not in dry.out
        assert "/hook/T000/SECRET" not in dry.out + dry.err
        rows, rules = ledger(planted.db)
        assert rows.is_empty() and rules.is_empty()
        assert alert("--webhook", hook.url).code == 0 and len(hook.requests) == 2


CONFIG = """\
dashboard_url = "{dashboard}"

[delivery]
retries = 1
backoff = 0.05

[destinations.azure-team]
webhook = "env:AZURE_HOOK"
format = "slack"

[destinations.twilio-team]
webhook = "env:TWILIO_HOOK"
format = "json"

[[rules]]
name = "azure"
provider = "azure_acs"
destinations = ["azure-team"]

[[rules]]
name = "picked"
{picked}
destinations = ["twilio-team"]
"""
PICKED = {
    "by-provider": ('provider = ["twilio"]', [TWILIO]),
    "by-category": ('category = "invalid_number"', [TWILIO]),
    "by-code": ('code = ["7101"]', [AZURE]),
    "by-min-count": ("min_count = 25", [TWILIO]),  # Twilio's spike has 30, Azure's 20
    "by-channel": ('channel = "sms"\ngrain = "hour"', [AZURE, TWILIO]),
}


@pytest.mark.parametrize("picked", PICKED)
def test_config_rules_route_each_providers_spikes_to_its_own_destination(
    alert, planted, tmp_path, monkeypatch, picked
):
    rule, expected = PICKED[picked]
    config = tmp_path / "alerts.toml"
    config.write_text(CONFIG.format(dashboard=DASHBOARD, picked=rule), encoding="utf-8")
    with http_receiver() as azure, http_receiver() as twilio:
        monkeypatch.setenv("AZURE_HOOK", azure.url)
        monkeypatch.setenv("TWILIO_HOOK", twilio.url)
        run = alert("--config", str(config))
        assert run.code == 0, run.err
    assert len(azure.requests) == 1 and "azure_acs · sms · 7101" in azure.payloads[0]["text"]
    assert sorted(map(key, alerts_of(twilio))) == expected
    assert all(a["dashboard_url"].startswith(DASHBOARD) for a in alerts_of(twilio))
    _, rules = ledger(planted.db)
    assert rules["rule"].to_list() == ["azure", "picked"]
    assert rules["destinations"][0].startswith("azure-team (slack webhook 127.0.0.1:")


BAD_CONFIGS = [
    # (file text, line named, message)
    ("[[rules]\nname = 'x'\n", 1, "not valid TOML"),
    (
        "[destinations.a]\nwebhook = 'http://127.0.0.1/h'\n\n[[rules]]\nname = 'x'\n"
        "provder = 'twilio'\ndestinations = ['a']\n",
        6,
        "unknown key 'provder'",
    ),
    (
        "[destinations.a]\nwebhook = 'http://127.0.0.1/h'\n\n[[rules]]\nprovider = 'twillio'\n"
        "destinations = ['a']\n",
        5,
        "unknown provider 'twillio'",
    ),
    (
        "[destinations.a]\nwebhook = 'http://127.0.0.1/h'\n\n[[rules]]\ngrain = 'week'\n"
        "destinations = ['a']\n",
        5,
        "grain must be one of hour, day",
    ),
    (
        "[destinations.a]\nwebhook = 'http://127.0.0.1/h'\n\n[[rules]]\nname = 'x'\n"
        "destinations = ['b']\n",
        6,
        "no destination named 'b' (known: a)",
    ),
    (
        "[destinations.a]\nformat = 'slack'\nwebhook = 'env:NOT_SET_ANYWHERE'\n\n[[rules]]\n"
        "destinations = ['a']\n",
        3,
        "environment variable NOT_SET_ANYWHERE is not set",
    ),
    (
        "[destinations.a]\nwebhook = 'ftp://example.com/hook'\n\n[[rules]]\ndestinations = ['a']\n",
        2,
        "not an http(s) URL with a host (scheme ftp)",
    ),
    (
        "[destinations.a]\nsmtp = 'smtp://mail.example.com'\nto = ['not an address']\n\n[[rules]]\n"
        "destinations = ['a']\n",
        3,
        "'not an address' is not an e-mail address",
    ),
    (
        "[destinations.a]\nwebhook = 'http://127.0.0.1/h'\nformat = 'discord'\n\n[[rules]]\n"
        "destinations = ['a']\n",
        3,
        "format must be one of slack, teams, json",
    ),
    (
        "[delivery]\nretries = 'many'\n\n[destinations.a]\nwebhook = 'http://127.0.0.1/h'\n\n"
        "[[rules]]\ndestinations = ['a']\n",
        2,
        "[delivery] retries must be a number",
    ),
    ("[destinations.a]\nwebhook = 'http://127.0.0.1/h'\n", 1, "no [[rules]]"),
    (
        "[destinations.a]\nwebhook = 'http://127.0.0.1/h'\n\n[[rules]]\nname = 'x'\n",
        4,
        "rule 'x' has no destinations",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "message"), BAD_CONFIGS, ids=[m for _, _, m in BAD_CONFIGS]
)
def test_a_bad_config_is_one_line_naming_the_file_and_line(alert, tmp_path, text, line, message):
    config = tmp_path / "alerts.toml"
    config.write_text(text, encoding="utf-8")
    run = alert("--config", str(config))
    assert run.code == 2
    assert run.err.startswith(f"deliverability: {config}:{line}: "), run.err
    assert message in run.err and len(run.err.strip().splitlines()) == 1


BAD_ARGS = [
    (("--webhook", "ftp://example.com/hook/SECRET"), "--webhook: not an http(s) URL"),
    (
        ("--webhook", "env:UNSET_HOOK_VARIABLE"),
        "environment variable UNSET_HOOK_VARIABLE is not set",
    ),
    (("--to", "a@example.com"), "--to ADDRESS needs --smtp URL"),
    (("--smtp", "smtp://mail.example.com"), "e-mail needs at least one recipient"),
    (("--smtp", "smtp://bob@mail.example.com", "--to", "a@example.com"), "needs a password"),
    ((), "no destination: give --webhook URL"),
    (("--config", "alerts.toml", "--webhook", "http://127.0.0.1/x"), "--webhook belongs to a rule"),
    (("--webhook", "http://127.0.0.1/x", "--dashboard-url", "dash"), "--dashboard-url: not an"),
    (("--webhook", "http://127.0.0.1/x", "--min-count", "0"), "min_count must be a whole number"),
    (("--webhook", "http://127.0.0.1/x", "--retries", "50"), "--retries must be between 0 and 10"),
    (("--webhook", "http://127.0.0.1/x", "--since", "last week"), "not a date or timestamp"),
    (("--webhook", "http://127.0.0.1/x", "--provider", "twillio"), "unknown provider 'twillio'"),
]


@pytest.mark.parametrize(("args", "message"), BAD_ARGS, ids=[m for _, m in BAD_ARGS])
def test_bad_arguments_are_one_line_without_the_secret(alert, monkeypatch, args, message):
    monkeypatch.delenv("DELIVERABILITY_SMTP_PASSWORD", raising=False)
    monkeypatch.delenv("DELIVERABILITY_ALERTS_CONFIG", raising=False)
    run = alert(*args)
    assert run.code == 2 and run.err.startswith("deliverability: ") and message in run.err
    assert len(run.err.strip().splitlines()) == 1 and "SECRET" not in run.err


@pytest.mark.slow
def test_sustained_rises_alert_with_include_sustained(tmp_path, capsys):
    """The sample logs' week 2026-W47: Twilio's 30007 rose against its 4-week baseline."""
    from deliverability.demo import sample_files
    from deliverability.ingest import ingest_files

    db = tmp_path / "samples.duckdb"
    store = Store.open(db)
    try:
        assert all(r.ok for r in ingest_files(store, sample_files()))
    finally:
        store.close()
    with http_receiver() as hook:
        args = [
            "alert",
            "--db",
            str(db),
            "--webhook",
            hook.url,
            "--grain",
            "day",
            "--include-sustained",
            "--dashboard-url",
            DASHBOARD,
        ]
        assert main(args) == 0, capsys.readouterr().err
        sent = alerts_of(hook)
        rises = {(a["dimension"], a["value"]): a for a in sent if a["kind"] == "sustained"}
        code = rises[("code", "30007")]
        assert code["week"] == "2026-W47" and code["provider"] == "twilio"
        assert code["name"] == "Message filtered" and code["advice"]
        assert code["rate"] > code["baseline_rate"] * 2 and code["q_value"] < 0.05
        assert code["dashboard_url"] == f"{DASHBOARD}/review?week=2026-W47"
        assert ("carrier", "T-Mobile") in rises
        count = len(hook.requests)
        assert main(args) == 0 and len(hook.requests) == count  # sent once
    capsys.readouterr()


def test_a_store_of_schema_11_gains_the_alert_ledger(tmp_path):
    db = tmp_path / "old.duckdb"
    Store.open(db).close()
    as_schema(db, 11, "DROP TABLE alert_deliveries; DROP TABLE alert_rules")
    store = Store.open(db)
    try:
        assert store.meta("schema_version") == str(SCHEMA_VERSION) == "15"
        assert sent_alerts(store.con).is_empty() and alert_rules(store.con).is_empty()
    finally:
        store.close()


@pytest.mark.parametrize("mode", [(), ("--dry-run",), ("--format", "json")], ids=str)
def test_secrets_appear_in_no_output_and_not_in_the_store(planted, mode):
    """The real console script, its whole stdout and stderr: webhook URLs (their path is the
    credential) and the SMTP password show nowhere, whether sent, failed or a dry run."""
    password = "smtp-pa55-Zq9"
    with (
        http_receiver(path="/services/T0/B0/tok-GOOD-7f3a") as good,
        http_receiver([500] * 3, path="/services/T0/B1/tok-BAD-91c2") as bad,
        smtp_receiver(user="alerts", password=password) as smtp,
    ):
        env = {"GOOD_HOOK": good.url, "DELIVERABILITY_SMTP_PASSWORD": password}
        proc = run_cli(
            "alert",
            "--db",
            str(planted.db),
            "--catalog-extra",
            str(planted.catalog),
            "--webhook",
            "env:GOOD_HOOK",
            "--webhook",
            bad.url,
            "--webhook-format",
            "slack",
            "--smtp",
            f"smtp://alerts@127.0.0.1:{smtp.port}",
            "--to",
            "ops@example.com",
            "--retries",
            "0",
            *mode,
            env=env,
            check=False,
        )
    assert proc.returncode == (0 if "--dry-run" in mode else 4), proc.stderr
    shown = proc.stdout + proc.stderr
    assert "Traceback" not in shown
    for secret in ("tok-GOOD-7f3a", "tok-BAD-91c2", "/services/", password):
        assert secret not in shown
    assert "slack webhook 127.0.0.1:" in shown and "email via 127.0.0.1:" in shown
    rows, rules = ledger(planted.db)
    stored = json.dumps([rows.to_dicts(), rules.to_dicts()], default=str)
    for secret in ("tok-GOOD-7f3a", "tok-BAD-91c2", "/services/", password):
        assert secret not in stored


def test_an_alerts_dashboard_link_opens_that_spike(alert, planted, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_dashboard import APP

    with http_receiver() as hook:
        assert alert("--webhook", hook.url, "--dashboard-url", DASHBOARD).code == 0
    azure = next(a for a in alerts_of(hook) if key(a) == AZURE)
    link = urlsplit(azure["dashboard_url"])
    monkeypatch.setenv("DELIVERABILITY_DB", str(planted.db))
    monkeypatch.setenv("DELIVERABILITY_CATALOG_EXTRA", str(planted.catalog))
    at = AppTest.from_file(APP, default_timeout=60)
    for name, values in parse_qs(link.query).items():
        at.query_params[name] = values[0]
    at.switch_page(f"views{link.path}.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # The hour grain from the link (the page's own default is day), the spike picked.
    assert [s.value for s in at.subheader][0].replace("\\", "") == "azure_acs · sms · 7101"
    assert not any("Showing the most significant spike" in c.value for c in at.caption)
    assert at.dataframe[0].value["period_start"].tolist()[0].hour == 10


def test_the_readmes_alerts_toml_is_a_working_config(tmp_path, monkeypatch):
    from deliverability.alerts.config import load_config
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Alert rules: `--config alerts.toml`", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    config = tmp_path / "alerts.toml"
    config.write_text(example, encoding="utf-8")
    monkeypatch.setenv("SLACK_AZURE_WEBHOOK", "https://hooks.slack.com/services/T0/B0/x")
    monkeypatch.setenv("TEAMS_TWILIO_WEBHOOK", "https://example.webhook.office.com/webhookb2/x")
    monkeypatch.setenv("SMTP_PASSWORD", "pw")
    loaded = load_config(config)
    assert [r.name for r in loaded.rules] == ["azure", "twilio blocking"]
    azure, twilio = loaded.rules
    assert azure.providers == ("azure_acs",) and azure.grain == "hour"
    slack = hashlib.sha256(b"https://hooks.slack.com/services/T0/B0/x").hexdigest()[:6]
    assert [d.label for d in azure.destinations] == [
        f"azure-oncall (slack webhook hooks.slack.com #{slack})",
        "deliverability-mail (email via mail.example.com:587 to deliverability@example.com, "
        "oncall@example.com)",
    ]
    assert twilio.categories == ("carrier_filtered", "sender_config") and twilio.min_count == 20
    assert twilio.grain == "day" and twilio.include_sustained and twilio.destinations[0].digest
    # No format given: by the host.
    assert [d.format for d in (azure.destinations[0], twilio.destinations[0])] == [
        "slack",
        "teams",
    ]
    assert loaded.dashboard_url == "https://deliverability.example.com"
