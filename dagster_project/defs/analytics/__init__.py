"""Analytics assets: feature-performance correlations, feature importance, platform comparisons,
declared experiments and A/B test verdicts, each day over a trailing window."""
