"""Figures for the Dagster UI: pure functions of result rows that return matplotlib figures, and
one helper that turns a figure into a small PNG shown in an asset's materialisation metadata.

Figures are built with ``matplotlib.figure.Figure`` and drawn by the Agg canvas, never through
pyplot, so no display and no global figure registry are involved.
"""
