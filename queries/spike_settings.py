"""The thresholds of the spike test (queries/spikes.py), with the reason for each default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl


@dataclass(frozen=True)
class SpikeSettings:
    """Thresholds of the spike test. Every default is argued for in its comment."""

    # Hour for operations ("is it spiking right now?", cron alerts); day for reviews.
    grain: str = "hour"
    # Four full weeks: four samples of each weekday for the day grain, 28 of each hour for
    # the hour grain; long enough to smooth noise, short enough to follow slow drift.
    baseline_days: int = 28
    # Fewer than 10 occurrences is an anecdote nobody acts on, however unusual: it keeps
    # rare codes at low volume from alerting (and the exact test has little power below).
    min_count: int = 10
    # At real volumes a few percent of day-to-day drift is "significant"; an alert needs
    # the rate at least doubled, which is also the size of change operators act on.
    min_ratio: float = 2.0
    # Alerts page people and fail CI: at 1% FDR a run over pure noise raises any alert at
    # all with probability <= 1% (BH controls the family-wise error when nothing changed).
    # Measured on generated binomial noise: 0 false spikes in 73,110 hourly and 5,034 daily
    # cells (20 seeds x 35 days at ~300 messages/hour), 0 in 16,263 + 700 at ~3,000/hour.
    fdr: float = 0.01
    # Match hour of day / day of week where the data allows (rates follow daily cycles).
    seasonal: bool = True
    # The smallest whole-window baseline worth testing against: with 1000 messages a code
    # at 0.3% or more would have shown up (P(unseen) ~ 5%), so "never seen" means something.
    min_baseline_messages: int = 1000
    # A provider/channel needs a week of history before its buckets are tested: the first
    # days of a new integration are not a baseline.
    min_baseline_days: int = 7
    # Seasonal matching needs at least 3 matching buckets with traffic: 3 days for the
    # hour grain (always there once min_baseline_days is), 3 same weekdays (3 weeks) for
    # the day grain; one or two is too noisy to stand for "the usual Tuesday".
    min_seasonal_buckets: int = 3
    # Outcomes whose codes are tested. Delivered codes cannot meaningfully double; pending
    # codes are messages still in flight, so their rate in the newest buckets measures
    # receipt latency, not a problem. Unconfirmed codes are final (no receipt will come),
    # so a jump in them is real. Unknown (uncatalogued) codes are tested: new ones are
    # exactly what a spike alert should surface.
    outcomes: tuple[str, ...] = ("failed", "unconfirmed", "unknown")
    # Contributors kept per dimension (carrier, country, campaign, sender) for each spike.
    contributors_per_dimension: int = 3
    # Weight, in messages, of the spike's own baseline rate when a contributor's value has
    # little baseline of its own (a new campaign): empirical-Bayes shrinkage toward it.
    contributor_prior_messages: int = 100
    # A contributor must carry at least 10% of the spike's excess: smaller shares are the
    # noise of splitting a bucket four ways, not a cause.
    contributor_min_share: float = 0.1
    # code_series band: the central 99% of rates the baseline predicts at that volume.
    band: float = 0.99

    def __post_init__(self) -> None:
        if self.grain not in ("hour", "day"):
            raise ValueError(f"spike grain must be hour or day, not {self.grain!r}")
        if self.baseline_days < 7:
            raise ValueError("baseline_days must be at least 7")
        if self.min_count < 1:
            raise ValueError(f"min_count must be at least 1, not {self.min_count}")
        if self.min_ratio <= 0:
            raise ValueError(f"min_ratio must be above 0, not {self.min_ratio}")
        if not 0 < self.fdr < 1:
            raise ValueError(f"fdr is a false discovery rate between 0 and 1, not {self.fdr}")

    @property
    def step(self) -> timedelta:
        return timedelta(hours=1) if self.grain == "hour" else timedelta(days=1)

    @property
    def window_buckets(self) -> int:
        """Buckets in the whole baseline window."""
        return self.baseline_days * (24 if self.grain == "hour" else 1)

    @property
    def seasonal_buckets(self) -> int:
        """Matching buckets in the baseline window: one per day (hour grain) or per week."""
        return self.baseline_days if self.grain == "hour" else self.baseline_days // 7

    def season(self) -> pl.Expr:
        """The season of a bucket: its hour of day (hour grain) or day of week (day grain)."""
        start = pl.col("period_start")
        return start.dt.hour() if self.grain == "hour" else start.dt.weekday()
