"""``python -m voxpersona.cli``."""

from voxpersona.cli.main import main

main()
