"""The weekly review as tables of text: what both renderers (HTML and Markdown) show.

Cells are plain, unescaped strings. A column is TEXT when its cells come from the logs (the
renderer escapes them for its format), LABEL or NUM when they are our own words and numbers
(NUM is right-aligned). Phone numbers were already removed by queries.review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import polars as pl

from deliverability.queries.review import Review
from deliverability.render import review_charts

TEXT, LABEL, NUM = "text", "label", "num"
DIMENSION_TITLES = {"code": "Codes", "carrier": "Carriers", "country": "Countries",
                    "campaign": "Campaigns"}  # fmt: skip
CODE_COLUMNS = "Provider Channel Code Meaning"


@dataclass
class Table:
    caption: str
    columns: list[tuple[str, str]]  # (header, TEXT | LABEL | NUM)
    rows: list[list[str]]
    empty: str = "Nothing to report."


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)  # our own sentences, no log values
    tables: list[Table] = field(default_factory=list)
    chart: str = ""  # inline SVG, only in HTML
    chart_first: bool = True


def columns(texts: str = "", nums: tuple[str, ...] = (), labels: tuple[str, ...] = ()):
    """Log-value columns (space-separated single words), then label and number columns."""
    return (
        [(h, LABEL) for h in labels] + [(h, TEXT) for h in texts.split()] + [(h, NUM) for h in nums]
    )


# -- formatting -------------------------------------------------------------------------------


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"


def pp(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f} pp"


def count(value) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if isinstance(value, float) else f"{int(value):,}"


def p_value(value: float | None) -> str:
    if value is None:
        return "–"
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def when(value: datetime | date | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def text(value: object) -> str:
    return "(none)" if value is None or value == "" else str(value)


def change(current, previous) -> str:
    if previous is None:
        return "–"
    diff = current - previous
    rel = f" ({diff / previous * 100:+.1f}%)" if previous else ""
    return f"{diff:+,.0f}{rel}"


# -- the tables -------------------------------------------------------------------------------


def _headline(review: Review) -> Table:
    h = review.headline
    cur, prev, base = h["current"], h["previous"], h["baseline"]
    rows = []
    for label, key in (
        ("Messages", "messages"),
        ("Delivered", "delivered"),
        ("Failed", "failed"),
        ("No delivery report", "no_report"),
    ):
        c, p, b = cur[key], prev[key], base[key]
        rows.append([label, count(c), count(p), change(c, p), count(b), change(c, b)])
    for label, key in (
        ("Delivery rate", "delivery_rate"),
        ("Failure rate", "failure_rate"),
        ("Pending / no report rate", "pending_rate"),
    ):
        c, p, b = cur[key], prev[key], base[key]
        vs_p, vs_b = h["vs_previous"][key], h["vs_baseline"][key]
        rows.append([label, pct(c), pct(p), pp(vs_p), pct(b), pp(vs_b)])
    baseline = f"{h['baseline_weeks']}-week baseline (per week)"
    nums = ("This week", "Previous week", "Change", baseline, "Change vs baseline")
    return Table("Headline", columns(labels=("",), nums=nums), rows)


# Which comparison found a change, in a reviewer's words.
FLAGGED_BY = {
    "previous_week": "previous week",
    "baseline": "4-week baseline",
    "both": "both",
}


def _lowest(*values: float | None) -> float | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def change_tables(review: Review, which: str) -> list[Table]:
    """What got worse (or better), one table per dimension, as every rendering shows it."""
    frames = review.worse if which == "worse" else review.better
    nums = ("Failed", "Messages", "Failure rate", "Previous week", "Baseline", "Change",
            "q-value")  # fmt: skip
    tables = []
    for dim, title in DIMENSION_TITLES.items():
        keys = ["provider", "channel", "code", "name"] if dim == "code" else [dim]
        rows = [
            [text(r.get(k)) for k in keys]
            + [
                count(r["failed_current"]),
                count(r["messages_current"]),
                pct(r["rate_current"]),
                pct(r["rate_previous"]),
                pct(r.get("rate_baseline")),
                pp(r["delta_pp"]),
                p_value(_lowest(r.get("q_value"), r.get("q_value_baseline"))),
                FLAGGED_BY.get(r.get("flagged_by"), ""),
            ]  # fmt: skip
            for r in frames.get(dim, pl.DataFrame()).iter_rows(named=True)
        ]
        heads = CODE_COLUMNS if dim == "code" else dim.capitalize()
        tables.append(Table(title, columns(heads, nums) + [("Flagged against", LABEL)], rows,
                            empty=f"No {title.lower()} got significantly {which}."))  # fmt: skip
    return tables


def _contributors(review: Review, spike: int) -> str:
    part = review.spike_contributors.filter(pl.col("spike") == spike)
    return "; ".join(
        f"{r['dimension']} {text(r['value'])} ({count(r['count'])}, {r['excess']:+.1f})"
        for r in part.iter_rows(named=True)
    )


def _ratio(value: float | None) -> str:
    return "new" if value is None or value == float("inf") else f"×{value:.1f}"


def _bucket(start: datetime, grain: str) -> str:
    return start.strftime("%Y-%m-%d %H:00") if grain == "hour" else when(start)


def _spikes(review: Review) -> Table:
    rows = [
        [_bucket(r["period_start"], review.spike_grain), *(text(r.get(k)) for k in ("provider", "channel", "code",
         "name")), _contributors(review, r["spike"]), count(r["count"]), count(r["messages"]),
         pct(r["rate"]), pct(r["baseline_rate"]), _ratio(r["ratio"]), p_value(r["q_value"])]
        for r in review.spikes.iter_rows(named=True)
    ]  # fmt: skip
    heads = columns(
        CODE_COLUMNS + " Top_contributors",
        ("Count", "Messages", "Rate", "Baseline", "Ratio", "q-value"),
        labels=("When",),
    )
    heads[5] = ("Top contributors (count, excess over baseline)", TEXT)
    return Table(f"Spikes ({review.spike_grain} grain)", heads, rows,
                 empty="No code spiked this week.")  # fmt: skip


def _codes(review: Review) -> list[Table]:
    new = Table(
        "Codes new this week (not reported in the 4 weeks before)",
        columns(CODE_COLUMNS + " Category", ("Messages", "First seen")),
        [[text(r[k]) for k in ("provider", "channel", "code", "name", "category")]
         + [count(r["messages"]), when(r["first_seen"])]
         for r in review.new_codes.iter_rows(named=True)],
        empty="No new codes.",
    )  # fmt: skip
    unknown = Table(
        "Uncatalogued codes reported this week",
        columns("Provider Channel Code Example_status_text", ("Reports", "Messages")),
        [[text(r[k]) for k in ("provider", "channel", "code", "example_text")]
         + [count(r["events"]), count(r["messages"])]
         for r in review.uncatalogued.iter_rows(named=True)],
        empty="Every code reported this week is in the catalog.",
    )  # fmt: skip
    unknown.columns[3] = ("Example status text", TEXT)
    return [new, unknown]


def _quality(review: Review) -> tuple[list[str], list[Table]]:
    week, overall = review.ingests["this_week"], review.ingests["overall"]
    lines = [
        f"Files with data for this week: {week['files']:,} ({week['rows']:,} rows of this "
        f"week; {week['rejected']:,} rows rejected in those files). Overall: "
        f"{overall['files']:,} files, {overall['rows_read']:,} rows read, "
        f"{overall['rejected']:,} rejected.",
    ]
    coverage = Table(
        "Messages with no delivery report, by provider",
        columns("Provider", ("Messages", "In the send log", "No report",
                             "Share of sent with no report")),
        [[text(r["provider"]), count(r["messages"]), count(r["with_send"]),
          count(r["no_report"]),
          pct(r["no_report_share"]) if r["with_send"] else "no send log"]
         for r in review.report_coverage.iter_rows(named=True)],
        empty="No messages this week.",
    )  # fmt: skip
    rejections = Table(
        "Rejected rows by reason",
        columns("Reason", ("Rows", "Files"), labels=("Files",)),
        [[r["period"], text(r["reason"]), count(r["rows"]), count(r["files"])]
         for r in review.rejections.iter_rows(named=True)],
        empty="No rejected rows.",
    )  # fmt: skip
    gaps = Table(
        "Ingest gaps: days of the week with no data",
        columns("Provider", ("Usual per day",), labels=("Day", "What is missing")),
        [[when(r["day"]), r["kind"], text(r["provider"]) if r["provider"] else "all providers",
          count(r["usual_per_day"])]
         for r in review.gaps.iter_rows(named=True)],
        empty="No gaps: every day of the week has data.",
    )  # fmt: skip
    return lines, [coverage, rejections, gaps]


def _notes(review: Review) -> Table:
    return Table(
        "Notes covering this week",
        columns("Subject Note By", ("Written",), labels=("About", "From week")),
        [[r["scope"], r["week"] or "–", text(r["subject"]), text(r["body"]),
          text(r["author"]), when(r["created_at"])]
         for r in review.notes.iter_rows(named=True)],
        empty="No notes for this week. Add one with: deliverability note add",
    )  # fmt: skip


def _worse_chart(review: Review) -> str:
    labels, deltas = [], []
    for dim in ("code", "carrier"):
        for r in review.worse.get(dim, pl.DataFrame()).head(8).iter_rows(named=True):
            if dim == "code":
                labels.append(f"code {r['provider']} {r['code']}")
            else:
                labels.append(f"carrier {text(r['carrier'])}")
            deltas.append(r["delta_pp"])
    return review_charts.change_bars(labels, deltas, "Change in failure rate (percentage points)")


def sections(review: Review) -> list[Section]:
    chart_start = review.start - timedelta(weeks=review.settings["baseline_weeks"])
    monday = review.start.date()
    worse = review.worse_count()
    worse_line = (
        f"{worse} significant deterioration(s) in failure rate vs the previous week "
        "(two-proportion test, p < 0.05; rows with fewer than "
        f"{review.settings.get('min_messages', 0)} messages in both weeks left out), most "
        "significant first."
        if worse
        else "Nothing got significantly worse vs the previous week."
    )
    quality_lines, quality_tables = _quality(review)
    return [
        Section(
            "How did we do",
            [
                f"Week {review.week}: {when(review.start)} to "
                f"{when(review.end - timedelta(days=1))} (UTC). Changes are vs the previous "
                f"week and vs the average of the {review.headline['baseline_weeks']} week(s) "
                "with data among the 4 before it."
            ]
            + (
                []
                if review.complete
                else [f"This week is not complete: the data ends at {when(review.data_until)}."]
            ),
            [_headline(review)],
            review_charts.daily_outcomes(review.daily, chart_start, review.end, monday)
            + review_charts.daily_failure_rate(review.daily_rates, monday),
            chart_first=False,
        ),
        Section(
            "What got worse", [worse_line], change_tables(review, "worse"), _worse_chart(review)
        ),
        Section("What got better", [], change_tables(review, "better")),
        Section("What spiked", [], [_spikes(review)]),
        Section("What is new", [], _codes(review)),
        Section("Can we trust the data", quality_lines, quality_tables),
        Section("Notes", [], [_notes(review)]),
    ]
