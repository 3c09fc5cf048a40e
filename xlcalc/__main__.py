"""``python3 -m xlcalc …``: the same as the ``xlcalc`` command."""

import sys

from xlcalc.cli import main

sys.exit(main())
