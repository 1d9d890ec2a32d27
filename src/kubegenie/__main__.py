"""`python -m kubegenie` runs the CLI."""

from kubegenie.cli import main

main()
