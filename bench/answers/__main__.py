"""`python -m bench.answers`: the answer benchmark's command line (see `cli`)."""

import sys

from bench.answers.cli import main

sys.exit(main())
