"""ANOVA, Welch ANOVA and Kruskal-Wallis against scipy; level means with t intervals; degenerate groups."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dagster_project.analytics.group_comparison import anova_table, kruskal_wallis, level_summary


def _groups(seed: int = 5) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 1, 12), rng.normal(0.5, 2, 20), np.round(rng.normal(1, 1, 9))]


def test_anova_and_welch_match_scipy() -> None:
    groups = _groups()
    table = anova_table(groups)
    classic = stats.f_oneway(*groups)
    welch = stats.f_oneway(*groups, equal_var=False)
    assert table.f_statistic == pytest.approx(classic.statistic, rel=1e-10)
    assert table.p_value == pytest.approx(classic.pvalue, rel=1e-10)
    assert table.welch_f == pytest.approx(welch.statistic, rel=1e-10)
    assert table.welch_p_value == pytest.approx(welch.pvalue, rel=1e-10)
    values = np.concatenate(groups)
    assert table.eta_squared == pytest.approx(
        (table.ss_between or 0) / ((values - values.mean()) ** 2).sum(), rel=1e-12
    )


def test_kruskal_matches_scipy_with_ties_and_nan() -> None:
    groups = [np.append(g, np.nan) for g in _groups()]
    groups[2] = np.round(groups[2])
    result = kruskal_wallis(groups)
    expected = stats.kruskal(*[g[np.isfinite(g)] for g in groups])
    assert result.h_statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-10)
    assert result.epsilon_squared == pytest.approx(expected.statistic / (result.sample_size - 1))
    assert result.sample_size == sum(np.isfinite(g).sum() for g in groups)


def test_level_summary_uses_a_t_interval() -> None:
    values = [3.0, 5.0, 4.0, 8.0, np.nan]
    summary = level_summary("a", values, confidence=0.9)
    finite = np.array(values[:4])
    expected = stats.t.interval(0.9, 3, loc=finite.mean(), scale=stats.sem(finite))
    assert (summary.ci_low, summary.ci_high) == pytest.approx(expected, rel=1e-12)
    assert summary.sample_size == 4 and summary.median == 4.5
    single = level_summary("b", [2.0])
    assert single.mean == 2.0 and single.ci_low is None and single.std is None
    assert level_summary("c", []).mean is None


@pytest.mark.parametrize(
    ("groups", "anova_reason", "kruskal_reason"),
    [
        ([[1.0, 2.0, 3.0]], "at least 2", "at least 2"),
        ([[1.0, 1.0], [1.0, 1.0]], "every value is the same", "every value is the same"),
        ([[1.0, 1.0], [2.0, 2.0]], "no variation within groups", None),
        ([[1.0], [2.0]], "no group has more than one item", None),
        ([[np.nan, np.nan], [1.0, 2.0]], "at least 2", "at least 2"),
    ],
)
def test_degenerate_groups_give_reasons(
    groups: list[list[float]], anova_reason: str, kruskal_reason: str | None
) -> None:
    table = anova_table(groups)
    assert table.insufficient_reason is not None and anova_reason in table.insufficient_reason
    assert table.f_statistic is None and table.p_value is None and table.eta_squared is None
    kruskal = kruskal_wallis(groups)
    if kruskal_reason is None:
        assert kruskal.p_value is not None and 0 <= kruskal.p_value <= 1
    else:
        assert kruskal.insufficient_reason is not None and kruskal_reason in kruskal.insufficient_reason
        assert kruskal.h_statistic is None


def test_welch_part_is_absent_when_a_group_has_no_variance() -> None:
    table = anova_table([[1.0, 1.0, 1.0], [2.0, 3.0, 4.0]])
    assert table.f_statistic is not None
    assert table.welch_f is None and table.welch_p_value is None
