"""``eie demo``: from a trained network to bit-exact RTL inference, in one command.

1. Trains the digits MLP (or loads the cached checkpoint), compresses it (pruning, trained
   quantization, Huffman coding) and writes the ``.eie`` image and report
   (:func:`compress.demo.run_digits_demo`).
2. Runs every test image through the golden model and through the RTL, and checks that the
   RTL's outputs equal the golden model's bit for bit and its cycle counts the cycle model's.
3. Prints one summary and writes plots: per-PE load of one inference, cycles vs PE count (the
   compressor adds weight histograms with centroids and sparsity per layer).
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
from eie_hw.image import encode_network, load_image
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.backends import BACKENDS, simulate_rtl
from sim.verify.paper import PAPER_CLOCK_HZ

__all__ = ["digits_config", "run_demo", "add_parser"]


def digits_config(n_pes, fifo_depth=8, broadcast_width=1):
    """A compact configuration that holds the 64-300-100-10 digits MLP (memories sized for
    it, so the RTL stays small)."""
    return EIEConfig(n_pes=n_pes, fifo_depth=fifo_depth, broadcast_width=broadcast_width,
                     act_depth=-(-300 // n_pes),
                     spmat_depth=max(64, 4096 // n_pes), ptr_depth=512,
                     bias_depth=-(-300 // n_pes) + -(-100 // n_pes) + -(-10 // n_pes),
                     max_layers=4)


def run_rtl(image, inputs, backend, progress):
    """Physical-order outputs, cycles and error flags of every input on ``backend``."""
    result = simulate_rtl(image, inputs, backend, progress=progress)
    return result.physical, result.cycles, result.errors


def plot_pe_load(job, path):
    """Stacked busy / blocking / idle compute cycles per PE and layer of one inference."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(job.layers), figsize=(4 * len(job.layers), 3.2),
                             squeeze=False)
    for l, (ax, t) in enumerate(zip(axes[0], job.layers, strict=True)):
        pes = np.arange(len(t.busy))
        blocked = np.minimum(t.blocking, t.idle)
        ax.bar(pes, t.busy, color="tab:green", label="busy (entry issued)")
        ax.bar(pes, blocked, bottom=t.busy, color="tab:red", label="queue full (blocking)")
        ax.bar(pes, t.idle - blocked, bottom=t.busy + blocked, color="lightgray",
               label="idle")
        ax.set(title=f"layer {l}: {t.compute} compute cycles", xlabel="PE",
               ylabel="cycles")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_cycles_vs_pes(image, x, path, pes=(1, 2, 4, 8, 16, 32, 64)):
    """Cycle-model cycles of one inference of the same network at several PE counts."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    layers = image.decode()
    cycles = []
    for n in pes:
        config = digits_config(n, image.config.fifo_depth)
        cycles.append(job_timing(encode_network(config, layers), x).total)
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(pes, cycles, marker="o", label="cycle model")
    ax.plot(pes, [cycles[0] / n for n in pes], "k--", label="linear scaling")
    ax.set(xscale="log", yscale="log", xlabel="PEs", ylabel="cycles per inference",
           title="digits MLP: cycles vs PE count")
    ax.set_xscale("log", base=2)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return dict(zip(pes, cycles, strict=True))


def run_demo(args):
    from compress.demo import digits_data, run_digits_demo

    out = Path(args.out)
    config = digits_config(args.pes, args.fifo, args.broadcast_width)
    started = time.perf_counter()
    print(f"[1/3] training and compressing the digits MLP for {args.pes} PEs → {out}",
          flush=True)
    report = run_digits_demo(out, config, quick=args.quick, balance=args.balance)
    image = load_image(out / "digits.eie")
    x_test, y_test = digits_data(report["seed"])["test"]
    # The test set as files, for eie run --input and eie bench --image --inputs.
    np.save(out / "test-x.npy", x_test)
    np.save(out / "test-y.npy", y_test)
    if args.limit:
        x_test, y_test = x_test[:args.limit], y_test[:args.limit]
    x_fixed = act_to_fixed(config, x_test)
    golden = GoldenModel(image)
    expected = golden.run(x_fixed)
    timings = [job_timing(image, x, golden) for x in x_fixed]
    model_cycles = np.array([t.total for t in timings])

    print(f"[2/3] {len(x_fixed)} test images through the RTL ({args.backend})", flush=True)
    bar = tqdm(total=len(x_fixed), unit="image", file=sys.stderr)
    t_rtl = time.perf_counter()
    physical, cycles, errors = run_rtl(image, x_fixed, args.backend, lambda i: bar.update(1))
    bar.close()
    t_rtl = time.perf_counter() - t_rtl
    rtl = image.restore_outputs(physical)
    mismatches = int(np.sum(np.any(rtl != expected, axis=1)))
    cycle_mismatches = int(np.sum(cycles != model_cycles))

    print("[3/3] plots", flush=True)
    plot_pe_load(timings[0], out / "pe-load.png")
    scaling = plot_cycles_vs_pes(image, x_fixed[0], out / "cycles-vs-pes.png")

    acc = report["accuracy"]
    rtl_acc = float(np.mean(rtl.argmax(axis=1) == y_test))
    golden_acc = float(np.mean(expected.argmax(axis=1) == y_test))
    bound = np.array([sum(layer.bound for layer in t.layers) for t in timings])
    boards = boards_time(image, x_fixed)
    summary = {
        "float_accuracy": acc["float_test"], "compressed_pytorch_accuracy":
            acc["compressed_pytorch_test"], "golden_accuracy": acc["compressed_golden_test"],
        "all_test_images": report["data"]["test"],
        "rtl_accuracy": rtl_acc, "golden_accuracy_on_rtl_images": golden_acc,
        "test_images": len(x_fixed),
        "rtl_golden_mismatches": mismatches, "rtl_cycle_model_mismatches": cycle_mismatches,
        "rtl_errors": int(np.count_nonzero(errors)),
        "compression_ratio": report["compression"]["ratio"],
        "compression_ratio_file": report["compression"]["ratio_file"],
        "compressed_file_bytes": report["compression"]["compressed_file_bytes"],
        "cycles_per_inference_mean": float(cycles.mean()),
        "load_efficiency": float(bound.sum() / cycles.sum()),
        "us_per_inference_800mhz": float(cycles.mean() / PAPER_CLOCK_HZ * 1e6),
        "boards": boards,
        "cycles_vs_pes": scaling, "backend": args.backend, "rtl_wall_s": t_rtl,
        "total_wall_s": time.perf_counter() - started,
    }
    (out / "demo.json").write_text(json.dumps(summary, indent=1))
    _print_summary(summary, out)
    return 0 if mismatches == 0 and cycle_mismatches == 0 and not summary["rtl_errors"] else 1


def boards_time(image, inputs):
    """:func:`board_time` on every board with a checked-in result: ``{board: timing or
    None}``."""
    from boards.boards import BOARDS

    return {name: board_time(image, inputs, name) for name in sorted(BOARDS)}


def board_time(image, inputs, board="ulx3s-85f"):
    """The time per inference of ``image`` on ``board``'s checked-in build: the network
    encoded for that build's configuration, the cycle model's mean cycles over ``inputs``
    (fixed point) and the clock the bitstream runs at (the constraint it met; the routed
    Fmax is reported beside it). ``None`` without a result that met its constraint or if
    the network does not fit the board."""
    from boards.boards import get_board
    from boards.results import clock_mhz, load_result
    from eie_hw.image import ImageError

    result = load_result(board)
    clock = clock_mhz(result)
    if clock is None:
        return None
    config = EIEConfig.from_dict(result["config"])
    try:
        encoded = encode_network(config, image.decode())
    except ImageError:
        return None
    golden = GoldenModel(encoded)
    cycles = float(np.mean([job_timing(encoded, x, golden).total for x in inputs]))
    return {"board": board, "n_pes": config.n_pes, "cycles": cycles,
            "clock_mhz": clock, "us": cycles / clock, "fmax_mhz": result["fmax_mhz"],
            "how": f"nextpnr-{get_board(board).family} routed Fmax "
                   f"{result['fmax_mhz']:.1f} MHz"}


def _print_summary(s, out):
    pct = lambda v: f"{100 * v:.2f} %"  # noqa: E731 (a local formatting shorthand)
    on_boards = "\n".join(
        f"  on {name:<13}{b['us']:.1f} µs ({b['n_pes']} PE{'s' * (b['n_pes'] != 1)}: "
        f"{b['cycles']:.0f} cycles at "
        f"the {b['clock_mhz']:g} MHz clock, {b['how']})" if b else
        f"  on {name:<13}no build result that holds the network "
        f"(eie build --board {name})" for name, b in s["boards"].items())
    verdict = "bit-exact" if s["rtl_golden_mismatches"] == 0 else \
        f"{s['rtl_golden_mismatches']} MISMATCHES"
    print(f"""
EIE demo: digits MLP 64-300-100-10
  accuracy     float {pct(s['float_accuracy'])} | compressed: PyTorch \
{pct(s['compressed_pytorch_accuracy'])}, golden model {pct(s['golden_accuracy'])} \
({s['all_test_images']} test images)
               RTL {pct(s['rtl_accuracy'])} on {s['test_images']} images (golden model on \
the same images {pct(s['golden_accuracy_on_rtl_images'])})
  RTL vs golden model: {verdict}; cycle counts equal to the cycle model on \
{s['test_images'] - s['rtl_cycle_model_mismatches']}/{s['test_images']} images \
({s['backend']}, {s['rtl_wall_s']:.1f} s)
  compression  {s['compression_ratio']:.1f}× (Deep Compression counting); the .eiz file \
{s['compression_ratio_file']:.1f}× ({s['compressed_file_bytes']} bytes)
  cycles       {s['cycles_per_inference_mean']:.0f} per inference, load efficiency \
{pct(s['load_efficiency'])}
  time         {s['us_per_inference_800mhz']:.2f} µs at the paper's 800 MHz
{on_boards}
  written to   {out}/ (report.json, report.txt, demo.json, digits.eie, digits.eiz,
               test-x.npy, test-y.npy, *.png)
""")


def add_parser(subparsers):
    p = subparsers.add_parser("demo", help="train, compress and run the digits MLP on the RTL",
                              description=__doc__)
    p.add_argument("--pes", type=cli_args.pe_count, default=8,
                   help="number of PEs (default 8)")
    p.add_argument("--fifo", type=cli_args.config_field("fifo_depth"), default=8,
                   help="activation queue depth (default 8)")
    p.add_argument("--broadcast-width", type=cli_args.config_field("broadcast_width"), default=1,
                   metavar="K", help="activations broadcast per cycle (1, 2 or 4; default 1)")
    p.add_argument("--backend", choices=BACKENDS, default="verilator",
                   help="RTL simulator (default verilator)")
    p.add_argument("--quick", action="store_true", help="short training schedule")
    p.add_argument("--balance", action="store_true", help="load-balanced row assignment")
    p.add_argument("--limit", type=cli_args.positive_int, metavar="N",
                   help="only the first N test images")
    p.add_argument("--out", type=cli_args.output_dir, default="out/demo",
                   help="output directory (default out/demo)")
    p.set_defaults(func=run_demo)
