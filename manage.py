#!/usr/bin/env python
"""Django's command-line utility for BotBeat."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "botbeat.settings")
    # The statement timeout guards the web server's workers (settings.py); a management command's
    # long statements (migrate on a big table, import_articles, generate_fake) are intended.
    # runserver serves requests, and an explicit DATABASE_STATEMENT_TIMEOUT_MS still wins.
    if sys.argv[1:2] != ["runserver"]:
        os.environ.setdefault("DATABASE_STATEMENT_TIMEOUT_MS", "0")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
