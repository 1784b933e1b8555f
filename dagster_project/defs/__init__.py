"""Dagster definitions, discovered by ``load_from_defs_folder``: one folder per domain."""
