"""Average ranks (ties share the mean of their positions), column-wise, as R's ``rank``."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def average_ranks(values: ArrayLike) -> NDArray[np.float64]:
    """1-based average ranks of each column of a 2-D array (or of a 1-D array); no NaN allowed.

    Equal to ``scipy.stats.rankdata(values, axis=0)``, about twice as fast: one unstable sort per
    column, then tie blocks found from the sorted values.
    """
    array = np.asarray(values, dtype=float)
    flat = array.ndim == 1
    data = array.reshape(-1, 1) if flat else array
    n = data.shape[0]
    if n == 0:
        return np.zeros(array.shape)
    order = np.argsort(data, axis=0)
    ordered = np.take_along_axis(data, order, axis=0)
    starts_block = np.ones(ordered.shape, dtype=bool)
    starts_block[1:] = ordered[1:] != ordered[:-1]
    ends_block = np.ones(ordered.shape, dtype=bool)
    ends_block[:-1] = starts_block[1:]
    position = np.arange(n)[:, None]
    first = np.maximum.accumulate(np.where(starts_block, position, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends_block, position, n)[::-1], axis=0)[::-1]
    ranks = np.empty(ordered.shape)
    np.put_along_axis(ranks, order, (first + last) / 2 + 1, axis=0)
    return ranks.reshape(-1) if flat else ranks
