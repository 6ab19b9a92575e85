"""The weekly review as Markdown (GitHub-flavoured tables), for chat or email.

It shows the same tables as the HTML (render/review_tables.py). Log values get a backslash
before every ASCII punctuation character, so that `**bold**` in a campaign name shows as
text.
"""

from __future__ import annotations

from deliverability.queries.review import Review
from deliverability.render.review_tables import NUM, TEXT, Table, sections, when

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
