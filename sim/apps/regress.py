"""``eie regress``: many constrained-random jobs through the exported Verilog on one build.

Each job ``i`` uses seed ``seed + i``
(:func:`sim.verify.cocotb_bench.stimulus.random_job`); outputs are checked bit for bit
against the golden model and the RTL's ``cycles`` against the cycle model.
A failing job is reported with the command that replays it alone.
"""

import json
import sys
import time
from collections import Counter

from eie_hw import cli_args

__all__ = ["run_regress", "add_parser"]


def _replay(args, seed):
    return (f"eie regress --count 1 --pes {args.pes} --fifo {args.fifo} "
            f"--backend {args.backend} --seed {seed}"
            + ("" if args.pauses else " --no-pauses"))


def run_regress(args, out=sys.stdout):
    from sim.verify.cocotb_bench.runner import build, run
    from sim.verify.configs import small_config

    config = small_config(args.pes, args.fifo)
    t0 = time.perf_counter()
    built = build(config, args.backend)
    build_s = time.perf_counter() - t0
    test_dir = built.directory / "runs" / f"regress-{args.seed}-{args.count}"
    report = test_dir / "regress.json"
    report.unlink(missing_ok=True)
    t1 = time.perf_counter()
    try:
        run(built, "test_regress", test_dir, seed=args.seed, count=args.count,
            pauses=args.pauses, out=str(report), log_file=test_dir / "sim.log")
    except SystemExit:          # the runner exits when the simulator fails; report below
        pass
    run_s = time.perf_counter() - t1
    if not report.exists():
        print(f"eie regress: the simulation ended without a report; see {test_dir}", file=out)
        return 1
    summary = json.loads(report.read_text())
    failed = [c for c in summary["cases"] if not c["passed"]]
    cycles_per_s = summary["sim_cycles"] / summary["wall_s"] if summary["wall_s"] else 0.0
    result = {"backend": args.backend, "n_pes": args.pes, "fifo_depth": args.fifo,
              "seed": args.seed, "count": summary["count"], "passed": summary["passed"],
              "failed": len(failed), "sim_cycles": summary["sim_cycles"],
              "sim_wall_s": summary["wall_s"], "cycles_per_s": cycles_per_s,
              "build_s": build_s, "run_s": run_s,
              "first_failure": failed[0]["seed"] if failed else None,
              "replay": _replay(args, failed[0]["seed"]) if failed else None,
              "config": config.to_dict(), "cases": summary["cases"]}
    print(f"{args.backend} {args.pes} PEs fifo {args.fifo}: {result['passed']} passed, "
          f"{result['failed']} failed of {result['count']} (seeds {args.seed}…"
          f"{args.seed + args.count - 1})", file=out)
    print(f"  {summary['sim_cycles']} cycles in {summary['wall_s']:.1f} s of simulation: "
          f"{cycles_per_s:,.0f} cycles/s; build {build_s:.1f} s, run {run_s:.1f} s", file=out)
    kinds = Counter(c.get("kind", "?") for c in summary["cases"] if c["passed"])
    tags = Counter(t for c in summary["cases"] if c["passed"]
                   for t, v in c["features"].items() if v is True)
    print("  kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())), file=out)
    print("  coverage: " + ", ".join(f"{k} {n}" for k, n in sorted(tags.items())), file=out)
    print(f"  simulator log: {test_dir / 'sim.log'}", file=out)
    if failed:
        print(f"  first failing seed {failed[0]['seed']}: {failed[0]['message'][:800]}",
              file=out)
        print(f"  replay: {result['replay']}", file=out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 1 if failed else 0


def add_parser(subparsers):
    p = subparsers.add_parser(
        "regress", help="random layers through the exported Verilog (cocotb)",
        description="Run COUNT constrained-random jobs (seeds SEED…SEED+COUNT-1) through one "
                    "build of the exported Verilog; compare outputs with the golden model and "
                    "cycle counts with the cycle model.")
    p.add_argument("--count", type=cli_args.positive_int, default=20,
                   help="number of random jobs (default 20)")
    p.add_argument("--pes", type=cli_args.pe_count, default=4,
                   help="PEs (power of two, default 4)")
    p.add_argument("--fifo", type=cli_args.config_field("fifo_depth"), default=8,
                   help="activation queue depth (default 8)")
    p.add_argument("--backend", choices=("verilator", "icarus"), default="verilator")
    p.add_argument("--seed", type=cli_args.nonnegative_int, default=1,
                   help="first seed (default 1)")
    p.add_argument("--no-pauses", dest="pauses", action="store_false",
                   help="no random stalls on the streams")
    p.add_argument("--json", type=cli_args.output_file, metavar="FILE",
                   help="write the results as JSON")
    p.set_defaults(func=run_regress)
    return p
