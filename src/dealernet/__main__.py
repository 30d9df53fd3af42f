"""Run the command line interface with ``python -m dealernet``."""

from dealernet.cli import main

main()
