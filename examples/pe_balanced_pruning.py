"""Load-balance-aware pruning (ESE) against plain magnitude pruning on the digits MLP.

    .venv/bin/python examples/pe_balanced_pruning.py [--pes 8] [--seeds 0 1 2] [--out FILE.json]

For every seed (a different train/test split and initialisation) the digits demo is compressed
twice for the same PE count — magnitude pruning, then pruning that leaves every PE (rows
``i mod N``) the same number of weights per layer — and both images are exported with EIE's
``i mod N`` rows. Printed per run: test accuracy of the compressed network (golden model), the
busiest PE's entries over the mean (padding included) per layer, and the mean cycles per
inference over the test set (cycle model, which the RTL matches cycle for cycle).
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from compress.demo import digits_data, run_digits_demo
from eie_hw.fixedpoint import act_to_fixed
from eie_hw.image import load_image
from sim.apps.demo import digits_config
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel


def measure(out_dir, config, seed, pe_balanced):
    report = run_digits_demo(out_dir, config, seed=seed, progress=False,
                             pe_balanced_pruning=pe_balanced)
    image = load_image(out_dir / report["files"]["image"])
    golden = GoldenModel(image)
    x_test = act_to_fixed(image.config, digits_data(seed)["test"][0])
    cycles = [job_timing(image, x, golden).total for x in x_test]
    return {"accuracy": report["accuracy"]["compressed_golden_test"],
            "float_accuracy": report["accuracy"]["float_test"],
            "max_over_mean": [layer["pe_entries"]["i_mod_n"]["max_over_mean"]
                              for layer in report["layers"]],
            "cycles_per_inference": float(np.mean(cycles))}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pes", type=int, default=8)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = p.parse_args()
    config = digits_config(args.pes)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for pe_balanced in (False, True):
                name = "pe-balanced" if pe_balanced else "magnitude"
                print(f"seed {seed}: compressing with {name} pruning …", flush=True)
                result = measure(Path(tmp) / f"{seed}-{name}", config, seed, pe_balanced)
                rows.append({"seed": seed, "pruning": name, **result})
    print(f"\n{args.pes} PEs, rows i mod N; max/mean = busiest PE's entries / mean per layer")
    print(f"{'seed':>4} {'pruning':>12} {'float':>7} {'golden':>7} {'max/mean per layer':>24} "
          f"{'cycles':>7}")
    for r in rows:
        ratios = " ".join(f"{v:.3f}" for v in r["max_over_mean"])
        print(f"{r['seed']:>4} {r['pruning']:>12} {100 * r['float_accuracy']:>6.2f}% "
              f"{100 * r['accuracy']:>6.2f}% {ratios:>24} {r['cycles_per_inference']:>7.1f}")
    for name in ("magnitude", "pe-balanced"):
        acc = [r["accuracy"] for r in rows if r["pruning"] == name]
        cyc = [r["cycles_per_inference"] for r in rows if r["pruning"] == name]
        print(f"mean {name:>12}: accuracy {100 * np.mean(acc):.2f}%, "
              f"{np.mean(cyc):.1f} cycles per inference")
    if args.out:
        args.out.write_text(json.dumps({"n_pes": args.pes, "runs": rows}, indent=1))


if __name__ == "__main__":
    main()
