"""Exports of the analytics tables as JSON, CSV and Excel, filtered by timeframe, platform and
content, streamed from a server-side cursor so a large export never sits in memory.

``tables`` says what is exported and how each filter applies to it, ``reader`` streams a table's
rows through a given connection (the API passes a workspace-scoped one), and one module per
format writes them: ``json_format``, ``csv_format``, ``excel_format``.
"""
