"""Every statistic with a published reference value is reproduced.

Each check is compared with the file's full-precision ``recomputed_value`` to a relative 1e-6
and with the published ``source_value`` within the precision the source printed
(``tolerance_used``).  Checks listed under ``disagreements`` are known not to match the source
(scipy's t-approximation of the Spearman p, where R is exact): ours must reproduce the
recomputed value and must *not* match the source, and the exact p must match it instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from dagster_project.analytics.ab_testing import welch_t_test
from dagster_project.analytics.correlation import pearson, spearman
from dagster_project.analytics.group_comparison import anova_table
from dagster_project.analytics.proportions import (
    chi_square_independence,
    k_proportions_test,
    one_proportion_test,
    two_proportion_ztest,
    wilson_interval,
)
from tests.analytics.reference import disagreements, items

Values = dict[str, float | None]

# Reference items that belong to other issues (trend analysis), with the reason.
NOT_IN_THIS_MODULE = {
    "mann_kendall_sen_slope_360": "Mann-Kendall / Theil-Sen trend test: trend analysis issue",
    "kendall_greater_tuna": "Kendall's tau: recorded as the cross-check of the Mann-Kendall S (trend issue)",
}


def _pearson_small(inputs: dict[str, Any]) -> Values:
    two = pearson(inputs["x"], inputs["y"])
    greater = pearson(inputs["x"], inputs["y"], alternative="greater")
    return {
        "r": two.coefficient,
        "p_value": two.p_value,
        "ci_low": two.ci_low,
        "ci_high": two.ci_high,
        "p_value_greater": greater.p_value,
        "ci_low_greater": greater.ci_low,
    }


def _pearson_greater(inputs: dict[str, Any]) -> Values:
    result = pearson(inputs["x"], inputs["y"], alternative=inputs["alternative"])
    return {
        "r": result.coefficient,
        "t": result.statistic,
        "df": result.df,
        "p_value": result.p_value,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
    }


def _spearman_greater(inputs: dict[str, Any]) -> Values:
    exact = spearman(inputs["x"], inputs["y"], alternative=inputs["alternative"])
    return {"rho": exact.coefficient, "S": exact.statistic, "p_value": exact.p_value}


def _spearman_greater_approximate(inputs: dict[str, Any]) -> Values:
    approximate = spearman(inputs["x"], inputs["y"], alternative=inputs["alternative"], exact=False)
    return {"p_value": approximate.p_value}


def _spearman_ties(inputs: dict[str, Any]) -> Values:
    result = spearman(inputs["x"], inputs["y"])
    return {"rho": result.coefficient, "p_value": result.p_value}


def _welch(inputs: dict[str, Any]) -> Values:
    result = welch_t_test(inputs["x"], inputs["y"])
    return {
        "t": result.statistic,
        "df": result.df,
        "p_value": result.p_value,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
    }


def _welch_tiny(inputs: dict[str, Any]) -> Values:
    values: Values = {}
    for case in ("case_a", "case_b"):
        result = welch_t_test(inputs[case]["x"], inputs[case]["y"])
        values[f"{case}.t"], values[f"{case}.p_value"] = result.statistic, result.p_value
    return values


def _sleep(inputs: dict[str, Any]) -> Values:
    table = anova_table([inputs["group1"], inputs["group2"]])
    t = welch_t_test(inputs["group1"], inputs["group2"]).statistic
    return {
        "welch_F": table.welch_f,
        "welch_F_from_t_squared": None if t is None else t**2,
        "welch_denom_df": table.welch_df_within,
        "welch_p_value": table.welch_p_value,
        "welch_p_value_f_oneway": table.welch_p_value,
        "anova_F": table.f_statistic,
        "anova_p_value": table.p_value,
        "anova_SS_between": table.ss_between,
        "anova_SS_within": table.ss_within,
        "anova_MS_within": table.ms_within,
    }


def _nist(inputs: dict[str, Any]) -> Values:
    table = anova_table(inputs["groups"])
    return {
        "F": table.f_statistic,
        "df_between": table.df_between,
        "df_within": table.df_within,
        "SS_between": table.ss_between,
        "SS_within": table.ss_within,
        "MS_between": table.ms_between,
        "MS_within": table.ms_within,
        "R_squared": table.eta_squared,
        "residual_sd": table.residual_sd,
    }


def _welch_anova(inputs: dict[str, Any]) -> Values:
    table = anova_table(inputs["groups"])
    return {"F": table.welch_f, "p_value": table.welch_p_value}


def _prop_k(inputs: dict[str, Any]) -> Values:
    successes, trials = inputs["successes"], inputs["trials"]
    test = k_proportions_test(successes, trials)
    return {
        "chi_square": test.statistic,
        "chi_square_scipy": test.statistic,
        "df": test.df,
        "p_value": test.p_value,
        "prop_1": successes[0] / trials[0],
        "prop_4": successes[3] / trials[3],
    }


def _chisq_2x3(inputs: dict[str, Any]) -> Values:
    test = chi_square_independence(inputs["table"])
    assert test.expected is not None
    return {
        "chi_square": test.statistic,
        "df": test.df,
        "p_value": test.p_value,
        "expected_F_Democrat": test.expected[0][0],
        "expected_M_Republican": test.expected[1][2],
    }


def _chisq_yates(inputs: dict[str, Any]) -> Values:
    table_p = chi_square_independence(inputs["table"], continuity_correction=True).p_value
    as_props = inputs["as_proportions"]
    z_p = two_proportion_ztest(as_props["successes"], as_props["trials"], continuity_correction=True).p_value
    assert table_p is not None and z_p is not None
    assert math.isclose(table_p, z_p, rel_tol=1e-12), "Yates chi-square and corrected z must agree"
    return {"p_value": table_p}


def _smokers(inputs: dict[str, Any]) -> Values:
    successes, trials = inputs["successes"], inputs["trials"]
    k = k_proportions_test(successes, trials)
    values: Values = {"k_sample_chi_square": k.statistic, "k_sample_p_value": k.p_value}
    for a, b in inputs["pair_order"]:
        test = two_proportion_ztest([successes[a], successes[b]], [trials[a], trials[b]])
        values[f"pair_{a}_{b}_two_proportion_p_value"] = test.p_value
    one = one_proportion_test(73, 86, 0.9)
    interval = wilson_interval(73, 86)
    assert interval is not None
    values |= {
        "one_sample_73_of_86_vs_0.9_chi_square": one.statistic,
        "one_sample_p_value": one.p_value,
        "one_sample_wilson_ci_low": interval[0],
        "one_sample_wilson_ci_high": interval[1],
    }
    return values


def _two_proportion(inputs: dict[str, Any]) -> Values:
    test = two_proportion_ztest(inputs["successes"], inputs["trials"])
    return {"z": test.statistic, "p_value": test.p_value}


COMPUTE: dict[str, Callable[[dict[str, Any]], Values]] = {
    "pearson_two_sided_ci_small": _pearson_small,
    "pearson_greater_tuna": _pearson_greater,
    "spearman_greater_tuna": _spearman_greater,
    "spearman_two_sided_ties": _spearman_ties,
    "welch_t_R_example_1": _welch,
    "welch_t_R_example_2_outlier": _welch,
    "welch_t_tiny_full_precision": _welch_tiny,
    "sleep_welch_and_oneway_anova": _sleep,
    "anova_nist_SiRstv": _nist,
    "welch_anova_three_groups": _welch_anova,
    "prop_test_4_groups_fleiss": _prop_k,
    "chisq_2x3_agresti": _chisq_2x3,
    "chisq_2x2_yates": _chisq_yates,
    "proportions_smokers2_pairwise": _smokers,
    "two_proportion_ztest_statsmodels": _two_proportion,
}
COMPUTE_DISAGREEMENT: dict[str, Callable[[dict[str, Any]], Values]] = {
    "spearman_greater_tuna": _spearman_greater_approximate,
}


def _is_disagreement(item_id: str, check: dict[str, Any]) -> bool:
    return any(
        d["item"] == item_id
        and d["quantity"] == check["quantity"]
        and d.get("recomputed_with") == check.get("recomputed_with")
        for d in disagreements()
    )


CHECKS = [
    pytest.param(item_id, index, id=f"{item_id}:{check['quantity']}:{index}")
    for item_id, item in items().items()
    if item_id not in NOT_IN_THIS_MODULE
    for index, check in enumerate(item["checks"])
]


def test_every_reference_item_is_covered_or_explicitly_out_of_scope() -> None:
    assert set(items()) == set(COMPUTE) | set(NOT_IN_THIS_MODULE)
    assert not set(COMPUTE) & set(NOT_IN_THIS_MODULE)


@pytest.mark.parametrize(("item_id", "index"), CHECKS)
def test_reference_check(item_id: str, index: int) -> None:
    item = items()[item_id]
    check = item["checks"][index]
    disagreement = _is_disagreement(item_id, check)
    compute = COMPUTE_DISAGREEMENT[item_id] if disagreement else COMPUTE[item_id]
    actual = compute(item["inputs"])[check["quantity"]]
    assert actual is not None, f"{check['quantity']} was not computed"
    assert math.isclose(actual, check["recomputed_value"], rel_tol=1e-6, abs_tol=1e-12), (
        f"{check['quantity']}: {actual!r} vs recomputed {check['recomputed_value']!r}"
    )
    matches_source = abs(actual - check["source_value"]) <= check["tolerance_used"]
    assert matches_source is not disagreement, (
        f"{check['quantity']}: {actual!r} vs source {check['source_value']!r} (agrees={not disagreement})"
    )


def test_nist_anova_p_value_matches_the_local_recomputation() -> None:
    item = items()["anova_nist_SiRstv"]
    expected = item["recomputed_only_not_in_source"]["p_value"]
    actual = anova_table(item["inputs"]["groups"]).p_value
    assert actual is not None
    assert math.isclose(actual, expected, rel_tol=1e-6)


def test_the_listed_disagreement_is_the_only_one_and_is_exercised() -> None:
    listed = {(d["item"], d["quantity"]) for d in disagreements()}
    assert listed == {("spearman_greater_tuna", "p_value")}
    assert set(COMPUTE_DISAGREEMENT) == {item for item, _ in listed}
