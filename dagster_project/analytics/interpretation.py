"""Labels and sentences for results: strength, direction and uncertainty, never causation.

Correlation strength (|r|): < 0.1 negligible, < 0.3 weak, < 0.5 moderate, else strong.
Share of variance (eta-squared, epsilon-squared): < 0.01 negligible, < 0.06 weak, < 0.14
moderate, else strong (Cohen's small / medium / large).
"""

from __future__ import annotations

from dagster_project.analytics.results import Direction, Strength

CAUSATION_CAVEAT = "correlation, not causation"
ASSOCIATION_CAVEAT = "an association, not evidence of causation"
COEFFICIENT_SYMBOLS = {
    "pearson": "Pearson r",
    "spearman": "Spearman rho",
    "point_biserial": "point-biserial r",
    "kendall": "Kendall tau",
}
_CORRELATION_CUTS: tuple[tuple[float, Strength], ...] = (
    (0.1, "negligible"),
    (0.3, "weak"),
    (0.5, "moderate"),
)
_VARIANCE_SHARE_CUTS: tuple[tuple[float, Strength], ...] = (
    (0.01, "negligible"),
    (0.06, "weak"),
    (0.14, "moderate"),
)


def correlation_strength(coefficient: float | None) -> Strength:
    """Strength label of a correlation-type coefficient (also used for rank-biserial)."""
    if coefficient is None:
        return "insufficient data"
    return _label(abs(coefficient), _CORRELATION_CUTS)


def variance_share_strength(share: float | None) -> Strength:
    """Strength label of eta-squared / epsilon-squared."""
    if share is None:
        return "insufficient data"
    return _label(share, _VARIANCE_SHARE_CUTS)


def effect_direction(coefficient: float | None) -> Direction:
    """Sign of a non-negligible coefficient; "none" when negligible or missing."""
    if coefficient is None or abs(coefficient) < _CORRELATION_CUTS[0][0]:
        return "none"
    return "positive" if coefficient > 0 else "negative"


def format_p(p_value: float, adjusted: str = "") -> str:
    """``p = 0.012`` / ``p < 0.001`` with an optional prefix such as ``BH-adjusted``."""
    prefix = f"{adjusted} p" if adjusted else "p"
    return f"{prefix} < 0.001" if p_value < 0.001 else f"{prefix} = {p_value:.3f}"


def describe_correlation(
    feature: str,
    metric: str,
    method: str,
    coefficient: float,
    interval: tuple[float, float] | None,
    adjusted_p_value: float,
    sample_size: int,
    is_significant: bool,
    significance_level: float,
    confidence: float = 0.95,
) -> str:
    """E.g. ``moderate positive association between x and y (Pearson r = 0.42, 95% CI 0.30 to
    0.53, BH-adjusted p = 0.001, n = 250); correlation, not causation``."""
    numbers = [f"{COEFFICIENT_SYMBOLS.get(method, method)} = {coefficient:.2f}"]
    if interval is not None:
        numbers.append(f"{confidence:.0%} CI {interval[0]:.2f} to {interval[1]:.2f}")
    numbers += [format_p(adjusted_p_value, "BH-adjusted"), f"n = {sample_size}"]
    detail = ", ".join(numbers)
    label = _strength_phrase(correlation_strength(coefficient), effect_direction(coefficient))
    if is_significant:
        return f"{label} association between {feature} and {metric} ({detail}); {CAUSATION_CAVEAT}"
    return (
        f"no statistically significant association between {feature} and {metric} at FDR "
        f"{significance_level:g} (estimate: {label}; {detail}); the interval shows the associations "
        f"the data cannot rule out; {CAUSATION_CAVEAT}"
    )


def describe_group_comparison(
    feature: str,
    metric: str,
    test_name: str,
    effect_name: str,
    effect_size: float,
    adjusted_p_value: float,
    sample_size: int,
    n_levels: int,
    is_significant: bool,
    significance_level: float,
) -> str:
    """Sentence for an ANOVA / Kruskal-Wallis of a metric across the levels of a feature."""
    strength = variance_share_strength(effect_size)
    detail = (
        f"{test_name}, {effect_name} = {effect_size:.3f}, {format_p(adjusted_p_value, 'BH-adjusted')}, "
        f"n = {sample_size}, {n_levels} levels"
    )
    if is_significant:
        return (
            f"{metric} differs between {feature} levels with a {strength} effect ({detail}); "
            f"{ASSOCIATION_CAVEAT}"
        )
    return (
        f"no statistically significant difference in {metric} between {feature} levels at FDR "
        f"{significance_level:g} ({detail}); {ASSOCIATION_CAVEAT}"
    )


def describe_platform_comparison(
    metric: str,
    epsilon_squared: float,
    p_value: float,
    sample_size: int,
    n_platforms: int,
    significant_pairs: list[str],
    is_significant: bool,
) -> str:
    """Sentence for Kruskal-Wallis across platforms and its Holm-corrected pairs."""
    strength = variance_share_strength(epsilon_squared)
    detail = (
        f"Kruskal-Wallis epsilon-squared = {epsilon_squared:.3f}, {format_p(p_value)}, "
        f"n = {sample_size}, {n_platforms} platforms"
    )
    if not is_significant:
        return f"no statistically significant difference in {metric} between platforms ({detail})"
    pairs = "; ".join(significant_pairs) if significant_pairs else "no single pair after Holm correction"
    return f"{metric} differs between platforms with a {strength} effect ({detail}); pairs: {pairs}"


def describe_heterogeneity(
    feature: str,
    metric: str,
    q_statistic: float,
    adjusted_p_value: float,
    per_platform: list[str],
    is_significant: bool,
    significance_level: float,
) -> str:
    """Sentence for Cochran's Q comparing one correlation across platforms."""
    detail = f"Cochran's Q = {q_statistic:.2f}, {format_p(adjusted_p_value, 'BH-adjusted')}; " + ", ".join(
        per_platform
    )
    if is_significant:
        return f"the association of {feature} with {metric} differs between platforms ({detail})"
    return (
        f"no statistically significant difference between platforms in the association of {feature} "
        f"with {metric} at FDR {significance_level:g} ({detail})"
    )


def describe_insufficient(subject: str, reason: str) -> str:
    """Sentence for a test that was not run: no number is presented."""
    return f"insufficient data for {subject}: {reason}; no estimate is reported"


def _strength_phrase(strength: Strength, direction: Direction) -> str:
    return strength if direction == "none" else f"{strength} {direction}"


def _label(value: float, cuts: tuple[tuple[float, Strength], ...]) -> Strength:
    for bound, label in cuts:
        if value < bound:
            return label
    return "strong"
