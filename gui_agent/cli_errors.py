"""How the command line shows a failure: one line naming it, the Python traceback only with --debug.

A failure the program expects (bad input, a model that raises, a dead computer) already has a
named status and a one-line reason. `--debug` adds the traceback behind it: of an error a
command reports (`print_traceback_if_debug` inside its `except`), and of the exception that
ended an episode (logged by the loop to DEBUG_LOGGER, which --debug turns on). An exception
nobody expected (our bug) is one line naming it plus a hint, or with --debug the traceback.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import click
from rich.console import Console

DEBUG_LOGGER = "gui_agent.debug"
"""Tracebacks of errors that became a status; shown only with --debug."""
INTERNAL_ERROR_EXIT = 1

_console = Console(stderr=True)
_debug = False


def enable_debug(on: bool = True) -> None:
    """Turn --debug on or off for this process (the CLI calls it once per invocation)."""
    global _debug
    _debug = on
    logger = logging.getLogger(DEBUG_LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.setLevel(logging.DEBUG if on else logging.NOTSET)
    logger.propagate = not on
    if on:  # its own handler: the stderr of this invocation, whatever logging was set up before
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("debug: %(message)s"))
        logger.addHandler(handler)


def debug_enabled() -> bool:
    return _debug


def print_traceback_if_debug() -> None:
    """With --debug, print the traceback of the exception being handled (if any)."""
    if _debug and sys.exc_info()[1] is not None:
        traceback.print_exc(file=sys.stderr)


class DebuggableGroup(click.Group):
    """A command group that turns an unexpected exception into one line unless --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if _debug:
                raise
            text = " ".join(str(exc).split())[:300]
            _console.print(
                f"[red]error:[/red] internal error: {type(exc).__name__}: {text} "
                "(run with --debug for the traceback)",
                highlight=False, soft_wrap=True,
            )  # fmt: skip
            sys.exit(INTERNAL_ERROR_EXIT)
