"""``python -m bptrace``: the same as the ``bptrace`` console script."""

from bptrace.cli import main

raise SystemExit(main())
