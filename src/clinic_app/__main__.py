"""``python -m clinic_app``: the command line (the window when no command is given)."""

from clinic_app.cli import main

raise SystemExit(main())
