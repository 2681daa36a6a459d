"""Exit codes and the one exception type the CLI turns into a clear message."""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """Process exit codes, documented in the README and in `digitize --help`."""

    OK = 0
    #: The run finished but at least one page could not be read (see the error rows).
    PAGES_FAILED = 1
    #: Bad usage: unknown option, bad option value, missing input.
    USAGE = 2
    #: A file the command needs is unusable: model, dataset, output location.
    BAD_INPUT_FILE = 3
    #: Interrupted by the user (Ctrl-C); what was written so far is kept.
    INTERRUPTED = 130


class DigitizeError(Exception):
    """A problem the user can fix; its message is shown as is, without a traceback."""

    exit_code: ExitCode = ExitCode.BAD_INPUT_FILE
