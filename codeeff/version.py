"""codeeff's version, recorded in every results file (``results["codeeff"]["version"]``) and metric signature."""

__version__ = "0.1.0"
