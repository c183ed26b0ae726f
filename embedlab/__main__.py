"""``python -m embedlab``: the same as the ``embedlab`` console script."""

import sys

from embedlab.cli import main

sys.exit(main())
