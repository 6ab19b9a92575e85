"""`deliverability alert` across runs: which data a run looks at (late and backfilled data,
a spike that failed to go), send-once across rules and runs, a delivery made while the
store is busy, and how webhook answers and config mistakes are taken. Real stores, the real
CLI, real HTTP receivers (tests/alert_receivers.py)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest

from deliverability.alerts.destinations import Webhook
from deliverability.alerts.journal import journal_path
from deliverability.cli import main
from deliverability.demo import sample_files
from deliverability.ingest import ingest_files
from deliverability.store import Store
from tests.alert_receivers import http_receiver
from tests.conftest import run_cli
from tests.test_alerts import AZURE, TWILIO, alerts_of, key, ledger

TEAMS_THROTTLED = (
    b"Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP "
    b"error 429 with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef"
)
TEAMS_TOO_LARGE = (
    b"Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP "
    b"error 413 with ContextId tcid=0"
)


@pytest.fixture
def alert(planted, capsys):
    def run(*args: str) -> tuple[int, str]:
        code = main(
            ["alert", "--db", str(planted.db), "--catalog-extra", str(planted.catalog), *args]
        )
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    return run


def ingest(db: Path, paths: list[Path], catalog: Path | None = None) -> None:
    store = Store.open(db, catalog_extra=catalog)
    try:
        assert all(r.ok for r in ingest_files(store, paths))
    finally:
        store.close()


@pytest.mark.slow
def test_backfilled_data_is_alerted_on_whatever_its_time(tmp_path, capsys):
    """Twilio's export arrives after the other providers' newer data was alerted on: its
    spikes (30007, 2026-11-18 14:00-18:00) are found all the same."""
    db = tmp_path / "samples.duckdb"
    files = sample_files()
    ingest(db, [p for p in files if not p.name.startswith("twilio")])
    with http_receiver() as hook:
        args = ["alert", "--db", str(db), "--webhook", hook.url]
        assert main(args) == 0, capsys.readouterr().err
        before = len(alerts_of(hook))
        ingest(db, [p for p in files if p.name.startswith("twilio")])
        assert main(args) == 0, capsys.readouterr().err
        late = alerts_of(hook)[before:]
    spikes = {(a["provider"], a["code"], a["period_start"]) for a in late}
    assert {p for p, c, at in spikes if c == "30007" and at.startswith("2026-11-18T")} == {"twilio"}
    # Exactly the Twilio spikes `spikes` finds: the same test over the same data.
    capsys.readouterr()
    code = main(["spikes", "--db", str(db), "--format", "json"])
    found = json.loads(capsys.readouterr().out)["spikes"]
    assert code == 0
    assert spikes == {
        (s["provider"], s["code"], s["period_start"] + "Z")
        for s in found
        if s["provider"] == "twilio"
    }


def test_a_spike_that_failed_to_go_is_sent_when_newer_data_arrived(alert, planted, tmp_path):
    with http_receiver([404, 404]) as refusing:
        url = refusing.url
        code, shown = alert("--webhook", url)
        assert code == 4 and "HTTP 404" in shown
    # Newer data: a week later, nothing near the spikes' buckets.
    newer = tmp_path / "newer.csv"
    rows = [
        f"n{i},azure_acs,sms,2024-01-{22 + i // 48:02d}T{(i // 2) % 24:02d}:00:00Z,+1415555{i:04d}"
        for i in range(96)
    ]
    newer.write_text(
        "message_id,provider,channel,sent_at,recipient\n" + "\n".join(rows) + "\n", "utf-8"
    )
    ingest(planted.db, [newer], planted.catalog)
    with http_receiver(port=int(urlsplit(url).port)) as hook:
        code, shown = alert("--webhook", url)
        assert code == 0, shown
    assert sorted(map(key, alerts_of(hook))) == [AZURE, TWILIO]


def test_a_spike_two_rules_find_goes_once_to_each_destination(
    alert, planted, tmp_path, monkeypatch
):
    config = tmp_path / "alerts.toml"
    config.write_text(
        "[destinations.team]\nwebhook = 'env:TEAM_HOOK'\n\n"
        "[destinations.oncall]\nwebhook = 'env:ONCALL_HOOK'\n\n"
        "[[rules]]\nname = 'everything'\ndestinations = ['team', 'oncall']\n\n"
        "[[rules]]\nname = 'azure'\nprovider = 'azure_acs'\ndestinations = ['team']\n",
        encoding="utf-8",
    )
    with http_receiver() as team, http_receiver() as oncall:
        monkeypatch.setenv("TEAM_HOOK", team.url)
        monkeypatch.setenv("ONCALL_HOOK", oncall.url)
        code, shown = alert("--config", str(config))
        assert code == 0, shown
        assert code == 0 and alert("--config", str(config))[0] == 0
    assert sorted(map(key, alerts_of(team))) == [AZURE, TWILIO]
    assert sorted(map(key, alerts_of(oncall))) == [AZURE, TWILIO]
    rows, _ = ledger(planted.db)
    assert rows.height == 4


def test_a_delivery_made_while_the_store_is_busy_is_kept_and_never_sent_again(planted):
    """The store is held by another process from the first POST on: the messages go, the
    run exits 4 saying they wait in the journal, and the next run records them and sends
    nothing again."""
    held: list[duckdb.DuckDBPyConnection] = []
    release = threading.Event()

    def hold_store(number: int) -> None:
        if number == 1:
            held.append(duckdb.connect(str(planted.db)))

    base = ["alert", "--db", str(planted.db), "--catalog-extra", str(planted.catalog)]
    try:
        with http_receiver(on_request=hold_store) as hook:
            proc = run_cli(*base, "--webhook", hook.url, "--wait", "0.5", check=False)
            assert proc.returncode == 4, proc.stderr
            assert len(hook.requests) == 2  # both spikes went, the store busy all along
            assert "could not be recorded in the store" in proc.stderr
            assert "store.duckdb.alert-journal" in proc.stderr and "Traceback" not in proc.stderr
            assert journal_path(planted.db).exists()
            held.pop().close()
            release.set()
            again = run_cli(*base, "--webhook", hook.url, check=False)
            assert again.returncode == 0, again.stderr
            assert len(hook.requests) == 2  # nothing twice
    finally:
        for con in held:
            con.close()
    rows, rules = ledger(planted.db)
    assert rows.height == 2 and rules.height == 1
    assert not journal_path(planted.db).exists()


def test_a_teams_200_that_says_it_failed_is_a_failure(alert, planted):
    # Throttled (429 in the body): tried again, then delivered.
    with http_receiver(bodies=[TEAMS_THROTTLED]) as teams:
        code, shown = alert("--webhook", teams.url, "--webhook-format", "teams", "--digest")
        assert code == 0, shown
        assert len(teams.requests) == 2
    # Too large (413): not tried again, not recorded, exit 4.
    with http_receiver(bodies=[TEAMS_TOO_LARGE]) as teams:
        code, shown = alert(
            "--webhook", teams.url, "--webhook-format", "teams", "--digest", "--provider", "twilio"
        )
        assert code == 4 and "Teams did not deliver it (HTTP 413" in shown
        assert len(teams.requests) == 1
    rows, _ = ledger(planted.db)
    assert rows.height == 2  # the digest's two spikes, from the first destination


def test_a_retry_after_beyond_a_minute_is_left_for_the_next_run(alert):
    with http_receiver([429], headers={"Retry-After": "3600"}) as hook:
        code, shown = alert("--webhook", hook.url, "--digest", "--retries", "3")
        assert code == 4 and "Retry-After 3600 s: left for the next run" in shown
        assert len(hook.requests) == 1


def test_webhook_format_is_detected_on_the_url_an_env_variable_holds(alert, monkeypatch):
    monkeypatch.setenv("SLACK_HOOK", "https://hooks.slack.com/services/T0/B0/tok-secret")
    monkeypatch.setenv("TEAMS_HOOK", "https://acme.webhook.office.com/webhookb2/tok-secret")
    assert Webhook.parse("env:SLACK_HOOK").format == "slack"
    assert Webhook.parse("env:TEAMS_HOOK").format == "teams"
    code, shown = alert("--webhook", "env:SLACK_HOOK", "--dry-run")
    assert code == 0 and "would send to slack webhook hooks.slack.com #" in shown
    assert "tok-secret" not in shown


def test_two_webhooks_on_one_host_have_labels_apart():
    one = Webhook.parse("https://hooks.slack.com/services/T0/B0/one")
    two = Webhook.parse("https://hooks.slack.com/services/T0/B1/two")
    assert one.label != two.label and "one" not in one.label
    assert one.label.startswith("slack webhook hooks.slack.com #")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--lake", "lake"), "--lake is not taken"),
        (("--engine", "spark"), "--engine is not taken"),
        (("--spark-remote", "sc://localhost:15002"), "--spark-remote is not taken"),
    ],
)
def test_alert_and_watch_refuse_the_lake(alert, planted, tmp_path, capsys, args, message):
    code, shown = alert("--webhook", "http://127.0.0.1:9/h", *args)
    assert code == 2 and message in shown and len(shown.strip().splitlines()) == 1
    code = main(["watch", str(tmp_path), "--once", "--db", str(planted.db), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


BAD = [
    # (file text, line named, message)
    (
        "dashboard_url = 5\n\n[destinations.a]\nwebhook = 'http://127.0.0.1/h'\n\n[[rules]]\n"
        "destinations = ['a']\n",
        1,
        "dashboard_url must be a text",
    ),
    (
        "[destinations.a]\nsmtp = 'smtp://mail.example.com'\nto = 'ops@example.com'\nfrom = 5\n\n"
        "[[rules]]\ndestinations = ['a']\n",
        4,
        "from must be a text",
    ),
    (
        "[destinations.a]\nwebhook = 5\n\n[[rules]]\ndestinations = ['a']\n",
        2,
        "webhook must be a text",
    ),
    (
        "[destinations.a]\nwebhook = 'https://hooks.example.com/a b'\n\n[[rules]]\n"
        "destinations = ['a']\n",
        2,
        "the URL holds a space",
    ),
    (
        '[destinations.a]\nwebhook = "https://hooks.example.com/a\\r\\nX-Evil: 1"\n\n[[rules]]\n'
        "destinations = ['a']\n",
        2,
        "the URL holds a line break",
    ),
    (
        "[destinations.a]\nwebhook = 'https://hooks.example.com/é'\n\n[[rules]]\n"
        "destinations = ['a']\n",
        2,
        "the URL holds a character",
    ),
    (
        "[destinations.a]\nwebhook = 'http://127.0.0.1/h'\n\n[[rules]]\nname = 5\n"
        "destinations = ['a']\n",
        5,
        "name must be a text",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD, ids=[m for _, _, m in BAD])
def test_a_wrong_type_or_url_in_the_config_is_one_line(alert, tmp_path, text, line, message):
    config = tmp_path / "alerts.toml"
    config.write_text(text, encoding="utf-8")
    code, shown = alert("--config", str(config))
    assert code == 2 and shown.startswith(f"deliverability: {config}:{line}: "), shown
    assert message in shown and len(shown.strip().splitlines()) == 1
