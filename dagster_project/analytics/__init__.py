"""Pure statistics of the content analytics: correlations, group and platform comparisons,
feature importance, multiple testing and A/B tests.

Every function here takes arrays or frames and returns frozen dataclasses from ``results``;
nothing reads settings, files or the database (thresholds are arguments).
"""
