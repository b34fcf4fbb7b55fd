"""`python -m feedtool`."""

from .cli import main

main()
