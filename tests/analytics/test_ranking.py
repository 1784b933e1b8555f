"""Average ranks equal scipy's rankdata (ties averaged), for 1-D and column-wise 2-D input."""

from __future__ import annotations

import numpy as np
from scipy import stats

from dagster_project.analytics.ranking import average_ranks


def test_matches_rankdata_with_ties() -> None:
    rng = np.random.default_rng(0)
    values = np.column_stack([rng.normal(size=500), np.round(rng.normal(size=500)), np.full(500, 3.0)])
    np.testing.assert_array_equal(average_ranks(values), stats.rankdata(values, axis=0))
    np.testing.assert_array_equal(average_ranks([3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0])
    assert average_ranks(np.empty((0, 2))).shape == (0, 2)
