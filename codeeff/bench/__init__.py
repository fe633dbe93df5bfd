"""Benchmarks that measure codeeff against its anchors, side by side in one run, printing JSON.

Each area module (``sandbox``, ``metrics``, ``adapters``) exposes ``add_arguments(parser)`` and ``run(args) -> dict``;
``codeeff bench AREA`` runs one, ``codeeff bench all`` runs them all into one report plus a Markdown summary.
"""
