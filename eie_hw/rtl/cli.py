"""``eie verilog``: write the RTL of an EIE array as Verilog, optionally with a gate count.

::

    eie verilog --pes N [--fifo D] [--broadcast-width K] -o FILE.v [--stat]
                [--memory-init | --no-memory-init]
                [--act-depth A] [--spmat-depth S] [--ptr-depth P] [--bias-depth B]
                [--max-layers L]

The sim dispatcher calls :func:`add_parser` and then ``args.func(args)``, which returns the exit
status. ``--stat`` runs Yosys (generic synthesis with the memories kept as macros, then
``stat -tech cmos``) and prints its report.
"""

import argparse
import sys
from pathlib import Path

__all__ = ["add_parser", "config_from_args", "run", "main"]

#: ``(EIEConfig field, option, help)`` of every configuration argument.
_FIELDS = (("n_pes", "--pes", "number of PEs (power of two, 1…256)"),
           ("fifo_depth", "--fifo", "activation queue depth"),
           ("broadcast_width", "--broadcast-width",
            "activations broadcast per cycle (1, 2 or 4)"),
           ("act_depth", "--act-depth", "activations per PE per bank"),
           ("spmat_depth", "--spmat-depth", "sparse-matrix words per PE"),
           ("ptr_depth", "--ptr-depth", "column pointers per PE (both banks)"),
           ("bias_depth", "--bias-depth", "bias words per PE"),
           ("max_layers", "--max-layers", "layers of the layer table"))


def add_parser(subparsers):
    """Register ``verilog`` on an ``argparse`` sub-parser collection; returns the parser."""
    p = subparsers.add_parser(
        "verilog", help="generate the Verilog of an EIE array",
        description="Generate the Verilog of an EIE array (top module eie_top) from its "
                    "EIEConfig; other parameters keep the EIEConfig defaults.")
    for field, option, text in _FIELDS:
        p.add_argument(option, type=int, default=64 if field == "n_pes" else None, dest=field,
                       metavar=option[2:].replace("-", "_").upper(), help=text)
    p.add_argument("-o", "--output", type=Path, required=True, help="Verilog file to write")
    init = p.add_mutually_exclusive_group()
    init.add_argument("--memory-init", action="store_true", dest="memory_init",
                      help="give every memory all-zero initial contents, written word by "
                           "word (for flows that need defined contents; minutes and a much "
                           "larger file at the default depths)")
    init.add_argument("--no-memory-init", action="store_false", dest="memory_init",
                      help="no initial memory contents (the default: the design does not "
                           "rely on them, the host loads every word a job uses)")
    p.set_defaults(memory_init=False)
    p.add_argument("--stat", action="store_true",
                   help="also print a Yosys generic gate count (slow for big memories)")
    p.set_defaults(func=run)
    return p


def config_from_args(args):
    """The :class:`~eie_hw.config.EIEConfig` the arguments describe (unset fields keep the
    defaults).

    Raises ``ValueError`` naming the offending argument(s) and carrying EIEConfig's own message
    (which echoes the value) if the configuration is invalid, e.g.
    ``argument --fifo: EIEConfig.fifo_depth must be between 1 and 1024, not -1``.
    """
    from eie_hw.config import EIEConfig

    given = [(field, option, getattr(args, field)) for field, option, _ in _FIELDS
             if getattr(args, field) is not None]
    try:
        return EIEConfig().replace(**{field: value for field, _, value in given})
    except (TypeError, ValueError) as error:
        combined = error
    # Name the argument that is invalid on its own; else all of them (an invalid combination).
    for field, option, value in given:
        try:
            EIEConfig().replace(**{field: value})
        except (TypeError, ValueError) as error:
            raise ValueError(f"argument {option}: {error}") from None
    options = ", ".join(option for _, option, _ in given)
    raise ValueError(f"arguments {options}: {combined}") from None


def _check_output(path):
    """Raise ``ValueError`` naming ``-o`` unless ``path`` can be written as a file."""
    if path.is_dir():
        raise ValueError(f"argument -o/--output must be a file, not the directory "
                         f"{str(path)!r}")
    if not path.absolute().parent.is_dir():
        raise ValueError(f"argument -o/--output must be a file in an existing directory, "
                         f"not {str(path)!r}")


def run(args):
    """Check the arguments, write the Verilog (and print the gate count with ``--stat``).

    Returns the exit status: 0, or 2 after a one-line error on ``stderr`` for an invalid
    argument (nothing is written then)."""
    try:
        config = config_from_args(args)
        _check_output(args.output)
    except ValueError as error:
        print(f"eie verilog: error: {error}", file=sys.stderr)
        return 2

    from .export import gate_count, verilog

    args.output.write_text(verilog(config, memory_init=args.memory_init))
    print(f"wrote {args.output} ({config.n_pes} PEs, fifo depth {config.fifo_depth}, "
          f"broadcast width {config.broadcast_width})")
    if args.stat:
        transistors, report = gate_count(config)
        print(report)
        if transistors is not None:
            print(f"estimated transistors: {transistors}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="eie")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError) as e:
        print(f"eie {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
