"""Shared input handling of the time-series statistics (trend, anomalies, volatility, ...)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

MIN_POINTS = 10  # the settings' MIN_DATA_POINTS_FOR_ANALYSIS default


def as_series_matrix(values: ArrayLike) -> NDArray[np.float64]:
    """One row per series (a 1-D input is one series); non-finite values become NaN."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError("values must be 1-D (one series) or 2-D (one row per series)")
    return np.where(np.isfinite(array), array, np.nan)
