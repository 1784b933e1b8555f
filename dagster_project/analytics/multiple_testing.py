"""Multiple-testing adjustments: Benjamini-Hochberg (false discovery rate) and Holm (family-wise).

Both take raw p-values and return adjusted p-values in the same order; NaN entries (tests that
were not run) stay NaN and do not count towards the family size.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def benjamini_hochberg(p_values: ArrayLike) -> NDArray[np.float64]:
    """BH step-up adjusted p-values: reject where the result is <= the FDR level."""
    p, valid = _valid(p_values)
    out = np.full(p.shape, np.nan)
    q = p[valid]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    scaled = q[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[valid] = result
    return out


def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm step-down adjusted p-values: reject where the result is <= the family-wise level."""
    p, valid = _valid(p_values)
    out = np.full(p.shape, np.nan)
    q = p[valid]
    m = q.size
    if m == 0:
        return out
    order = np.argsort(q, kind="stable")
    scaled = q[order] * (m - np.arange(m))
    adjusted = np.maximum.accumulate(scaled)
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    out[valid] = result
    return out


def _valid(p_values: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    p = np.asarray(p_values, dtype=float).reshape(-1)
    valid = np.isfinite(p)
    if np.any((p[valid] < 0) | (p[valid] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    return p, valid
