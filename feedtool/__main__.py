"""`python -m feedtool`."""

from .cli import run

run()
