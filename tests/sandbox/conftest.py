"""Fixtures for tests/sandbox; the shared code lives in sandbox_support.py so test modules can import it by a unique name."""

from sandbox_support import *  # noqa: F401,F403
