"""The ``embedlab`` command line: every module in this package that defines ``register``
adds its sub-commands, so a new capability plugs in without editing a shared list.

Errors from the engine, and files that cannot be read or written, print one line on stderr and
exit with status 2; anything else (a bug) prints one line and exits with status 1
(``EMBEDLAB_DEBUG=1`` shows the traceback). ``--json`` prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from embedlab.cli._common import TerminalSafeWriter, terminal_safe
from embedlab.errors import EmbedlabError

EXIT_BUG = 1
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    """The full parser, with sub-commands collected from this package's modules."""
    parser = argparse.ArgumentParser(
        prog="embedlab",
        description="Look inside embeddings: models, similarity, neighbours, collections and more.",
    )
    from embedlab import __version__

    parser.add_argument("--version", action="version", version=f"embedlab {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse has printed its message (a bad flag is exit 2, --help 0)
        return stop.code if isinstance(stop.code, int) else EXIT_USER_ERROR
    stdout = sys.stdout
    if not getattr(args, "json", False):  # human output: stored texts cannot drive the terminal
        sys.stdout = TerminalSafeWriter(stdout)
    try:
        return int(args.handler(args) or 0)
    except EmbedlabError as error:
        print(f"embedlab: error: {terminal_safe(str(error))}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("embedlab: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`embedlab ... | head`): stop quietly, as cat and grep do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        print(terminal_safe(f"embedlab: error: {error.strerror or error}{where}"), file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception as error:
        if os.environ.get("EMBEDLAB_DEBUG"):
            raise
        print(terminal_safe(f"embedlab: error: unexpected {type(error).__name__}: {error} (a bug; EMBEDLAB_DEBUG=1 shows the traceback)"),
              file=sys.stderr)
        return EXIT_BUG
    finally:
        sys.stdout = stdout


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
