"""`python -m bench.answers`: the answer benchmark's command line (see `cli`)."""

import sys

from .cli import main

sys.exit(main())
