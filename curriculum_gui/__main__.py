"""`python -m curriculum_gui`: the same as the `curriculum-gui` command."""

import sys

from .cli import main

sys.exit(main())
