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

# Sub-command name -> module; each module has NAME, HELP, add_arguments(parser) and run(args) -> int.
# Only the module of the command being run is imported, so `validate` does not pay for torch.
COMMANDS: dict[str, str] = {
    "generate": "engine.cli.generate",
    "validate": "engine.cli.validate",
    "evaluate": "engine.cli.evaluate",
    "train": "engine.cli.train",
    "recommend": "engine.cli.recommend",
    "replay": "engine.cli.replay",
    "whatif": "engine.cli.whatif",
}

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad command-line usage found after parsing (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # one line, exit 2: argparse's own usage dump is noise for scripts
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; only the command named in ``argv`` (or every command, for the overview) is imported."""
    parser = _Parser(prog="interest-replay", description="Interest Replay engine command line.")
    parser.add_argument("--version", action="version", version=f"interest-replay {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = next((arg for arg in argv if arg in COMMANDS), None)
    for name, module_name in COMMANDS.items():
        if chosen is not None and name != chosen:
            sub.add_parser(name)  # listed so the name parses; never run in this process
            continue
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(module.NAME, help=module.HELP.replace("%", "%%"), description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
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
