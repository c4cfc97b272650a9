"""The ``gisplan`` command group and its error contract (commands live in the sibling modules).

The error contract: bad input (and any condition the user can fix: an
unwritable or refused output path, no space left) ends with one line on stderr
and exit code 2, never a traceback (set ``GISPLAN_DEBUG=1`` to see one); a
closed stdout pipe (``| head``) ends quietly with exit 141; Ctrl-C ends with
exit 130 and SIGTERM with 143, one line, temporary files removed; warnings of
third-party libraries (GDAL, matplotlib, numpy, shapely) are not printed.
"""

from __future__ import annotations

import errno
import os
import signal
import sys

import click

from ..errors import GisplanError, cli_message

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE
EXIT_TERMINATED = 143  # 128 + SIGTERM
#: OS errors a user causes and can fix: one line and exit 2, not "internal error".
_USER_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.ENAMETOOLONG,
                errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ELOOP, errno.EFBIG}


def _echo_err(msg: str) -> None:
    try:
        click.echo(" ".join(str(msg).split()), err=True)
    except (OSError, ValueError):  # stderr closed as well: nothing left to tell
        pass


def _debug() -> bool:
    return bool(os.environ.get("GISPLAN_DEBUG"))


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by SIGTERM so that cleanup (``finally``) runs."""


#: Signals this process received (SIGTERM, SIGINT): it then ends at once after its clean-up (see Group.main).
_SIGNALLED: list[int] = []


def _on_sigterm(signum, frame) -> None:
    _SIGNALLED.append(signum)
    raise Terminated()


def _on_sigint(signum, frame) -> None:
    _SIGNALLED.append(signum)
    raise KeyboardInterrupt()


def _end_now(code: int) -> None:
    """After a signal: flush, remove temp files, and end without the interpreter's shutdown.

    Threads of C libraries (GDAL, rasterio) that a signal cut short may still
    call back into Python while the interpreter finalizes, which aborts the
    process (exit -6) instead of 143/130; every ``finally`` block has run by now.
    """
    from ..store.files import remove_live_temps

    remove_live_temps()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _silence_stdout() -> None:
    """After EPIPE: point stdout at devnull so the exit flush cannot fail (Python docs recipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass


def _fail(ctx, exc: BaseException):
    """One line on stderr and the exit code for an exception out of a command."""
    if _SIGNALLED and not isinstance(exc, KeyboardInterrupt):
        # a signal came first: a library that caught it turned it into another error (matplotlib's
        # "Invalid affine transformation matrix" ...); the command was terminated all the same
        exc = Terminated() if _SIGNALLED[0] == signal.SIGTERM else KeyboardInterrupt()
    if isinstance(exc, GisplanError):  # library messages name options as the API does: show the flags
        _echo_err(f"gisplan: error: {cli_message(exc)}")
        ctx.exit(EXIT_BAD_INPUT)
    if isinstance(exc, KeyboardInterrupt):
        from ..store.files import remove_live_temps

        remove_live_temps()  # temp files of writes the signal cut short, whatever moment it came
        terminated = isinstance(exc, Terminated)
        _echo_err("gisplan: terminated" if terminated else "gisplan: interrupted")
        ctx.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)
    if isinstance(exc, OSError) and exc.errno == errno.EPIPE:  # | head closed the pipe
        _silence_stdout()
        ctx.exit(EXIT_BROKEN_PIPE)
    if isinstance(exc, OSError) and exc.errno in _USER_ERRNOS:
        from ..io.outputs import os_error_reason

        where = f" {exc.filename}" if exc.filename else ""
        _echo_err(f"gisplan: error: cannot access{where}: {os_error_reason(exc)}")
        ctx.exit(EXIT_BAD_INPUT)
    _echo_err(f"gisplan: internal error: {type(exc).__name__}: {exc} (set GISPLAN_DEBUG=1 for the traceback)")
    ctx.exit(1)


class Group(click.Group):
    """Turns typed errors into one line and exit code 2 (see the module docstring)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt as exc:  # Ctrl-C, SIGTERM: never a traceback, even in debug
            _fail(ctx, exc)
        except Exception as exc:  # typed errors, a closed pipe, an OS error, an unforeseen failure
            if _debug() and not (isinstance(exc, OSError) and exc.errno == errno.EPIPE):
                raise
            _fail(ctx, exc)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """Run the command line with SIGTERM handled, third-party warnings captured and
        usage errors (an unknown option, a bad choice) as one line and exit 2."""
        import logging
        import warnings

        root = logging.getLogger()
        quiet = logging.NullHandler()  # no "lastResort" printing of library log records
        old_term = old_int = None
        try:
            old_term = signal.signal(signal.SIGTERM, _on_sigterm)
            if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                old_int = signal.signal(signal.SIGINT, _on_sigint)
        except (ValueError, OSError):  # not the main thread
            pass
        del _SIGNALLED[:]
        if not _debug():
            root.addHandler(quiet)
        try:
            with warnings.catch_warnings():
                if not _debug():
                    warnings.simplefilter("ignore")
                rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except click.exceptions.UsageError as exc:  # click would print the usage block: one line instead
            where = f"{exc.ctx.command_path} --help" if exc.ctx is not None else "gisplan --help"
            _echo_err(f"gisplan: error: {exc.format_message()} (see {where})")
            code = EXIT_BAD_INPUT
        except click.exceptions.ClickException as exc:
            _echo_err(f"gisplan: error: {exc.format_message()}")
            code = exc.exit_code
        except click.exceptions.Abort:
            _echo_err("gisplan: interrupted")
            code = EXIT_INTERRUPTED
        except OSError as exc:  # EPIPE while click itself writes (help, version)
            if exc.errno != errno.EPIPE:
                raise
            _silence_stdout()
            code = EXIT_BROKEN_PIPE
        finally:
            root.removeHandler(quiet)
            if old_term is not None:
                signal.signal(signal.SIGTERM, old_term)
            if old_int is not None:
                signal.signal(signal.SIGINT, old_int)
        if not standalone_mode:
            return code
        if _SIGNALLED and code in (EXIT_TERMINATED, EXIT_INTERRUPTED):
            _end_now(code)
        sys.exit(code)


def protect_inputs(store=None, *inputs) -> None:
    """Outputs of this command never replace the store or an input file (exit 2 instead)."""
    from ..io.outputs import protect, unprotect

    tokens = [protect(store, role="the store", store=True), protect(*inputs, role="an input file")]
    ctx = click.get_current_context()
    for token in tokens:
        ctx.call_on_close(lambda t=token: unprotect(t))


def check_outputs(*paths) -> None:
    """Refuse a bad output path before any screening (store or input, FIFO, folder)."""
    from ..io.outputs import check_output_path

    for p in paths:
        if p:
            check_output_path(p)


@click.group(cls=Group)
@click.version_option(package_name="gisplan")
@click.option("-v", "--verbose", count=True, help="Say what is done (-v) and how (-vv), on stderr.")
@click.option("-q", "--quiet", "quiet_log", is_flag=True, help="Print no log lines but errors.")
def main(verbose: int = 0, quiet_log: bool = False) -> None:
    """Screen project sites against 三线一单 zoning: control units, redline, reserves, water sources."""
    from ..log import configure

    configure(verbose, quiet=quiet_log)  # notices (a folder created for an output) show unless -q




__all__ = ["main", "Group", "protect_inputs", "check_outputs", "EXIT_BAD_INPUT"]
