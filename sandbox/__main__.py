"""`python -m sandbox` is the same as the `shapan` command."""

import sys

from sandbox.cli import main

sys.exit(main())
