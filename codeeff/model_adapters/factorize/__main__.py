"""``python -m codeeff.model_adapters.factorize`` = ``codeeff factorize`` (see :mod:`.cli`)."""

import sys

from codeeff.model_adapters.factorize.cli import main

sys.exit(main())
