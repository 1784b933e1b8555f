"""Labels at their boundaries and wording that states uncertainty without claiming causation."""

from __future__ import annotations

import re

import pytest

from dagster_project.analytics.interpretation import (
    correlation_strength,
    describe_correlation,
    effect_direction,
    format_p,
    variance_share_strength,
)

CAUSAL_WORDS = re.compile(r"\b(causes?|caused|drives?|leads? to|results? in|because|increases|boosts)\b")


@pytest.mark.parametrize(
    ("r", "label"),
    [(0.0, "negligible"), (0.099, "negligible"), (0.1, "weak"), (-0.29, "weak"), (0.3, "moderate"),
     (-0.499, "moderate"), (0.5, "strong"), (-1.0, "strong"), (None, "insufficient data")],
)  # fmt: skip
def test_correlation_strength(r: float | None, label: str) -> None:
    assert correlation_strength(r) == label


@pytest.mark.parametrize(
    ("share", "label"), [(0.0, "negligible"), (0.01, "weak"), (0.06, "moderate"), (0.14, "strong")]
)
def test_variance_share_strength(share: float, label: str) -> None:
    assert variance_share_strength(share) == label


def test_direction_is_none_for_negligible_or_missing() -> None:
    assert [effect_direction(r) for r in (0.42, -0.2, 0.05, None)] == ["positive", "negative", "none", "none"]


def test_format_p() -> None:
    assert format_p(0.0004, "BH-adjusted") == "BH-adjusted p < 0.001"
    assert format_p(0.0123) == "p = 0.012"


def test_significant_sentence_has_estimate_interval_adjusted_p_and_caveat() -> None:
    text = describe_correlation(
        "title_length", "views_day_7", "pearson", 0.42, (0.30, 0.53), 0.001, 250, True, 0.05
    )
    assert text == (
        "moderate positive association between title_length and views_day_7 (Pearson r = 0.42, "
        "95% CI 0.30 to 0.53, BH-adjusted p = 0.001, n = 250); correlation, not causation"
    )
    assert not CAUSAL_WORDS.search(text)


def test_non_significant_sentence_does_not_claim_an_effect() -> None:
    text = describe_correlation("hashtags", "likes", "spearman", 0.21, (-0.05, 0.45), 0.2, 60, False, 0.05)
    assert text.startswith("no statistically significant association between hashtags and likes")
    assert "Spearman rho = 0.21" in text and "-0.05 to 0.45" in text and "not causation" in text
    assert not CAUSAL_WORDS.search(text)
