"""`python -m socwall` is the `socwall` command."""

import sys

from socwall.dashboard.cli import main

sys.exit(main())
