"""``python -m rootwatch`` runs the command line."""

from rootwatch.cli.main import main

raise SystemExit(main())
