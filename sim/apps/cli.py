"""The ``eie`` command: one entry point whose subcommands live with the code they drive."""

import argparse
import importlib
import sys

from sim.verify.native.verilated import NativeBuildError

__all__ = ["main"]

# (module, description) of every subcommand provider; each has add_parser(subparsers).
_PROVIDERS = (
    "sim.apps.bench",
    "compress.cli",
    "compress.storage_cli",
    "eie_hw.rtl.cli",
    "sim.apps.regress",
    "boards.cli",
    "sim.apps.demo",
    "sim.apps.cnn_demo",
)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="eie", description="EIE in Amaranth: compress networks, run and check the RTL.")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in _PROVIDERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        module.add_parser(subparsers)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args) or 0
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError, NativeBuildError) as e:
        print(f"eie {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
