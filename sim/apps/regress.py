"""``eie regress``: many constrained-random jobs through the exported Verilog on one build.

Each job ``i`` uses seed ``seed + i``
(:func:`sim.verify.cocotb_bench.stimulus.random_job`); outputs are checked bit for bit
against the golden model and the RTL's ``cycles`` / ``broadcasts`` / ``stalls`` / ``error``
against the cycle model (:class:`sim.verify.scoreboard.Scoreboard`). Two engines run them:
``native`` (default; the Verilated design with the clock in C++, :mod:`sim.verify.native`,
on ``--workers`` local processes) and ``cocotb`` (the cocotb bench on Verilator or Icarus,
``--backend``, with random stream stalls). A failing job is reported with the command that
replays it alone.
"""

import json
import sys
import time
from collections import Counter

from eie_hw import cli_args

__all__ = ["run_regress", "add_parser", "ENGINES"]

ENGINES = ("native", "cocotb")


def _replay(args, seed):
    common = (f"eie regress --count 1 --pes {args.pes} --fifo {args.fifo}"
              + (f" --broadcast-width {args.broadcast_width}" if args.broadcast_width != 1
                 else "") + f" --seed {seed}")
    if args.engine == "native":
        return f"{common} --engine native"
    return (f"{common} --engine cocotb --backend {args.backend}"
            + ("" if args.pauses else " --no-pauses"))


def _run_cocotb(args, config):
    """The cocotb bench's ``test_regress``: ``(summary, build_s, log path)`` or ``None``."""
    from sim.verify.cocotb_bench.runner import build, run

    t0 = time.perf_counter()
    built = build(config, args.backend)
    build_s = time.perf_counter() - t0
    test_dir = built.directory / "runs" / f"regress-{args.seed}-{args.count}"
    report = test_dir / "regress.json"
    report.unlink(missing_ok=True)
    try:
        run(built, "test_regress", test_dir, seed=args.seed, count=args.count,
            pauses=args.pauses, out=str(report), log_file=test_dir / "sim.log")
    except SystemExit:          # the runner exits when the simulator fails; report below
        pass
    if not report.exists():
        return None, build_s, test_dir
    return json.loads(report.read_text()), build_s, test_dir / "sim.log"


def _run_native(args, config):
    from sim.verify.native.regress import run_seeds

    t0 = time.perf_counter()
    summary, built = run_seeds(config, range(args.seed, args.seed + args.count),
                               workers=args.workers, scheduler=args.scheduler)
    return summary, built.seconds, built.directory, time.perf_counter() - t0


def run_regress(args, out=None):
    """Run the regression that ``args`` describe and print its report to ``out`` (default:
    the current ``sys.stdout``); 0 if every job passed, 1 if one failed, 2 for bad options."""
    from sim.verify.configs import small_config

    out = out or sys.stdout
    config = small_config(args.pes, args.fifo, broadcast_width=args.broadcast_width)
    if args.engine == "cocotb" and (args.workers != 1 or args.scheduler):
        print("eie regress: --workers and --scheduler apply to the native engine only",
              file=out)
        return 2
    t1 = time.perf_counter()
    if args.engine == "native":
        summary, build_s, where, _ = _run_native(args, config)
    else:
        summary, build_s, where = _run_cocotb(args, config)
        if summary is None:
            print(f"eie regress: the simulation ended without a report; see {where}", file=out)
            return 1
    run_s = time.perf_counter() - t1 - build_s
    failed = [c for c in summary["cases"] if not c["passed"]]
    cycles_per_s = summary["sim_cycles"] / summary["wall_s"] if summary["wall_s"] else 0.0
    engine_s = summary.get("engine_s")
    result = {"engine": args.engine, "backend": args.backend if args.engine == "cocotb" else None,
              "workers": args.workers, "scheduler": args.scheduler,
              "n_pes": args.pes, "fifo_depth": args.fifo,
              "broadcast_width": args.broadcast_width,
              "seed": args.seed, "count": summary["count"], "passed": summary["passed"],
              "failed": len(failed), "sim_cycles": summary["sim_cycles"],
              "sim_wall_s": summary["wall_s"], "cycles_per_s": cycles_per_s,
              "engine_s": engine_s,
              "engine_cycles_per_s": summary["sim_cycles"] / engine_s if engine_s else None,
              "build_s": build_s, "run_s": run_s,
              "first_failure": failed[0]["seed"] if failed else None,
              "replay": _replay(args, failed[0]["seed"]) if failed else None,
              "config": config.to_dict(), "cases": summary["cases"]}
    _print(result, summary, args, where, failed, out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 1 if failed else 0


def _print(result, summary, args, where, failed, out):
    name = args.engine if args.engine == "native" else f"cocotb/{args.backend}"
    width = f" broadcast width {args.broadcast_width}" if args.broadcast_width != 1 else ""
    print(f"{name} {args.pes} PEs fifo {args.fifo}{width}: {result['passed']} passed, "
          f"{result['failed']} failed of {result['count']} (seeds {args.seed}…"
          f"{args.seed + args.count - 1})", file=out)
    plural = "s" if args.workers > 1 else ""
    if args.engine != "native":
        workers = ""
    elif args.scheduler not in (None, "local"):
        workers = f" on the Dask cluster at {args.scheduler}"
    else:
        workers = f" on {args.workers} {'Dask ' if args.scheduler else ''}worker{plural}"
    print(f"  {summary['sim_cycles']} cycles in {summary['wall_s']:.1f} s{workers} "
          f"(stimulus, models and simulation): {result['cycles_per_s']:,.0f} cycles/s; "
          f"build {result['build_s']:.1f} s, run {result['run_s']:.1f} s", file=out)
    if result["engine_cycles_per_s"]:
        print(f"  inside the compiled harness: {result['engine_s']:.2f} s, "
              f"{result['engine_cycles_per_s']:,.0f} cycles/s", file=out)
    kinds = Counter(c.get("kind", "?") for c in summary["cases"] if c["passed"])
    tags = Counter(t for c in summary["cases"] if c["passed"]
                   for t, v in c["features"].items() if v is True)
    print("  kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())), file=out)
    print("  coverage: " + ", ".join(f"{k} {n}" for k, n in sorted(tags.items())), file=out)
    print(f"  {'build' if args.engine == 'native' else 'simulator log'}: {where}", file=out)
    if failed:
        print(f"  first failing seed {failed[0]['seed']}: {failed[0]['message'][:800]}",
              file=out)
        print(f"  replay: {result['replay']}", file=out)


def add_parser(subparsers):
    p = subparsers.add_parser(
        "regress", help="random layers through the exported Verilog (native or cocotb)",
        description="Run COUNT constrained-random jobs (seeds SEED…SEED+COUNT-1) through one "
                    "build of the exported Verilog; compare outputs with the golden model and "
                    "cycle counts with the cycle model.")
    p.add_argument("--count", type=cli_args.positive_int, default=20,
                   help="number of random jobs (default 20)")
    p.add_argument("--pes", type=cli_args.pe_count, default=4,
                   help="PEs (power of two, default 4)")
    p.add_argument("--fifo", type=cli_args.config_field("fifo_depth"), default=8,
                   help="activation queue depth (default 8)")
    p.add_argument("--broadcast-width", type=cli_args.config_field("broadcast_width"), default=1,
                   metavar="K", help="activations broadcast per cycle (1, 2 or 4; default 1)")
    p.add_argument("--engine", choices=ENGINES, default="native",
                   help="native: the Verilated design driven from C++ (default); cocotb: the "
                        "cocotb bench with random stream stalls")
    p.add_argument("--backend", choices=("verilator", "icarus"), default="verilator",
                   help="simulator of the cocotb engine (default verilator)")
    p.add_argument("--workers", type=cli_args.positive_int, default=1,
                   help="local processes of the native engine, sharing one build (default 1); "
                        "with --scheduler local, the local Dask cluster's workers")
    p.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="run the native engine's shards on a Dask cluster: 'local' (a local "
                        "cluster of --workers processes) or a scheduler address such as "
                        "tcp://host:8786")
    p.add_argument("--seed", type=cli_args.nonnegative_int, default=1,
                   help="first seed (default 1)")
    p.add_argument("--no-pauses", dest="pauses", action="store_false",
                   help="no random stalls on the streams (cocotb engine)")
    p.add_argument("--json", type=cli_args.output_file, metavar="FILE",
                   help="write the results as JSON")
    p.set_defaults(func=run_regress)
    return p
