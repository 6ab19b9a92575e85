"""The weekly review as one self-contained HTML file: inline CSS and SVG charts, no script,
no link to anything, so it opens offline and can be mailed as it is.

It shows the same tables as the Markdown (render/review_tables.py). Log values go through
html.escape, so that `<img onerror=...>` in a campaign name shows as text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from deliverability.queries.review import Review
from deliverability.render.review_tables import NUM, Table, sections, when

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
    generated = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(review.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(review.title)}</h1>",
        f'<p class="meta">Generated {escape(when(generated))} UTC; '
        f"data until {escape(when(review.data_until))} UTC.</p>",
    ]
    for section in sections(review):
        parts.append(f"<section><h2>{escape(section.title)}</h2>")
        parts += [f"<p>{escape(line)}</p>" for line in section.lines]
        tables = [_html_table(t) for t in section.tables]
        parts += [section.chart, *tables] if section.chart_first else [*tables, section.chart]
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
