"""The weekly review as a file: self-contained HTML (inline CSS and SVG charts, no script, no
link to anything) and Markdown for chat or email.

Both renderers read the same tables (`sections`): our own text and numbers, and values from
the logs. Log values are escaped for the format: html.escape in HTML, a backslash before
every ASCII punctuation character in Markdown, so that `<img onerror=...>` or `**bold**`
in a campaign name shows as text. Phone numbers were already removed by queries.review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape

import polars as pl

from deliverability import review_charts
from queries.review import Review

TEXT, NUM = "text", "num"  # a column of log values (escaped) or of our own numbers
DIMENSION_TITLES = {
    "code": "Codes",
    "carrier": "Carriers",
    "country": "Countries",
    "campaign": "Campaigns",
}


@dataclass
class Table:
    caption: str
    columns: list[tuple[str, str]]  # (header, TEXT | NUM)
    rows: list[list[str]]
    empty: str = "Nothing to report."


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)  # our own sentences (may hold log values:
    tables: list[Table] = field(default_factory=list)  # none do)
    chart: str = ""  # only in HTML


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
        return (
            value.strftime("%Y-%m-%d %H:%M")
            if value.time() != datetime.min.time()
            else (value.date().isoformat())
        )
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
    vs_prev, vs_base = h["vs_previous"], h["vs_baseline"]
    rows = [
        [
            "Messages",
            count(cur["messages"]),
            count(prev["messages"]),
            change(cur["messages"], prev["messages"]),
            count(base["messages"]),
            change(cur["messages"], base["messages"]),
        ],
        [
            "Delivered",
            count(cur["delivered"]),
            count(prev["delivered"]),
            change(cur["delivered"], prev["delivered"]),
            count(base["delivered"]),
            change(cur["delivered"], base["delivered"]),
        ],
        [
            "Failed",
            count(cur["failed"]),
            count(prev["failed"]),
            change(cur["failed"], prev["failed"]),
            count(base["failed"]),
            change(cur["failed"], base["failed"]),
        ],
        [
            "No delivery report",
            count(cur["no_report"]),
            count(prev["no_report"]),
            change(cur["no_report"], prev["no_report"]),
            count(base["no_report"]),
            change(cur["no_report"], base["no_report"]),
        ],
    ]
    for label, key in (
        ("Delivery rate", "delivery_rate"),
        ("Failure rate", "failure_rate"),
        ("Pending / no report rate", "pending_rate"),
    ):
        rows.append(
            [
                label,
                pct(cur[key]),
                pct(prev[key]),
                pp(vs_prev[key]),
                pct(base[key]),
                pp(vs_base[key]),
            ]
        )
    return Table(
        "Headline",
        [
            ("", NUM),
            ("This week", NUM),
            ("Previous week", NUM),
            ("Change", NUM),
            (f"{h['baseline_weeks']}-week baseline (per week)", NUM),
            ("Change vs baseline", NUM),
        ],
        rows,
    )


def _dimension_label(row: dict, dim: str) -> list[str]:
    if dim == "code":
        return [
            text(row["provider"]),
            text(row["channel"]),
            text(row["code"]),
            text(row.get("name")),
        ]
    return [text(row[dim])]


def _dimension_columns(dim: str) -> list[tuple[str, str]]:
    if dim == "code":
        return [("Provider", TEXT), ("Channel", TEXT), ("Code", TEXT), ("Meaning", TEXT)]
    return [(dim.capitalize(), TEXT)]


def _changes(review: Review, which: str) -> list[Table]:
    frames = review.worse if which == "worse" else review.better
    tables = []
    for dim, title in DIMENSION_TITLES.items():
        frame = frames.get(dim, pl.DataFrame())
        rows = [
            [
                *_dimension_label(r, dim),
                count(r["failed_current"]),
                count(r["messages_current"]),
                pct(r["rate_current"]),
                pct(r["rate_previous"]),
                pct(r.get("rate_baseline")),
                pp(r["delta_pp"]),
                p_value(r["p_value"]),
            ]
            for r in frame.iter_rows(named=True)
        ]
        tables.append(
            Table(
                title,
                [
                    *_dimension_columns(dim),
                    ("Failed", NUM),
                    ("Messages", NUM),
                    ("Failure rate", NUM),
                    ("Previous week", NUM),
                    ("Baseline", NUM),
                    ("Change", NUM),
                    ("p-value", NUM),
                ],
                rows,
                empty=f"No {title.lower()} got significantly {which}.",
            )
        )
    return tables


def _contributors(review: Review, spike: int) -> str:
    part = review.spike_contributors.filter(pl.col("spike") == spike)
    return "; ".join(
        f"{r['dimension']} {text(r['value'])} ({count(r['count'])}, {r['excess']:+.1f})"
        for r in part.iter_rows(named=True)
    )


def _spikes(review: Review) -> Table:
    rows = [
        [
            when(r["period_start"]),
            text(r["provider"]),
            text(r["channel"]),
            text(r["code"]),
            text(r.get("name")),
            count(r["count"]),
            count(r["messages"]),
            pct(r["rate"]),
            pct(r["baseline_rate"]),
            "new" if r["ratio"] is None or r["ratio"] == float("inf") else f"×{r['ratio']:.1f}",
            p_value(r["q_value"]),
            _contributors(review, r["spike"]),
        ]
        for r in review.spikes.iter_rows(named=True)
    ]
    return Table(
        f"Spikes ({review.spike_grain} grain)",
        [
            ("When", NUM),
            ("Provider", TEXT),
            ("Channel", TEXT),
            ("Code", TEXT),
            ("Meaning", TEXT),
            ("Count", NUM),
            ("Messages", NUM),
            ("Rate", NUM),
            ("Baseline", NUM),
            ("Ratio", NUM),
            ("q-value", NUM),
            ("Top contributors (count, excess over baseline)", TEXT),
        ],
        rows,
        empty="No code spiked this week.",
    )


def _codes(review: Review) -> list[Table]:
    new = Table(
        "Codes new this week (not reported in the 4 weeks before)",
        [
            ("Provider", TEXT),
            ("Channel", TEXT),
            ("Code", TEXT),
            ("Meaning", TEXT),
            ("Category", TEXT),
            ("Messages", NUM),
            ("First seen", NUM),
        ],
        [
            [
                text(r["provider"]),
                text(r["channel"]),
                text(r["code"]),
                text(r["name"]),
                text(r["category"]),
                count(r["messages"]),
                when(r["first_seen"]),
            ]
            for r in review.new_codes.iter_rows(named=True)
        ],
        empty="No new codes.",
    )
    unknown = Table(
        "Uncatalogued codes reported this week",
        [
            ("Provider", TEXT),
            ("Channel", TEXT),
            ("Code", TEXT),
            ("Example status text", TEXT),
            ("Reports", NUM),
            ("Messages", NUM),
        ],
        [
            [
                text(r["provider"]),
                text(r["channel"]),
                text(r["code"]),
                text(r["example_text"]),
                count(r["events"]),
                count(r["messages"]),
            ]
            for r in review.uncatalogued.iter_rows(named=True)
        ],
        empty="Every code reported this week is in the catalog.",
    )
    return [new, unknown]


def _quality(review: Review) -> tuple[list[str], list[Table]]:
    week, overall = review.ingests["this_week"], review.ingests["overall"]
    lines = [
        f"Files ingested this week: {week['files']:,} ({week['rows_read']:,} rows read, "
        f"{week['rejected']:,} rejected). Overall: {overall['files']:,} files, "
        f"{overall['rows_read']:,} rows read, {overall['rejected']:,} rejected.",
    ]
    if not review.complete:
        lines.append(
            f"This week is not complete: the store's data ends at {when(review.data_until)}."
        )
    coverage = Table(
        "Messages with no delivery report, by provider",
        [
            ("Provider", TEXT),
            ("Messages", NUM),
            ("In the send log", NUM),
            ("No report", NUM),
            ("Share of sent with no report", NUM),
        ],
        [
            [
                text(r["provider"]),
                count(r["messages"]),
                count(r["with_send"]),
                count(r["no_report"]),
                pct(r["no_report_share"]) if r["with_send"] else "no send log",
            ]
            for r in review.report_coverage.iter_rows(named=True)
        ],
        empty="No messages this week.",
    )
    rejections = Table(
        "Rejected rows by reason",
        [("Files ingested", NUM), ("Reason", TEXT), ("Rows", NUM), ("Files", NUM)],
        [
            [r["period"], text(r["reason"]), count(r["rows"]), count(r["files"])]
            for r in review.rejections.iter_rows(named=True)
        ],
        empty="No rejected rows.",
    )
    gaps = Table(
        "Ingest gaps: days of the week with no data",
        [("Day", NUM), ("Provider", TEXT), ("What is missing", NUM), ("Usual per day", NUM)],
        [
            [
                when(r["day"]),
                text(r["provider"]) if r["provider"] else "all providers",
                r["kind"],
                count(r["usual_per_day"]),
            ]
            for r in review.gaps.iter_rows(named=True)
        ],
        empty="No gaps: every day of the week has data.",
    )
    return lines, [coverage, rejections, gaps]


def _notes(review: Review) -> Table:
    return Table(
        "Notes",
        [
            ("About", NUM),
            ("Subject", TEXT),
            ("From week", NUM),
            ("Note", TEXT),
            ("By", TEXT),
            ("Written", NUM),
        ],
        [
            [
                r["scope"],
                text(r["subject"]),
                r["week"] or "–",
                text(r["body"]),
                text(r["author"]),
                when(r["created_at"]),
            ]
            for r in review.notes.iter_rows(named=True)
        ],
        empty="No notes for this week. Add one with `deliverability note add`.",
    )


def sections(review: Review) -> list[Section]:
    chart_start = review.start - timedelta(days=28)
    worse_codes = review.worse.get("code", pl.DataFrame())
    worse_labels, worse_deltas = [], []
    for dim in ("code", "carrier"):
        for r in review.worse.get(dim, pl.DataFrame()).head(8).iter_rows(named=True):
            label = (
                f"code {r['provider']} {r['code']}"
                if dim == "code"
                else f"carrier {text(r['carrier'])}"
            )
            worse_labels.append(label)
            worse_deltas.append(r["delta_pp"])
    quality_lines, quality_tables = _quality(review)
    return [
        Section(
            "How did we do",
            [
                f"Week {review.week}: {when(review.start)} to "
                f"{when(review.end - timedelta(days=1))} (UTC). Changes are vs the previous week "
                f"and vs the average week of the {review.headline['baseline_weeks']} weeks with "
                "data among the 4 before."
            ],
            [_headline(review)],
            review_charts.daily_outcomes(review.daily, chart_start, review.end, review.start.date())
            + review_charts.daily_failure_rate(
                review.daily, chart_start, review.end, review.start.date()
            ),
        ),
        Section(
            "What got worse",
            [
                f"{review.worse_count()} significant deterioration(s) in failure rate vs the "
                "previous week (two-proportion test, p < 0.05; rows with fewer than "
                f"{review.settings.get('min_messages', 0)} messages left out), most significant "
                "first."
            ]
            if not worse_codes.is_empty() or review.worse_count()
            else ["Nothing got significantly worse vs the previous week."],
            _changes(review, "worse"),
            review_charts.change_bars(
                worse_labels, worse_deltas, "Change in failure rate (percentage points)"
            ),
        ),
        Section("What got better", [], _changes(review, "better")),
        Section("What spiked", [], [_spikes(review)]),
        Section("What is new", [], _codes(review)),
        Section("Can we trust the data", quality_lines, quality_tables),
        Section("Notes", [], [_notes(review)]),
    ]


# -- HTML -------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:2rem auto;max-width:1100px;padding:0 1rem;color:#212121;line-height:1.4}
h1{font-size:1.6rem}h2{border-bottom:2px solid #e0e0e0;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.3rem 0 1rem}
th,td{border:1px solid #e0e0e0;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;white-space:nowrap}
p.empty{color:#616161;font-style:italic}.meta{color:#616161;font-size:.85rem}
svg.chart{display:block;margin:.5rem 0 1rem;font-family:inherit}
"""


def _html_table(table: Table) -> str:
    out = [f"<h3>{escape(table.caption)}</h3>"]
    if not table.rows:
        return out[0] + f'<p class="empty">{escape(table.empty)}</p>'
    out.append("<table><thead><tr>")
    out += [f"<th>{escape(h)}</th>" for h, _ in table.columns]
    out.append("</tr></thead><tbody>")
    for row in table.rows:
        out.append("<tr>")
        for (_, kind), cell in zip(table.columns, row, strict=True):
            cls = ' class="num"' if kind == NUM else ""
            out.append(f"<td{cls}>{escape(cell)}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def to_html(review: Review) -> str:
    """The review as one HTML file: inline CSS and SVG, no script, no external reference."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(review.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(review.title)}</h1>",
        f'<p class="meta">Generated {escape(when(datetime.now().replace(microsecond=0)))}; '
        f"data until {escape(when(review.data_until))} (UTC).</p>",
    ]
    for section in sections(review):
        parts.append(f"<section><h2>{escape(section.title)}</h2>")
        parts += [f"<p>{escape(line)}</p>" for line in section.lines]
        if section.chart:
            parts.append(section.chart)
        parts += [_html_table(t) for t in section.tables]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


# -- Markdown ---------------------------------------------------------------------------------

_MD_PUNCTUATION = set("\\`*_{}[]()<>#+-.!|~=\"'$%&,/:;?@^")


def md(value: object) -> str:
    """VALUE as literal Markdown text: every ASCII punctuation character backslash-escaped
    (CommonMark and GitHub tables honour it), line breaks flattened."""
    flat = " ".join(str(value).split())
    return "".join("\\" + ch if ch in _MD_PUNCTUATION else ch for ch in flat)


def _md_cell(cell: str, kind: str) -> str:
    return md(cell) if kind == TEXT else cell.replace("|", "\\|")


def _md_table(table: Table) -> list[str]:
    out = [f"### {table.caption}", ""]
    if not table.rows:
        return [*out, f"_{table.empty}_", ""]
    out.append("| " + " | ".join(h or " " for h, _ in table.columns) + " |")
    out.append("| " + " | ".join("---:" if k == NUM else "---" for _, k in table.columns) + " |")
    for row in table.rows:
        cells = [_md_cell(c, k) for (_, k), c in zip(table.columns, row, strict=True)]
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def to_markdown(review: Review) -> str:
    """The review as Markdown (GitHub-flavoured tables), for chat or email."""
    out = [f"# {review.title}", "", f"_Data until {when(review.data_until)} UTC._", ""]
    for section in sections(review):
        out += [f"## {section.title}", ""]
        for line in section.lines:
            out += [line, ""]
        for table in section.tables:
            out += _md_table(table)
    return "\n".join(out).rstrip() + "\n"
