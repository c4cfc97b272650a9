"""``python -m gisplan.cli``."""

import sys

from . import main

sys.exit(main())
