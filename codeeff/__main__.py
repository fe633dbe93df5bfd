"""`python -m codeeff` behaves exactly like the `codeeff` console script."""

from codeeff.cli import console_main

if __name__ == "__main__":
    console_main()
