"""``python -m reactor``: the same as ``voxpersona-reactor``."""

from reactor.app import main

main()
