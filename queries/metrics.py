"""One definition of every rate, and of what it is out of.

SQL counts messages and their final outcomes (queries/sql/message_cube.sql: `messages` and
the six outcome counts, which add up to it). Every rate the product shows is made here, from
those counts, as a polars expression:

* delivery_rate = delivered / messages
* failure_rate  = failed / messages
* pending_rate  = (pending + unconfirmed + no_report + unknown) / messages: messages not
  known to have ended, however that came about

A rate over no messages is null: it is undefined, not 0%. A view that prints an empty period
as 0% fills the null itself and says so.

What a rate is out of. A row keyed by dimensions that say where a message went (provider,
channel, carrier, country, campaign, sender, a time bucket) is out of that row's own
messages. A row keyed also by what happened to the message (code, category, outcome: the
OUTCOME_DIMENSIONS) is out of the messages of the rest of its key, its *exposure*: the failure
rate of code 4000 at carrier X is (messages ending on 4000 at X) / (messages of that provider
and channel at X). exposure_keys() gives those keys; compare, failures and spikes use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import polars as pl

OUTCOMES = ("delivered", "failed", "pending", "unconfirmed", "no_report", "unknown")
COUNTS = ("messages", *OUTCOMES)
# Dimensions that describe what happened to a message rather than where it went.
OUTCOME_DIMENSIONS = ("code", "category", "outcome")
# rate -> (the outcome counts it adds up, True when a higher rate is worse)
RATES: dict[str, tuple[tuple[str, ...], bool]] = {
    "delivery_rate": (("delivered",), False),
    "failure_rate": (("failed",), True),
    "pending_rate": (("pending", "unconfirmed", "no_report", "unknown"), True),
}


def ratio(numerator: str | pl.Expr, denominator: str | pl.Expr) -> pl.Expr:
    """NUMERATOR / DENOMINATOR, null where the denominator is 0 (or null)."""
    num = pl.col(numerator) if isinstance(numerator, str) else numerator
    den = pl.col(denominator) if isinstance(denominator, str) else denominator
    return pl.when(den > 0).then(num / den)


# 95% two-sided normal quantile, for Wilson score intervals.
Z_95 = 1.959963984540054


def wilson_interval(hits: str, trials: str) -> tuple[pl.Expr, pl.Expr]:
    """The 95% Wilson score interval of HITS / TRIALS (column names): (low, high), NULL
    where TRIALS is 0. Unlike p ± 1.96·se it stays inside [0, 1] and is honest for the
    small counts of a quiet hour or carrier."""
    n = pl.col(trials)
    p = pl.col(hits) / n
    z2 = Z_95**2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z_95 * ((p * (1 - p) / n + z2 / (4 * n * n)).sqrt()) / (1 + z2 / n)
    return pl.when(n > 0).then(centre - half), pl.when(n > 0).then(centre + half)


def hits(name: str) -> pl.Expr:
    """The numerator of rate NAME: the sum of the outcome counts it is made of."""
    return pl.sum_horizontal(RATES[_known(name)][0])


def rate(name: str, out_of: str | pl.Expr = "messages") -> pl.Expr:
    """Rate NAME of each row, out of OUT_OF (default the row's own messages)."""
    return ratio(hits(name), out_of).alias(name)


def rates(names: Iterable[str] = ("delivery_rate", "failure_rate")) -> list[pl.Expr]:
    return [rate(name) for name in names]


def higher_is_worse(name: str) -> bool:
    return RATES[_known(name)][1]


def exposure_keys(keys: Sequence[str]) -> list[str]:
    """The keys a rate of a row keyed by KEYS is out of (see the module docstring)."""
    return [k for k in keys if k not in OUTCOME_DIMENSIONS]


def summary(counts: Mapping[str, int | float]) -> dict[str, float | None]:
    """Every rate of one set of counts (null, here None, without messages)."""
    row = pl.DataFrame(
        {c: [counts.get(c, 0)] for c in COUNTS}, schema=dict.fromkeys(COUNTS, pl.Float64)
    )
    return row.select(rates(RATES)).row(0, named=True)


def _known(name: str) -> str:
    if name not in RATES:
        raise ValueError(f"unknown metric {name!r}; one of {', '.join(RATES)}")
    return name
