"""Log values are untrusted: never HTML, never Markdown.

Streamlit's st.dataframe, st.text, st.code and st.metric show text as text. Plotly, though,
reads a few HTML tags in labels (<b>, <br>, <a>), so every log value that becomes a chart
label goes through `label()` first. Markdown is only ever used for our own fixed strings.
"""

from __future__ import annotations

# Look-alike brackets: the text stays readable and plotly sees no tag.
_TAG_SAFE = str.maketrans({"<": "‹", ">": "›", "&": "＆"})


def label(value: object) -> str:
    return "" if value is None else str(value).translate(_TAG_SAFE)


_MARKDOWN_PUNCTUATION = set("\\`*_{}[]()<>#+-.!|~=\"'$%&,/:;?@^")


def md(value: object) -> str:
    """VALUE for a Markdown-reading element (headers, captions, notices) as literal text:
    CommonMark lets a backslash escape any ASCII punctuation, so nothing stays markup."""
    text = "" if value is None else str(value)
    return "".join("\\" + ch if ch in _MARKDOWN_PUNCTUATION else ch for ch in text).replace(
        "\n", " "
    )
