"""`python -m curriculum_gui.cli`: the same as the `curriculum-gui` command."""

import sys

from . import main

sys.exit(main())
