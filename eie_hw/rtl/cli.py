"""``eie verilog``: write the RTL of an EIE array as Verilog, optionally with a gate count.

::

    eie verilog --pes N [--fifo D] -o FILE.v [--stat] [--no-memory-init] [--act-depth A]
                [--spmat-depth S] [--ptr-depth P] [--bias-depth B] [--max-layers L]

The sim dispatcher calls :func:`add_parser` and then ``args.func(args)``, which returns the exit
status. ``--stat`` runs Yosys (generic synthesis with the memories kept as macros, then
``stat -tech cmos``) and prints its report.
"""

import argparse
import sys
from pathlib import Path

__all__ = ["add_parser", "run", "main"]

_DEPTHS = (("act_depth", "activations per PE per bank"),
           ("spmat_depth", "sparse-matrix words per PE"),
           ("ptr_depth", "column pointers per PE (both banks)"),
           ("bias_depth", "bias words per PE"),
           ("max_layers", "layers of the layer table"))


def add_parser(subparsers):
    """Register ``verilog`` on an ``argparse`` sub-parser collection; returns the parser."""
    p = subparsers.add_parser(
        "verilog", help="generate the Verilog of an EIE array",
        description="Generate the Verilog of an EIE array (top module eie_top) from its "
                    "EIEConfig; other parameters keep the EIEConfig defaults.")
    p.add_argument("--pes", type=int, default=64, help="number of PEs (power of two, 1…256)")
    p.add_argument("--fifo", type=int, default=None, help="activation queue depth")
    for name, text in _DEPTHS:
        p.add_argument("--" + name.replace("_", "-"), type=int, default=None, dest=name,
                       help=text)
    p.add_argument("-o", "--output", type=Path, required=True, help="Verilog file to write")
    p.add_argument("--no-memory-init", action="store_false", dest="memory_init",
                   help="no initial (zero) memory contents: smaller, ~10x faster at big depths")
    p.add_argument("--stat", action="store_true",
                   help="also print a Yosys generic gate count (slow for big memories)")
    p.set_defaults(func=run)
    return p


def config_from_args(args):
    from eie_hw.config import EIEConfig

    changes = {"n_pes": args.pes}
    if args.fifo is not None:
        changes["fifo_depth"] = args.fifo
    for name, _ in _DEPTHS:
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    return EIEConfig().replace(**changes)


def run(args):
    from .export import gate_count, verilog

    config = config_from_args(args)
    args.output.write_text(verilog(config, memory_init=args.memory_init))
    print(f"wrote {args.output} ({config.n_pes} PEs, fifo depth {config.fifo_depth})")
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
