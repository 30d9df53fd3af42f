"""Run the command line interface with ``python -m dealernet``."""

from dealernet.cli.main import main

main()
