"""Benjamini-Hochberg and Holm: hand-worked values, statsmodels parity, NaN handling, FDR control."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from dagster_project.analytics.multiple_testing import benjamini_hochberg, holm


def test_hand_worked_example() -> None:
    p = [0.01, 0.04, 0.03, 0.005]
    np.testing.assert_allclose(benjamini_hochberg(p), [0.02, 0.04, 0.04, 0.02])
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02])


@pytest.mark.parametrize("seed", range(5))
def test_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=40), rng.uniform(0, 0.01, size=10), [0.02, 0.02, 1.0, 0.0]])
    np.testing.assert_allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1], rtol=1e-12)
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=1e-12)


def test_nan_entries_stay_nan_and_do_not_count_towards_the_family() -> None:
    p = np.array([0.01, np.nan, 0.02, np.nan])
    adjusted = benjamini_hochberg(p)
    assert np.isnan(adjusted[[1, 3]]).all()
    np.testing.assert_allclose(adjusted[[0, 2]], [0.02, 0.02])
    np.testing.assert_allclose(holm(p)[[0, 2]], [0.02, 0.02])
    assert np.isnan(benjamini_hochberg([np.nan])).all() and benjamini_hochberg([]).size == 0


def test_invalid_p_values_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        benjamini_hochberg([0.5, 1.5])


def test_bh_controls_the_false_discovery_rate_at_pi0_alpha() -> None:
    """20,000 families of 50 tests (40 true nulls, 10 effects at z = 3): FDR <= alpha * m0 / m."""
    rng = np.random.default_rng(2024)
    families, m0, m1, alpha = 20_000, 40, 10, 0.05
    z = np.concatenate([rng.normal(size=(families, m0)), rng.normal(3.0, 1.0, size=(families, m1))], axis=1)
    p = 2 * (1 - _normal_cdf(np.abs(z)))
    rejected = np.array([benjamini_hochberg(row) <= alpha for row in p])
    false = rejected[:, :m0].sum(axis=1)
    fdp = false / np.maximum(rejected.sum(axis=1), 1)
    bound = alpha * m0 / (m0 + m1)
    assert fdp.mean() <= bound + 3 * fdp.std() / np.sqrt(families)
    assert fdp.mean() > bound / 2  # the procedure is not trivially conservative either


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return ndtr(x)
