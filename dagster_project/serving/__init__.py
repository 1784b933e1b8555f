"""Serving: the REST API, the Python interface, caching and exports over the warehouse."""
