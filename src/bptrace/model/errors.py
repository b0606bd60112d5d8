"""The one exception type for bad user input; the CLI turns it into ``bptrace: error: ...``."""

from __future__ import annotations


class BptraceError(Exception):
    """A problem with what the user gave us (a file, a key, a value), not a bug.

    The message is one line that names the file, key or value at fault.
    """


class Cancelled(Exception):
    """Slow work (training) stopped because the user asked it to."""
