"""``python -m training.cli``: the ``mpcnet`` command."""

import sys

from training.cli import main

sys.exit(main())
