"""`deliverability review` and `note add|list` through the installed entry point, on the
store tests/test_review.py builds."""

from __future__ import annotations

import json

import pytest

from deliverability.queries.review import weekly_review
from deliverability.render.review_markdown import md, to_markdown
from deliverability.store import Store
from tests.conftest import cli_json, run_cli
from tests.test_review import WEEK, review_db  # noqa: F401  (review_db: a fixture)


@pytest.mark.slow
def test_notes_round_trip_through_the_cli(review_db, tmp_path):
    db = ["--db", str(review_db)]
    added = cli_json(
        "note", "add", *db, "--week", WEEK, "--text", "Verizon <b>blocked</b> us", "--author", "ops"
    )
    assert added["note"]["scope"] == "week" and added["note"]["subject"] == WEEK
    cli_json(
        "note",
        "add",
        *db,
        "--code",
        "4005",
        "--provider",
        "azure_acs",
        "--text",
        "carrier filtering, **see ticket**",
    )
    cli_json(
        "note",
        "add",
        *db,
        "--carrier",
        "verizon",
        "--for-week",
        WEEK,
        "--text",
        "10DLC registration pending",
    )
    cli_json("note", "add", *db, "--campaign", "spring-sale", "--text", "spring campaign note")
    listed = cli_json("note", "list", *db)["notes"]
    assert {n["scope"] for n in listed} == {"week", "code", "carrier", "campaign"}
    code_note = next(n for n in listed if n["scope"] == "code")
    assert code_note["subject"] == "azure_acs:*:4005"

    bad = run_cli("note", "add", *db, "--week", "2024-19", "--text", "x", check=False)
    assert bad.returncode == 2 and "ISO week" in bad.stderr

    out = tmp_path / "w19.md"
    run_cli("review", *db, "--out", str(out))  # default week: W19
    covered = out.read_text(encoding="utf-8")
    for body in (
        "Verizon <b>blocked</b> us",
        "carrier filtering, **see ticket**",
        "10DLC registration pending",
        "spring campaign note",
    ):
        assert md(body) in covered
    assert "<b>" not in covered and "**see" not in covered
    earlier = run_cli("review", *db, "--week", "2024-W18").stdout
    assert "blocked" not in earlier and "see ticket" not in earlier
    assert "10DLC" not in earlier  # carrier note applies from W19 on
    assert "spring campaign note" in earlier  # no week: every week with the campaign
    page = tmp_path / "w19.html"
    run_cli("review", *db, "--week", WEEK, "--out", str(page))
    html_text = page.read_text(encoding="utf-8")
    assert "Verizon &lt;b&gt;blocked&lt;/b&gt; us" in html_text
    bad_out = run_cli("review", *db, "--out", str(tmp_path / "x.pdf"), check=False)
    assert bad_out.returncode == 2


def test_review_of_an_empty_store(tmp_path):
    proc = run_cli("review", "--db", str(tmp_path / "e.duckdb"), check=False)
    assert proc.returncode == 2 and "no messages" in proc.stderr
    store = Store.open(tmp_path / "e.duckdb")
    try:
        empty = weekly_review(store.con, "2024-W19")
        assert empty.headline["current"]["messages"] == 0
        assert to_markdown(empty).startswith("# Deliverability review 2024-W19")
        json.dumps(empty.headline, default=str)
    finally:
        store.close()


def test_a_week_without_messages_is_refused_and_nothing_written(review_db, tmp_path):
    out = tmp_path / "review.html"
    proc = run_cli("review", "--db", str(review_db), "--week", "2020-W10", "--out", str(out),
                   check=False)  # fmt: skip
    assert proc.returncode == 1
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stderr.startswith("deliverability: no messages in 2020-W10 (the store's data ends")
    assert not out.exists()
    # The reviewed week itself still writes its review.
    run_cli("review", "--db", str(review_db), "--week", WEEK, "--out", str(out))
    assert out.exists()


@pytest.mark.parametrize(
    "value",
    [
        "T-Mobile", "black_friday_promo", "AT&T", "**bold**", "<img src=x onerror=alert(1)>",
        "[a](javascript:x)", "&lt;b&gt;", "# title", "- item", "1. first", "_em_", "x_y_",
        "*a*b", "a\\b", "~~gone~~", "`code`", "a|b",
    ],
)  # fmt: skip
def test_markdown_escapes_only_what_would_render(value):
    """Rendered by a CommonMark parser, each value reads exactly as written; values Markdown
    would leave alone are not escaped at all (pasted into chat, they read as written)."""
    import html
    import re

    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md(value))
    assert html.unescape(re.sub(r"^<p>|</p>\n$", "", rendered)) == value
    if value in ("T-Mobile", "black_friday_promo", "AT&T"):
        assert md(value) == value
