"""``python -m twinstudio.cli``."""

from twinstudio.cli import main

main()
