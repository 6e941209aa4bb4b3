"""``eie cnn-demo``: the LeNet-5-style CNN on the digits, its convolutions on the host and its
fully connected part on the EIE RTL, checked bit for bit against the golden model.

1. Trains and compresses the CNN (:func:`compress.cnn.run_lenet5_demo`): ``lenet5.eie`` /
   ``lenet5.eiz`` (the fully connected part), ``lenet5-host.pt`` (the shared-weight
   convolutions), ``report.json`` and ``report.txt`` (Deep Compression's Table 1 and Table 3).
2. Runs the test images' host features — the convolutions loaded back from
   ``lenet5-host.pt``, in PyTorch, converted to the activation fixed point — through the golden
   model and through the RTL on one of :data:`sim.verify.backends.BACKENDS`, and checks that
   outputs and cycle counts agree (golden model, cycle model).
3. Prints the tables, the RTL's accuracy and the comparison.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from eie_hw import cli_args
from eie_hw.config import EIEConfig
from eie_hw.fixedpoint import act_to_fixed
from eie_hw.image import load_image
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.backends import BACKENDS, simulate_rtl

__all__ = ["lenet5_config", "run_cnn_demo", "add_parser"]


def lenet5_config(n_pes, fifo_depth=8):
    """A compact configuration that holds the CNN's 200-500-10 fully connected part (memories
    sized for it, so the RTL stays small)."""
    return EIEConfig(n_pes=n_pes, fifo_depth=fifo_depth, act_depth=-(-500 // n_pes),
                     spmat_depth=max(64, 16384 // n_pes), ptr_depth=1024,
                     bias_depth=-(-500 // n_pes) + -(-10 // n_pes), max_layers=4)


def run_cnn_demo(args):
    """``eie cnn-demo``: returns the exit status (1 if the RTL differs from the models)."""
    from compress.cnn import host_features, load_lenet5_host, run_lenet5_demo
    from compress.demo import digits_data

    out = Path(args.out)
    config = lenet5_config(args.pes, args.fifo)
    print(f"[1/2] training and compressing the LeNet-5-style CNN (fully connected part for "
          f"{args.pes} PEs) → {out}", flush=True)
    report = run_lenet5_demo(out, config, quick=args.quick, progress=True)
    image = load_image(out / report["files"]["image"])
    host = load_lenet5_host(out / report["files"]["host"])
    x_test, y_test = digits_data(report["seed"])["test"]
    if args.limit:
        x_test, y_test = x_test[:args.limit], y_test[:args.limit]
    x_fixed = act_to_fixed(config, host_features(host, x_test), what="host features")
    golden = GoldenModel(image)
    expected = golden.run(x_fixed)
    model_cycles = np.array([job_timing(image, x, golden).total for x in x_fixed])

    print(f"[2/2] {len(x_fixed)} test images: host convolutions, then the fully connected "
          f"part through the RTL ({args.backend})", flush=True)
    bar = tqdm(total=len(x_fixed), unit="image", file=sys.stderr)
    started = time.perf_counter()
    result = simulate_rtl(image, x_fixed, args.backend, progress=lambda i: bar.update(1))
    bar.close()
    wall = time.perf_counter() - started
    rtl = result.outputs
    mismatches = int(np.sum(np.any(rtl != expected, axis=1)))
    cycle_mismatches = int(np.sum(result.cycles != model_cycles))
    errors = int(np.count_nonzero(result.errors))
    summary = {"test_images": len(x_fixed), "backend": args.backend, "rtl_wall_s": wall,
               "rtl_accuracy": float(np.mean(rtl.argmax(axis=1) == y_test)),
               "golden_accuracy": float(np.mean(expected.argmax(axis=1) == y_test)),
               "rtl_golden_mismatches": mismatches,
               "rtl_cycle_model_mismatches": cycle_mismatches, "rtl_errors": errors,
               "cycles_per_inference_mean": float(result.cycles.mean())}
    (out / "cnn-demo.json").write_text(json.dumps(summary, indent=1))
    verdict = "bit-exact" if mismatches == 0 else f"{mismatches} MISMATCHES"
    print()
    print((out / "report.txt").read_text())
    print(f"RTL ({args.backend}, {args.pes} PEs, {wall:.1f} s): {verdict} against the golden "
          f"model; cycle counts equal to the cycle model on "
          f"{len(x_fixed) - cycle_mismatches}/{len(x_fixed)} images; "
          f"{summary['cycles_per_inference_mean']:.0f} cycles per inference (fully connected "
          f"part); accuracy {100 * summary['rtl_accuracy']:.2f} % on {len(x_fixed)} images "
          f"(golden model {100 * summary['golden_accuracy']:.2f} %)")
    return 0 if mismatches == 0 and cycle_mismatches == 0 and not errors else 1


def add_parser(subparsers):
    p = subparsers.add_parser(
        "cnn-demo", help="a LeNet-5-style CNN: convolutions on the host, the fully connected "
                         "part on the RTL", description=__doc__)
    p.add_argument("--pes", type=cli_args.pe_count, default=4, help="number of PEs (default 4)")
    p.add_argument("--fifo", type=cli_args.config_field("fifo_depth"), default=8,
                   help="activation queue depth (default 8)")
    p.add_argument("--backend", choices=BACKENDS, default="verilator",
                   help="RTL simulator (default verilator)")
    p.add_argument("--quick", action="store_true", help="short training schedule")
    p.add_argument("--limit", type=cli_args.positive_int, metavar="N",
                   help="only the first N test images")
    p.add_argument("--out", type=cli_args.output_dir, default="out/cnn-demo",
                   help="output directory (default out/cnn-demo)")
    p.set_defaults(func=run_cnn_demo)
    return p
