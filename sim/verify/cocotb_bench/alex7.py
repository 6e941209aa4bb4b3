"""Benchmark: Table III's Alex-7 (4096 × 4096, 9 % weights, 35.3 % activations) through the
exported Verilog of the 64-PE array in Verilator, checked against the golden and cycle models.

``python -m sim.verify.cocotb_bench.alex7 [--seed S] [--simulator verilator] [--json FILE]``
prints the build time, the simulation time and the simulated cycles per second.
"""

import argparse
import json
import sys
import time

from .runner import build, run
from .stimulus import alex7_config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--simulator", choices=("verilator", "icarus"), default="verilator")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    built = build(alex7_config(), args.simulator)
    t1 = time.perf_counter()
    test_dir = built.directory / "runs" / f"alex7-{args.seed}"
    out = test_dir / "alex7.json"
    out.unlink(missing_ok=True)
    try:
        tests, failed = run(built, "test_alex7", test_dir, seed=args.seed, out=str(out))
    except SystemExit:
        tests, failed = 1, 1
    t2 = time.perf_counter()
    result = json.loads(out.read_text()) if out.exists() else {}
    result.update(simulator=args.simulator, build_s=t1 - t0, run_s=t2 - t1, total_s=t2 - t0,
                  passed=bool(tests and not failed))
    print(json.dumps(result, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
