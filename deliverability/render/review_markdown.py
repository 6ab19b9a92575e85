"""The weekly review as Markdown (GitHub-flavoured tables), for chat or email.

It shows the same tables as the HTML (render/review_tables.py). Log values get a backslash
before every ASCII punctuation character, so that `**bold**` in a campaign name shows as
text.
"""

from __future__ import annotations

import re

from deliverability.queries.review import Review
from deliverability.render.review_tables import NUM, TEXT, Table, sections, when

# Characters that start or end Markdown (or GitHub's extensions: tables, strikethrough,
# math) wherever they stand.
_MD_ALWAYS = set("\\`*[]<>|~$")
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
_LINK_SCHEME = re.compile(r"(https?|ftp|mailto)$", re.IGNORECASE)


def md(value: object) -> str:
    """VALUE as literal Markdown text, line breaks flattened: escaped only where Markdown
    would change it, so `T-Mobile` and `black_friday_promo` read as written when pasted into
    a chat tool, while `**bold**`, `<img ...>`, `[a](b)`, an entity, a bare URL, a heading or
    list marker at the start, and `_emphasis_` stay text."""
    flat = " ".join(str(value).split())
    out = []
    for i, ch in enumerate(flat):
        prev = flat[i - 1] if i else ""
        nxt = flat[i + 1] if i + 1 < len(flat) else ""
        escape = (
            ch in _MD_ALWAYS
            # Inside a word `_` cannot open or close emphasis (CommonMark).
            or (ch == "_" and not (prev.isalnum() and nxt.isalnum()))
            or (ch == "&" and _ENTITY.match(flat, i) is not None)
            or (i == 0 and ch in "#+-=")
            # "1. " at the start would be a numbered list.
            or (ch in ".)" and flat[:i].isdigit() and nxt in ("", " "))
            # Autolinks: a scheme's colon, www's dot.
            or (ch == ":" and _LINK_SCHEME.search(flat, 0, i) is not None)
            or (ch == "." and flat[max(0, i - 3) : i].lower() == "www")
        )
        out.append("\\" + ch if escape else ch)
    return "".join(out)


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
