"""`python -m engine` / `interest-replay`: one CLI, one sub-command module per command.

Exit codes for every command: 0 success, 2 bad input or usage (one-line reason on stderr), 1 internal error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from engine import __version__
from engine.data.errors import DataError

# Sub-command modules; each has NAME, HELP, add_arguments(parser) and run(args) -> int.
COMMAND_MODULES: tuple[str, ...] = (
    "engine.cli.generate",
    "engine.cli.validate",
    "engine.cli.evaluate",
    "engine.cli.train",
    "engine.cli.recommend",
)

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage found after parsing (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # one line, exit 2: argparse's own usage dump is noise for scripts
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="interest-replay", description="Interest Replay engine command line.")
    parser.add_argument("--version", action="version", version=f"interest-replay {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:  # a command not built yet in this checkout
                continue
            raise
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return int(args.run(args))
    except (DataError, UsageError, FileNotFoundError, IsADirectoryError) as err:
        sys.stderr.write(f"error: {_one_line(err)}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return EXIT_INTERNAL
    except Exception as err:
        if args.debug:
            raise
        sys.stderr.write(f"internal error: {type(err).__name__}: {_one_line(err)} (rerun with --debug)\n")
        return EXIT_INTERNAL


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


if __name__ == "__main__":
    raise SystemExit(main())
