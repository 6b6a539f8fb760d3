"""`python -m engine ...` is the same CLI as the `interest-replay` console script."""

from engine.cli.main import main

raise SystemExit(main())
