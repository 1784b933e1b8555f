"""Reading frame columns as float arrays: missing and infinite values become NaN."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray


def is_numeric_column(series: pd.Series) -> bool:
    """Numeric or boolean dtype (nullable dtypes included)."""
    return bool(pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype))


def numeric_values(series: pd.Series) -> NDArray[np.float64]:
    """Float values with NA, NaN and +/-inf as NaN (booleans as 0/1; text that is not a number
    becomes NaN, so a non-numeric column reads as "no data" instead of raising)."""
    if not is_numeric_column(series):
        series = pd.to_numeric(series, errors="coerce")
    values = series.to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)
