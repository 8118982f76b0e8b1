"""``python -m trustshare.cli``."""

from trustshare.cli import main

main()
