"""URLs of a lake and of its input: never with a secret in them (it would end up in shell
history, logs, the ledger and every report that names the lake). Credentials come from
where each storage client looks for them.
"""

from __future__ import annotations

import re

CREDENTIALS = (
    "give them in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or "
    "AWS_PROFILE; GOOGLE_APPLICATION_CREDENTIALS; AZURE_STORAGE_*)"
)


def refuse_credentials(url: str) -> None:
    """A secret in a URL ends up in shell history, logs and the ledger: refused."""
    scheme, rest = url.split("://", 1)
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    userinfo = rest.rsplit("@", 1)[0] if "@" in rest else ""
    # A password (user:secret@, a secret holding '/' included), or for storage URLs any
    # colon before the path: a bucket or container name never has one.
    web = scheme.lower() in ("http", "https")
    if ":" in userinfo or (":" in authority and not web):
        shown = rest.rsplit("@", 1)[1] if "@" in rest else "…"
        raise ValueError(
            f"{scheme}://…@{shown}: credentials in the URL are refused (not shown); " + CREDENTIALS
        )
