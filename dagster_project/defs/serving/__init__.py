"""Serving: what the warehouse hands to people (exports)."""
