"""Dense-Sparse-Dense training against plain training on the digits MLP, over several seeds.

    .venv/bin/python examples/dsd_digits.py [--seeds 0 1 2 3 4] [--quick] [--out FILE.json]

For every seed (a different train/test split and initialisation) the digits demo
(``eie compress --demo digits``, 4 PEs) runs three times on the same dense model: as it is
("plain"); after the DSD schedule without pruning ("same epochs": the sparse and re-dense
phases' epochs and learning rates, sparsity 0 — the control for the extra training); and
after DSD (``--dsd``: sparse phase at 30 % sparsity, then re-dense at a tenth of the learning
rate). Printed per run: test accuracy of the float model, of the compressed network (golden
model, bit-exact with the RTL) and the actual compression ratio of the ``.eiz`` file; then the
mean and standard deviation over the seeds.
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from compress.demo import run_digits_demo
from compress.dsd import DSDSettings
from eie_hw.config import EIEConfig

RUNS = (("plain", None), ("same epochs", DSDSettings(sparsity=0.0)), ("DSD", DSDSettings()))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--quick", action="store_true", help="the demo's short schedule")
    p.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    args = p.parse_args()
    config = EIEConfig(n_pes=4)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            for name, dsd in RUNS:
                print(f"seed {seed}: {name} …", flush=True)
                report = run_digits_demo(Path(tmp) / f"{seed}-{name}", config, args.quick,
                                         seed=seed, progress=False, dsd=dsd)
                rows.append({"seed": seed, "training": name,
                             "float": report["accuracy"]["float_test"],
                             "golden": report["accuracy"]["compressed_golden_test"],
                             "ratio_file": report["compression"]["ratio_file"]})
    print(f"\ndigits MLP 64-300-100-10, {len(rows) // len(RUNS)} seeds, test split "
          f"({'quick' if args.quick else 'full'} schedule); float = dense model, "
          f"compressed = golden model of the .eie image")
    print(f"{'seed':>4} {'training':>12} {'float':>8} {'compressed':>11} {'.eiz ratio':>11}")
    for r in rows:
        print(f"{r['seed']:>4} {r['training']:>12} {100 * r['float']:>7.2f}% "
              f"{100 * r['golden']:>10.2f}% {r['ratio_file']:>10.1f}x")
    for name, _ in RUNS:
        runs = [r for r in rows if r["training"] == name]
        f = 100 * np.array([r["float"] for r in runs])
        g = 100 * np.array([r["golden"] for r in runs])
        print(f"mean {name:>12}: float {f.mean():.2f}% ± {f.std():.2f}, compressed "
              f"{g.mean():.2f}% ± {g.std():.2f}")
    if args.out:
        args.out.write_text(json.dumps({"runs": rows}, indent=1))


if __name__ == "__main__":
    main()
