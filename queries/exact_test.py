"""Fisher's one-sided exact test for many cells at once: the hypergeometric upper tail.

scipy.stats.hypergeom.sf is exact but costs tens of microseconds a cell once populations
reach the hundreds of thousands (Boost evaluates each probability from prime factors): too
slow for the hour-grain spike test of a large store. Here every cell's tail
is summed in numpy, all cells in step: the probability at the tail's edge from log-gamma,
then the next ones by the ratio of successive terms, until they no longer change the sum.
The few cells that need more than MAX_TERMS terms are handed to scipy.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

MAX_TERMS = 2000
# Summing stops when a term adds less than this share of the sum (below float64 precision).
TOLERANCE = 1e-17


def _log_pmf(x: np.ndarray, M: np.ndarray, K: np.ndarray, n: np.ndarray) -> np.ndarray:
    """log P(X = x), X ~ Hypergeometric(population M, K successes, n draws)."""

    def log_choose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        # betaln keeps its precision where a difference of gammaln values would cancel.
        return -np.log1p(a) - special.betaln(b + 1, a - b + 1)

    return log_choose(K, x) + log_choose(M - K, n - x) - log_choose(M, n)


def _tail_sum(
    start: np.ndarray,
    stop: np.ndarray,
    M: np.ndarray,
    K: np.ndarray,
    n: np.ndarray,
    step: int,
) -> tuple[np.ndarray, np.ndarray]:
    """sum of P(X = x) for x from START towards STOP (inclusive) in steps of STEP (+1/-1),
    and whether each sum converged within MAX_TERMS terms."""
    first = np.exp(_log_pmf(start, M, K, n))
    total = np.ones(len(start))  # in units of the first term
    term = np.ones(len(start))
    x = start.astype(np.float64)
    Mf, Kf, nf = M.astype(np.float64), K.astype(np.float64), n.astype(np.float64)
    active = np.flatnonzero(start != stop)
    for _ in range(MAX_TERMS):
        if active.size == 0:
            break
        xa, Ma, Ka, na = x[active], Mf[active], Kf[active], nf[active]
        if step > 0:  # P(x+1) / P(x)
            ratio = (Ka - xa) * (na - xa) / ((xa + 1) * (Ma - Ka - na + xa + 1))
        else:  # P(x-1) / P(x)
            ratio = xa * (Ma - Ka - na + xa) / ((Ka - xa + 1) * (na - xa + 1))
        term[active] *= ratio
        total[active] += term[active]
        x[active] += step
        done = (x[active] == stop[active]) | (term[active] <= TOLERANCE * total[active])
        active = active[~done]
    converged = np.ones(len(start), dtype=bool)
    converged[active] = False
    return first * total, converged


def hypergeom_sf(k: np.ndarray, M: np.ndarray, K: np.ndarray, n: np.ndarray) -> np.ndarray:
    """P(X >= k) for X ~ Hypergeometric(population M, K successes, n draws), elementwise.

    The values of scipy.stats.hypergeom.sf(k - 1, M, K, n) to within 1e-8 relative (the
    log-gamma terms at populations in the millions): far finer than any decision made on it.
    """
    k, M, K, n = (np.asarray(a, dtype=np.int64) for a in np.broadcast_arrays(k, M, K, n))
    low = np.maximum(0, n - (M - K))
    high = np.minimum(K, n)
    p = np.where(k <= low, 1.0, 0.0)
    inside = (k > low) & (k <= high)
    # Sum the shorter side: upwards from k when k is above the mean, else 1 - the lower tail
    # summed downwards from k - 1 (both tails shrink geometrically away from the mean).
    upper = inside & (k * M >= n * K)
    lower = inside & ~upper
    unconverged = np.zeros(len(k), dtype=bool)
    if upper.any():
        i = np.flatnonzero(upper)
        tail, ok = _tail_sum(k[i], high[i], M[i], K[i], n[i], +1)
        p[i] = tail
        unconverged[i[~ok]] = True
    if lower.any():
        i = np.flatnonzero(lower)
        tail, ok = _tail_sum(k[i] - 1, low[i], M[i], K[i], n[i], -1)
        p[i] = 1.0 - tail
        unconverged[i[~ok]] = True
    if unconverged.any():
        i = np.flatnonzero(unconverged)
        p[i] = stats.hypergeom.sf(k[i] - 1, M[i], K[i], n[i])
    return np.clip(p, 0.0, 1.0)
