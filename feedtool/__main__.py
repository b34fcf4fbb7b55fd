"""`python -m feedtool`."""

from .cli import main

main(prog_name="feedtool")
