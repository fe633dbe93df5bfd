"""Fixtures for tests/model_adapters; the shared code lives in adapters_support.py so test modules can import it by a unique name."""

from adapters_support import *  # noqa: F401,F403
