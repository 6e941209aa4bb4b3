"""``eie bench``: the paper's nine benchmark layers (Table III) through the cycle model.

The layers are synthetic: the sizes and densities of Table III with uniform random sparsity
(seeded), not the real pruned weights, which are not public. Memories are sized so that each
layer fits (the benchmark measures the dataflow, not the default memory sizes).
"""

import json
import sys
from dataclasses import asdict

import numpy as np
from tqdm import tqdm

from eie_hw import cli_args
from eie_hw.config import BROADCAST_WIDTHS, EIEConfig
from eie_hw.image.balance import balanced_row_order
from eie_hw.image.layout import encode_layer
from sim.models.cycle_model import layer_timing
from sim.verify.paper import PAPER_CLOCK_HZ, TABLE_III, BenchmarkLayer
from sim.verify.random_layers import random_activations, synthetic_layer

from .energy_report import energy_breakdown, energy_model, energy_row, print_energy

__all__ = ["bench_config", "synthetic_layer", "run_layer", "add_parser"]

FIFO_SWEEP = (1, 2, 4, 8, 16, 32, 64, 128, 256)
PES_SWEEP = (1, 2, 4, 8, 16, 32, 64, 128, 256)
DEFAULT_PES, DEFAULT_FIFO = 64, 8

# Options of the Table III run that an --image run ignores, and the ones only it reads.
_TABLE_ONLY = ("pes", "layers", "synthetic", "load_plot", "baselines", "baselines_plot")
_IMAGE_ONLY = ("inputs", "image_pes")


def bench_config(n_pes, fifo_depth, layer, broadcast_width=1):
    """A configuration whose memories hold ``layer`` (a :class:`BenchmarkLayer`)."""
    act_depth = -(-max(layer.n_in, layer.n_out) // n_pes)
    return EIEConfig(n_pes=n_pes, fifo_depth=fifo_depth, broadcast_width=broadcast_width,
                     act_depth=act_depth, ptr_width=32, spmat_depth=2 ** 28,
                     ptr_depth=2 * (layer.n_in + 1), bias_depth=-(-layer.n_out // n_pes))


def synthetic_spec(text):
    """A ``--synthetic`` layer ``OUTxIN:W:A`` (outputs, inputs, weight and activation
    densities, e.g. ``384x1536:0.1:0.5``) as a :class:`BenchmarkLayer` without the paper's
    figures. An ``argparse`` ``type=`` converter."""
    from argparse import ArgumentTypeError

    try:
        shape, weights, acts = text.split(":")
        n_out, n_in = (int(v) for v in shape.lower().split("x"))
        weight_density, act_density = float(weights), float(acts)
    except ValueError:
        raise ArgumentTypeError(f"must be OUTxIN:W:A such as 384x1536:0.1:0.5, not "
                                f"{text!r}") from None
    if n_out < 1 or n_in < 1 or not (0 < weight_density <= 1 and 0 < act_density <= 1):
        raise ArgumentTypeError(f"needs at least one output and input and densities in (0, 1], "
                                f"not {text!r}")
    return BenchmarkLayer(f"{n_out}x{n_in}", n_in, n_out, weight_density, act_density,
                          None, None)


def _balanced(config, quantized, acts, name):
    order = balanced_row_order(quantized.index, config.n_pes, config.max_zero_run)
    encoded = encode_layer(config, quantized, order, name=name)
    timing = layer_timing(config, encoded.column_counts, acts, encoded.rows_per_pe)
    loads = encoded.entry_counts
    return {"max_pe_entries": int(loads.max()), "mean_pe_entries": float(loads.mean()),
            "bound": int(timing.bound), "cycles": int(timing.total),
            "pe_entries": loads.tolist()}


def run_layer(layer, quantized, acts, n_pes, fifo_depths, balance=False, energy=None,
              broadcast_widths=(1,)):
    """Encode at ``n_pes`` and time at every fifo depth and broadcast width; one result dict
    per pair (depths outer). With ``balance`` also the load-balanced row assignment at the
    first pair; with ``energy``, ``(EnergyModel, clock_hz)``, the energy of each
    (``"energy"``)."""
    config = bench_config(n_pes, fifo_depths[0], layer, broadcast_widths[0])
    encoded = encode_layer(config, quantized, name=layer.name)
    balanced = _balanced(config, quantized, acts, layer.name) if balance else None
    results = []
    for depth, width in ((d, w) for d in fifo_depths for w in broadcast_widths):
        timing = layer_timing(config.replace(fifo_depth=depth, broadcast_width=width),
                              encoded.column_counts, acts, encoded.rows_per_pe)
        bound = int(timing.bound)
        results.append({
            "name": layer.name, "shape": [layer.n_out, layer.n_in], "n_pes": n_pes,
            "fifo_depth": depth, "broadcast_width": width,
            "weight_density": layer.weight_density,
            "act_density": layer.act_density,
            "nonzero_weights": int(np.count_nonzero(quantized.index)),
            "nonzero_acts": int(np.count_nonzero(acts)),
            "entries": int(encoded.entry_counts.sum()),
            "padding": int(encoded.entry_counts.sum() - np.count_nonzero(quantized.index)),
            "max_pe_entries": int(encoded.entry_counts.max()),
            "mean_pe_entries": float(encoded.entry_counts.mean()),
            "cycles": int(timing.total), "compute_cycles": int(timing.compute),
            "broadcast_stalls": int(timing.broadcast_stalls),
            "bound": bound, "efficiency": bound / timing.total if timing.total else 0.0,
            "time_us_800mhz": timing.total / PAPER_CLOCK_HZ * 1e6,
            "paper_actual_us": layer.paper_actual_us,
            "paper_actual_cycles": layer.paper_actual_cycles,
            "pe_entries": encoded.entry_counts.tolist(),
        })
        if energy:
            results[-1]["energy"] = energy_row(energy[0], timing, energy[1])
    if balanced:
        results[0]["balanced"] = balanced
    return results


def _print_table(rows):
    head = (f"{'layer':8} {'shape':>12} {'W%':>5} {'A%':>6} {'entries':>9} {'pad%':>5} "
            f"{'bound':>7} {'cycles':>7} {'cyc/bnd':>7} {'µs@800':>7} {'paper µs':>8} "
            f"{'paper cyc':>9}")
    print(head)
    for r in rows:
        print(f"{r['name']:8} {r['shape'][0]:>5}×{r['shape'][1]:<6} "
              f"{100 * r['weight_density']:>5.1f} {100 * r['act_density']:>6.1f} "
              f"{r['entries']:>9} {100 * r['padding'] / max(r['entries'], 1):>5.1f} "
              f"{r['bound']:>7} {r['cycles']:>7} {r['cycles'] / r['bound']:>7.3f} "
              f"{r['time_us_800mhz']:>7.2f} " +
              (f"{r['paper_actual_us']:>8.1f} {r['paper_actual_cycles']:>9}"
               if r["paper_actual_us"] is not None else f"{'–':>8} {'–':>9}"))
    ratio = np.mean([r["cycles"] / r["bound"] for r in rows])
    paper = [r for r in rows if r["paper_actual_cycles"] is not None]
    beat = sum(r["cycles"] <= r["paper_actual_cycles"] for r in paper)
    print(f"mean cycles/bound {ratio:.3f}" + (f"; at or below the paper's actual cycles on "
                                              f"{beat}/{len(paper)} layers" if paper else ""))


def _print_balance(rows):
    """Stored entries per PE (max, mean, max/mean) and cycles; cyc/bnd divides by the
    busiest PE's processed entries (those of columns with a non-zero activation)."""
    print(f"\nentries per PE (padding included) and cycles, i mod N vs balanced rows:\n"
          f"{'layer':8} {'max':>7} {'mean':>9} {'max/mean':>8} {'cycles':>7} {'cyc/bnd':>7}"
          f"   {'max':>7} {'max/mean':>8} {'cycles':>7} {'cyc/bnd':>7}")
    for r in rows:
        b = r["balanced"]
        print(f"{r['name']:8} {r['max_pe_entries']:>7} {r['mean_pe_entries']:>9.1f} "
              f"{r['max_pe_entries'] / r['mean_pe_entries']:>8.3f} {r['cycles']:>7} "
              f"{r['cycles'] / r['bound']:>7.3f}   {b['max_pe_entries']:>7} "
              f"{b['max_pe_entries'] / b['mean_pe_entries']:>8.3f} {b['cycles']:>7} "
              f"{b['cycles'] / b['bound']:>7.3f}")


def plot_pe_loads(rows, path):
    """Per-PE entry counts, ``i mod N`` against balanced, one panel per layer."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cols = min(3, len(rows))
    fig, axes = plt.subplots(-(-len(rows) // cols), cols, figsize=(4 * cols, 2.6 * -(-len(rows)
                                                                                   // cols)),
                             squeeze=False)
    for ax, r in zip(axes.flat, rows, strict=False):
        pes = np.arange(len(r["pe_entries"]))
        ax.bar(pes, r["pe_entries"], width=1.0, color="tab:red", alpha=0.5, label="i mod N")
        if "balanced" in r:
            ax.bar(pes, r["balanced"]["pe_entries"], width=1.0, color="tab:blue", alpha=0.5,
                   label="balanced")
        ax.set_title(r["name"], fontsize=9)
        ax.set_xlabel("PE", fontsize=8)
        ax.set_ylabel("entries", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(rows):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_sweep(rows, key, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in dict.fromkeys(r["name"] for r in rows):
        pts = [r for r in rows if r["name"] == name]
        xs = [r[key] for r in pts]
        if key in ("fifo_depth", "broadcast_width"):
            ax.plot(xs, [r["efficiency"] for r in pts], marker="o", label=name)
        else:
            ax.plot(xs, [pts[0]["cycles"] / r["cycles"] for r in pts], marker="o", label=name)
    ax.set_xscale("log", base=2)
    if key == "broadcast_width":
        ax.set_xticks(list(BROADCAST_WIDTHS), [str(k) for k in BROADCAST_WIDTHS])
        ax.set(xlabel="broadcast width (activations per cycle)",
               ylabel="efficiency (bound / cycles)",
               title=f"EIE cycle model: broadcast width (queue depth {rows[0]['fifo_depth']})")
    elif key == "fifo_depth":
        ax.set(xlabel="activation queue depth", ylabel="efficiency (bound / cycles)",
               title="EIE cycle model: queue depth (cf. paper Fig. 8)")
    else:
        ax.set_yscale("log", base=2)
        ax.plot(xs, [x / xs[0] for x in xs], "k--", label="linear")
        ax.set(xlabel="PEs", ylabel="speedup over 1 PE",
               title="EIE cycle model: scalability (cf. paper Fig. 11)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def check_options(args):
    """Refuse options that the chosen run (Table III or ``--image``) would ignore."""
    def given(names):
        return [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) not in (None, False)]

    if args.plot and not args.sweep:
        raise ValueError("--plot needs --sweep")
    if args.image:
        ignored = given(_TABLE_ONLY + ("row_sigma",))
        if ignored:
            raise ValueError(f"{', '.join(ignored)} cannot be used with --image (it times the "
                             f"image's layers at --image-pes)")
        if args.sweep not in (None, "broadcast"):
            raise ValueError(f"--sweep {args.sweep} cannot be used with --image (only "
                             f"--sweep broadcast)")
        return
    needs_image = given(_IMAGE_ONLY)
    if needs_image:
        raise ValueError(f"{', '.join(needs_image)} "
                         f"{'needs' if len(needs_image) == 1 else 'need'} --image")
    if args.load_plot and not args.balance:
        raise ValueError("--load-plot needs --balance")
    if args.baselines_plot and not args.baselines:
        raise ValueError("--baselines-plot needs --baselines")


def run_image_balance(args):
    from eie_hw.image import load_image

    from .balance_report import balance_rows, print_balance_rows
    image = load_image(args.image)
    if args.energy_table:
        args.energy = True
    if args.area_table:
        args.area = True
    if args.inputs:
        inputs, _ = cli_args.load_inputs(args.inputs, image.n_inputs, "--inputs")
    else:
        rng = np.random.default_rng(args.seed)
        inputs = np.stack([random_activations(rng, image.config, image.n_inputs, 0.5)
                           for _ in range(8)])
        print(f"no --inputs: 8 random inputs with 50 % non-zero activations (seed {args.seed})")
    pes = args.image_pes or [image.config.n_pes, 64]
    rows = balance_rows(image, inputs, pes, args.fifo, args.broadcast_width)
    print_balance_rows(rows)
    report = {"image": str(args.image), "pes": pes, "layers": rows}
    if args.sweep:
        from .width_report import plot_width_rows, print_width_rows, width_rows
        print()
        report["sweep"] = width_rows(image, inputs, pes, args.fifo)
        print_width_rows(report["sweep"])
        png = args.plot or "bench-image-broadcast.png"
        plot_width_rows(report["sweep"], png)
        print(f"sweep over broadcast_width: plot written to {png}")
    if args.energy:
        report["energy"] = image_energy(image, inputs, args.energy_table, args.clock_mhz * 1e6)
    if args.area:
        report["area"] = run_area(image.config, args.area_table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"results written to {args.json}")
    return 0


def _baseline(layer, quantized, acts, row, board):
    """This CPU's times for the layer and EIE's at 800 MHz and on the board's build (its PE
    count and queue depth, memories sized to hold the layer, at its bitstream's clock)."""
    from .baselines import cpu_times
    cpu = cpu_times(quantized, acts)
    result = {"cpu": cpu, "cpu_dense_us": cpu["dense_s"] * 1e6,
              "cpu_sparse_us": cpu["sparse_s"] * 1e6, "eie_us_800mhz": row["time_us_800mhz"]}
    if board:
        n_pes, fifo, clock = board
        cycles = run_layer(layer, quantized, acts, n_pes, [fifo])[0]["cycles"]
        result.update(eie_board_cycles=cycles, eie_us_board=cycles / clock,
                      board={"n_pes": n_pes, "fifo_depth": fifo, "clock_mhz": clock})
    return result


def run_area(config, table_path):
    """Print and return the area model of ``config`` (runs Yosys' generic synthesis)."""
    from .area import DEFAULT_AREA_TABLE_PATH, area_report, load_area_table, print_area
    report = area_report(config, load_area_table(table_path))
    print_area(report, table_path or DEFAULT_AREA_TABLE_PATH.name)
    return report


def image_energy(image, inputs, table_path, clock_hz):
    """Per-layer energy of ``image`` averaged over ``inputs`` (float, original order) at the
    image's configuration; printed, and returned as a list of :func:`energy_row` dicts."""
    from eie_hw.fixedpoint import act_to_fixed
    from sim.models.cycle_model import job_timing
    from sim.models.golden import GoldenModel

    golden = GoldenModel(image)
    jobs = [job_timing(image, act_to_fixed(image.config, x), golden) for x in inputs]
    model = energy_model(image.config, table_path)
    names = [f"layer {l}" for l in range(len(image.layers))] + ["network"]
    rows = [energy_row(model, [job.layers[l] for job in jobs], clock_hz, len(jobs))
            for l in range(len(image.layers))]
    rows.append(energy_row(model, [t for job in jobs for t in job.layers], clock_hz,
                           len(jobs)))
    print(f"\nenergy per inference, mean of {len(jobs)} inputs, at the image's "
          f"configuration:")
    print_energy(names, rows, model, table_path)
    return [dict(row, name=name) for name, row in zip(names, rows, strict=True)]


def run_bench(args):
    check_options(args)
    if args.image:
        return run_image_balance(args)
    if args.energy_table:
        args.energy = True
    if args.area_table:
        args.area = True
    # The energy and area models price the memories of the default configuration at the
    # benchmark's PE count and queue depth (the timing configuration is sized per layer).
    chip = EIEConfig(n_pes=args.pes or DEFAULT_PES, fifo_depth=args.fifo or DEFAULT_FIFO,
                     broadcast_width=args.broadcast_width or 1)
    energy = (energy_model(chip, args.energy_table), args.clock_mhz * 1e6) if args.energy \
        else None
    args.pes = DEFAULT_PES if args.pes is None else args.pes
    args.fifo = DEFAULT_FIFO if args.fifo is None else args.fifo
    width = args.broadcast_width or 1
    widths = BROADCAST_WIDTHS if args.sweep == "broadcast" else (width,)
    for k in widths:
        # The configuration's own checks (a multiple of the width, at most n_pes lanes).
        EIEConfig(n_pes=args.pes, fifo_depth=args.fifo, broadcast_width=k)
    args.row_sigma = args.row_sigma or 0.0
    unknown = set(args.layers or ()) - {layer.name for layer in TABLE_III}
    if unknown:
        raise ValueError(f"unknown layer(s) {', '.join(sorted(unknown))}; choose from "
                         f"{', '.join(layer.name for layer in TABLE_III)}")
    # Each layer's seed is the run's plus its index (Table III's, or among --synthetic).
    layers = [(i, layer) for i, layer in enumerate(TABLE_III)
              if (not args.layers and not args.synthetic) or layer.name in (args.layers or ())]
    layers += list(enumerate(args.synthetic or ()))
    sparsity = (f"row densities log-normal (sigma {args.row_sigma})" if args.row_sigma
                else "uniform random sparsity")
    what = "Table III sizes and densities" if not args.synthetic else \
        "Table III and --synthetic sizes" if args.layers else "--synthetic sizes and densities"
    print(f"Synthetic layers: {what}, {sparsity}, seed {args.seed}. Cycle model: {args.pes} "
          f"PEs, queue depth {args.fifo}, broadcast width "
          f"{'1, 2, 4' if args.sweep == 'broadcast' else width}.")
    if args.baselines:
        from .baselines import board_build
        board = board_build()
    rows, sweep = [], []
    for i, layer in tqdm(layers, desc="layers", unit="layer", file=sys.stderr):
        quantized, acts = synthetic_layer(layer, args.seed + i, args.row_sigma)
        rows += run_layer(layer, quantized, acts, args.pes, [args.fifo], args.balance, energy,
                          broadcast_widths=(width,))
        if args.baselines:
            rows[-1].update(_baseline(layer, quantized, acts, rows[-1], board))
        if args.sweep == "fifo":
            sweep += run_layer(layer, quantized, acts, args.pes, FIFO_SWEEP)
        elif args.sweep == "broadcast":
            sweep += run_layer(layer, quantized, acts, args.pes, [args.fifo],
                               broadcast_widths=BROADCAST_WIDTHS)
        elif args.sweep == "pes":
            for n in tqdm(PES_SWEEP, desc=layer.name, leave=False, file=sys.stderr):
                sweep += run_layer(layer, quantized, acts, n, [args.fifo])
    _print_table(rows)
    if energy:
        print_energy([r["name"] for r in rows], [r["energy"] for r in rows], energy[0],
                     args.energy_table)
    if args.balance:
        _print_balance(rows)
        png = args.load_plot or "bench-pe-load.png"
        plot_pe_loads(rows, png)
        print(f"per-PE load plot written to {png}")
    report = {"description": "EIE cycle model on synthetic Table III layers (uniform random "
                             "sparsity)", "seed": args.seed, "n_pes": args.pes,
              "fifo_depth": args.fifo, "broadcast_width": width, "layers": rows,
              "paper": [asdict(layer) for _, layer in layers]}
    if args.sweep:
        key = {"fifo": "fifo_depth", "pes": "n_pes", "broadcast": "broadcast_width"}[args.sweep]
        report["sweep"] = sweep
        png = args.plot or f"bench-sweep-{args.sweep}.png"
        _plot_sweep(sweep, key, png)
        print(f"sweep over {key}: plot written to {png}")
    if args.baselines:
        from .baselines import plot_baselines, print_baselines
        report["baselines"] = print_baselines(rows, board)
        png = args.baselines_plot or "bench-baselines.png"
        plot_baselines(rows, png)
        print(f"speedup plot written to {png}")
    if energy:
        for row in rows:
            row["energy_uj"] = row["energy"]["energy_uj"]
        report["energy_breakdown"] = energy_breakdown([r["energy"] for r in rows])
    if args.area:
        report["area"] = run_area(chip, args.area_table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
        print(f"results written to {args.json}")
    return 0


def add_parser(subparsers):
    p = subparsers.add_parser("bench", help="cycle model on the paper's benchmark layers",
                              description=__doc__)
    p.add_argument("--pes", type=cli_args.pe_count, default=None,
                   help=f"number of PEs (default {DEFAULT_PES})")
    p.add_argument("--fifo", type=cli_args.config_field("fifo_depth"), default=None,
                   help=f"activation queue depth (default {DEFAULT_FIFO})")
    p.add_argument("--seed", type=cli_args.nonnegative_int, default=2016,
                   help="random seed (default 2016)")
    p.add_argument("--json", type=cli_args.output_file, metavar="FILE",
                   help="write the results as JSON")
    p.add_argument("--broadcast-width", type=cli_args.config_field("broadcast_width"), default=None,
                   metavar="K", help="activations broadcast per cycle, 1 (the paper's, default), "
                                     "2 or 4")
    p.add_argument("--synthetic", type=synthetic_spec, nargs="+", metavar="OUTxIN:W:A",
                   help="synthetic layers of these shapes and densities (e.g. "
                        "384x1536:0.1:0.5) instead of Table III's (with --layers: besides "
                        "those named)")
    p.add_argument("--sweep", choices=("fifo", "pes", "broadcast"),
                   help="sweep queue depth, PE count or broadcast width (1, 2, 4)")
    p.add_argument("--plot", type=cli_args.output_file, metavar="PNG",
                   help="with --sweep: where to write the sweep plot")
    p.add_argument("--layers", nargs="+", metavar="NAME", help="only these layers")
    p.add_argument("--balance", action="store_true",
                   help="also time the load-balanced row assignment and plot per-PE load")
    p.add_argument("--row-sigma", type=cli_args.nonnegative_float, default=None, metavar="S",
                   help="draw row densities from a log-normal of this sigma (default 0: "
                        "uniform, as the paper's synthetic baseline)")
    p.add_argument("--load-plot", type=cli_args.output_file, metavar="PNG",
                   help="with --balance: where to write the per-PE load plot")
    p.add_argument("--image", type=cli_args.existing_file, metavar="FILE.eie",
                   help="instead of Table III: compare i mod N and balanced rows on the layers "
                        "of this image (at --fifo and --broadcast-width, default the image's; "
                        "--sweep broadcast: cycles per inference at every width)")
    p.add_argument("--inputs", type=cli_args.existing_file, metavar="X.npy",
                   help="with --image: float inputs (N, n_in)")
    p.add_argument("--image-pes", type=cli_args.pe_count, nargs="+", metavar="N",
                   help="with --image: PE counts (default: the image's and 64)")
    p.add_argument("--energy", action="store_true",
                   help="also the energy model: energy, power, frames/J and the per-module "
                        "breakdown beside the paper's Table II (docs/energy.md)")
    p.add_argument("--energy-table", type=cli_args.existing_file, metavar="FILE",
                   help="per-action energies (TOML, or JSON if FILE ends in .json) instead of "
                        "the 45 nm defaults; implies --energy")
    p.add_argument("--area", action="store_true",
                   help="also the area model: Yosys' generic gate count plus memory area, per "
                        "PE and array, beside the paper's (minutes at 64 PEs)")
    p.add_argument("--area-table", type=cli_args.existing_file, metavar="FILE",
                   help="µm² per transistor and per memory bit (TOML or JSON) instead of the "
                        "45 nm defaults; implies --area")
    p.add_argument("--baselines", action="store_true",
                   help="also time the same layers on this CPU (torch dense and CSR, float32, "
                        "batch 1) and give EIE's speedups (cf. Fig. 6), with a plot")
    p.add_argument("--baselines-plot", type=cli_args.output_file, metavar="PNG",
                   help="with --baselines: where to write the speedup plot "
                        "(default bench-baselines.png)")
    p.add_argument("--clock-mhz", type=cli_args.positive_float, default=PAPER_CLOCK_HZ / 1e6,
                   metavar="F", help=f"clock for power and time (default the paper's "
                                     f"{PAPER_CLOCK_HZ / 1e6:g} MHz)")
    p.set_defaults(func=run_bench)
