"""Child processes that take Ctrl-C as a terminal's foreground job does.

A job started in the background of a non-interactive shell (``cmd &``, a CI runner, a tool that runs
pytest as a background job) starts with SIGINT ignored, and every process it starts inherits that: the
gisplan CLI then rightly leaves SIGINT ignored (as ``nohup`` wants) and a test that sends SIGINT sees
the command finish with 0. Tests that send SIGINT start their child with the default disposition, so
they test gisplan and not how pytest was launched.
"""

from __future__ import annotations

import signal


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


#: Keywords for :class:`subprocess.Popen`: the child starts with SIGINT at its default, as in a terminal.
AS_IN_A_TERMINAL = {"preexec_fn": _default_sigint}
