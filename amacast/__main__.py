"""``python -m amacast`` runs the command-line interface."""

from amacast.cli import main

main()
