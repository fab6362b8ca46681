"""``python -m hubreplay --help``."""
import sys

from .cli import main

sys.exit(main())
