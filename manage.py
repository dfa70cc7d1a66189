#!/usr/bin/env python
"""Django's command-line utility for caseqa."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseqa.settings")
    if sys.argv[1:2] == ["runserver"]:
        # The development server serves like any other: not on the published key unless DEBUG=1.
        import django

        django.setup()
        from caseqa.serving import refuse_the_development_key

        refuse_the_development_key()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
