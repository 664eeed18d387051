"""`python -m shared`: the command line (see shared/tools/cli.py)."""

import sys

from shared.tools.cli import main

sys.exit(main())
