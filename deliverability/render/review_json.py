"""The weekly review as JSON, for tools that file tickets, post to chat or keep history.

Keys: week, start, end, complete, data_until, headline, worse, better, spikes, new_codes,
uncatalogued, data_quality, notes, daily. Rates are fractions (0.0254, not 2.54%), changes
in percentage points, times ISO-8601 UTC. Each worse / better row names its `dimension`
(code, carrier, country, campaign) and `value`; a code row also carries its provider,
channel and catalog name. Phone numbers were already masked by queries.review.
"""

from __future__ import annotations

import polars as pl

from deliverability.queries.review import Review
from deliverability.render.output import to_json as dumps


def _changes(frames: dict[str, pl.DataFrame]) -> list[dict]:
    rows: list[dict] = []
    for dimension, frame in frames.items():
        for r in frame.iter_rows(named=True):
            row = {"dimension": dimension, "value": r.get(dimension)}
            if dimension == "code":
                row |= {k: r.get(k) for k in ("provider", "channel", "name", "category")}
            row |= {
                "messages": r["messages_current"],
                "failed": r["failed_current"],
                "failure_rate": r["rate_current"],
                "failure_rate_previous_week": r["rate_previous"],
                "failure_rate_baseline": r.get("rate_baseline"),
                "change_pp": r["delta_pp"],
                "change_pp_baseline": r.get("delta_pp_baseline"),
                "z": r["z"],
                "p_value": r["p_value"],
                "q_value": r.get("q_value"),
                "z_baseline": r.get("z_baseline"),
                "p_value_baseline": r.get("p_value_baseline"),
                "q_value_baseline": r.get("q_value_baseline"),
                # previous_week, baseline or both: which comparison found the change
                "flagged_by": r.get("flagged_by"),
            }
            rows.append(row)
    return rows


def _spikes(review: Review) -> list[dict]:
    contributors = review.spike_contributors
    spikes = []
    for r in review.spikes.iter_rows(named=True):
        own = contributors.filter(pl.col("spike") == r["spike"]).drop("spike")
        spikes.append(r | {"top_contributors": own.to_dicts()})
    return spikes


def document(review: Review) -> dict:
    """The review as plain data (what to_json writes)."""
    return {
        "week": review.week,
        "start": review.start,
        "end": review.end,
        "complete": review.complete,
        "data_until": review.data_until,
        "headline": review.headline,
        "worse": _changes(review.worse),
        "better": _changes(review.better),
        "spikes": _spikes(review),
        "new_codes": review.new_codes,
        "uncatalogued": review.uncatalogued,
        "data_quality": {
            "ingests": review.ingests,
            "report_coverage": review.report_coverage,
            "rejections": review.rejections,
            "gaps": review.gaps,
        },
        "notes": review.notes,
        "daily": review.daily_rates,
        "settings": review.settings | {"spike_grain": review.spike_grain},
    }


def to_json(review: Review) -> str:
    return dumps(document(review)) + "\n"
