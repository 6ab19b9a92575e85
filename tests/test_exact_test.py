"""The spike test's vectorised Fisher tail agrees with scipy's hypergeometric survival."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from scipy import stats

from deliverability.queries.exact_test import hypergeom_sf


def scipy_sf(k, M, K, n):
    return stats.hypergeom.sf(np.asarray(k) - 1, M, K, n)


def test_matches_scipy_on_spike_test_shaped_cells():
    # Bucket of n messages with k failures, baseline of n0 with k0, rates up to 10%.
    rng = np.random.default_rng(7)
    size = 20_000
    n = rng.integers(1, 5_000, size)
    n0 = rng.integers(0, 500_000, size)
    rate = rng.uniform(0, 0.1, size)
    k = np.maximum(rng.binomial(n, rate), 1)
    k0 = rng.binomial(n0, rate / rng.uniform(0.3, 3, size))
    ours = hypergeom_sf(k, n + n0, k + k0, n)
    theirs = scipy_sf(k, n + n0, k + k0, n)
    assert np.allclose(ours, theirs, rtol=1e-8, atol=1e-12)
    # The decisions made on them are the same.
    assert ((ours < 0.01) == (theirs < 0.01)).all()
    assert ((ours < 1e-6) == (theirs < 1e-6)).all()


@pytest.mark.parametrize(
    ("k", "M", "K", "n"),
    [
        (0, 10, 3, 4),  # k below the support: certain
        (1, 10, 0, 4),  # no successes at all
        (4, 10, 3, 4),  # above the support: impossible
        (3, 10, 3, 4),  # the last point of the support
        (2, 10, 9, 2),  # n - (M - K) = 1 is the lowest value
        (5, 5, 5, 5),  # everything drawn
        (1, 1, 1, 1),
        (40, 100_000, 50, 1_000),  # far upper tail
        (1, 200_000, 3, 20_000),
    ],
)
def test_edges_match_exact_arithmetic(k, M, K, n):
    low, high = max(0, n - (M - K)), min(K, n)
    exact = sum(comb(K, x) * comb(M - K, n - x) for x in range(max(k, low), high + 1)) / comb(M, n)
    assert hypergeom_sf(np.array([k]), M, K, n)[0] == pytest.approx(exact, rel=1e-9, abs=1e-300)


def test_long_tails_fall_back_to_scipy():
    # k at the mean of a wide distribution (sd ~ 470): more terms than the numpy loop sums.
    k, M, K, n = 500_000, 10_000_000, 5_000_000, 1_000_000
    ours = hypergeom_sf(np.array([k, 10]), M, K, n)
    assert ours[0] == pytest.approx(scipy_sf(k, M, K, n), rel=1e-9)
    assert 0.49 < ours[0] < 0.51
    assert ours[1] == 1.0
