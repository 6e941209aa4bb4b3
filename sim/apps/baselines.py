"""``eie bench --baselines``: the same layers on this machine's CPU, dense and sparse, beside
EIE's time (the paper's Fig. 6 and Table IV).

For each benchmark layer, the same matrix (its non-zero pattern, weights 1.0) and the same
input as a dense matrix-vector product (``torch.mv``, torch's threads) and as a CSR one
(``scipy.sparse.csr_matrix @ x``, one thread: on this torch build ``torch.sparse_csr`` took
over ten times longer than SciPy), float32, batch 1: warmed up, then the median of repeated
runs, with the thread count stated. EIE's time is the cycle model's at the paper's 800 MHz
and on the ECP5 build (``boards/results/ulx3s-85f.json``: its PE count, at the clock its
bitstream runs at, the constraint it met). This machine's
energy is not measured unless RAPL counters are readable (they are not everywhere).
"""

import time
import warnings
from pathlib import Path

import numpy as np

from sim.verify.paper import FIG6_GEOMEAN_CPU_DENSE, FIG6_SPEEDUP_CPU_DENSE, TABLE_IV_CPU_US

__all__ = ["median_seconds", "cpu_products", "cpu_times", "board_build", "rapl_readable",
           "print_baselines", "plot_baselines", "geomean"]

RAPL = Path("/sys/class/powercap")


def median_seconds(product, *, repeats=7, warmup=5, min_run_s=0.05):
    """Median time of one call of ``product``: ``warmup`` calls, then ``repeats`` runs, each
    of as many calls as fill ``min_run_s`` (at least one)."""
    for _ in range(warmup):
        product()
    start = time.perf_counter()
    product()
    count = max(1, int(min_run_s / max(time.perf_counter() - start, 1e-9)))
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            product()
        runs.append((time.perf_counter() - start) / count)
    return float(np.median(runs))


def cpu_products(quantized, acts):
    """``(dense, csr, x)``: the layer's matrix (1.0 where its index is non-zero) as a dense
    float32 tensor and as a CSR tensor, and the input as float32."""
    import torch
    warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
    dense = torch.from_numpy((quantized.index != 0).astype(np.float32))
    x = torch.from_numpy(np.asarray(acts, dtype=np.float32))
    return dense, dense.to_sparse_csr(), x


def cpu_times(quantized, acts, threads=None):
    """Median seconds of the dense product (torch, ``threads`` threads, default torch's) and
    of the CSR product (SciPy, one thread): ``{"dense_s", "sparse_s", "threads", ...}``."""
    import scipy
    import scipy.sparse
    import torch
    if threads:
        torch.set_num_threads(threads)
    dense, _, x = cpu_products(quantized, acts)
    csr = scipy.sparse.csr_matrix(dense.numpy())
    x_np = x.numpy()
    with torch.no_grad():
        result = {"dense_s": median_seconds(lambda: torch.mv(dense, x)),
                  "sparse_s": median_seconds(lambda: csr @ x_np)}
        # The two products must agree (a check of the baseline, not a benchmark).
        if not np.allclose(torch.mv(dense, x).numpy(), csr @ x_np, rtol=1e-4, atol=1e-3):
            raise RuntimeError("dense and CSR products differ")
    return dict(result, threads=torch.get_num_threads(), torch=torch.__version__,
                scipy=scipy.__version__)


def board_build(board="ulx3s-85f"):
    """``(n_pes, fifo_depth, clock_mhz)`` of the board's checked-in build (the clock its
    bitstream runs at, :func:`boards.results.clock_mhz`), or ``None`` without a build that
    met its constraint."""
    from boards.results import clock_mhz, load_result
    from eie_hw.config import EIEConfig
    result = load_result(board)
    clock = clock_mhz(result)
    if clock is None:
        return None
    config = EIEConfig.from_dict(result["config"])
    return config.n_pes, config.fifo_depth, clock


def rapl_readable():
    """Whether an Intel RAPL energy counter can be read here."""
    try:
        return any(p.read_text().strip().isdigit() for p in RAPL.glob("*/energy_uj"))
    except OSError:
        return False


def geomean(values):
    values = np.asarray(values, dtype=float)
    return float(np.exp(np.log(values).mean()))


def print_baselines(rows, board):
    """Table of CPU and EIE times (µs) and speedups over the CPU's dense product."""
    threads = rows[0]["cpu"]["threads"]
    cpu = rows[0]["cpu"]
    print(f"\nbaselines: this machine's CPU, float32 batch 1, median of 7 runs after warm-up: "
          f"dense torch {cpu['torch']} mv on {threads} thread(s), CSR scipy {cpu['scipy']} on "
          f"1 thread; EIE: the cycle model")
    ecp5 = f"ECP5 {board[0]}PE@{board[2]:.1f}" if board else "ECP5 (no build)"
    print(f"{'layer':8} {'dense µs':>9} {'CSR µs':>8} {'EIE@800':>8} {ecp5:>16} "
          f"{'×dense':>7} {'×CSR':>6} {'×dense ECP5':>11} {'paper ×':>7} {'paper CPU µs':>13}")
    for r in rows:
        cpu = r["cpu"]
        e = r["eie_us_800mhz"]
        b = r.get("eie_us_board")
        paper = TABLE_IV_CPU_US[r["name"]]
        print(f"{r['name']:8} {cpu['dense_s'] * 1e6:>9.1f} {cpu['sparse_s'] * 1e6:>8.1f} "
              f"{e:>8.2f} {b if b is not None else float('nan'):>16.1f} "
              f"{cpu['dense_s'] * 1e6 / e:>7.0f} {cpu['sparse_s'] * 1e6 / e:>6.0f} "
              f"{cpu['dense_s'] * 1e6 / b if b else float('nan'):>11.2f} "
              f"{FIG6_SPEEDUP_CPU_DENSE[r['name']]:>7} {paper[0]:>7.0f}/{paper[1]:<5.0f}")
    dense = geomean([r["cpu"]["dense_s"] * 1e6 / r["eie_us_800mhz"] for r in rows])
    sparse = geomean([r["cpu"]["sparse_s"] * 1e6 / r["eie_us_800mhz"] for r in rows])
    line = (f"geomean speedup at 800 MHz: {dense:.0f}× over dense, {sparse:.0f}× over CSR "
            f"(paper Fig. 6: {FIG6_GEOMEAN_CPU_DENSE}× over its CPU's dense)")
    if board and all(r.get("eie_us_board") for r in rows):
        ecp5_dense = geomean([r["cpu"]["dense_s"] * 1e6 / r["eie_us_board"] for r in rows])
        line += f"; ECP5 build {ecp5_dense:.2f}× over dense"
    print(line)
    print("energy against the CPU: " + ("RAPL counters are readable but not used by this "
                                        "table" if rapl_readable() else
                                        f"not measured (no readable RAPL counter under "
                                        f"{RAPL}); time only"))
    return {"geomean_dense": dense, "geomean_sparse": sparse}


def plot_baselines(rows, path):
    """Speedups over the CPU's dense product per layer (log scale), ours beside Fig. 6's."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = [r["name"] for r in rows]
    xs = np.arange(len(rows))
    series = [("EIE model @800 MHz / CPU dense",
               [r["cpu"]["dense_s"] * 1e6 / r["eie_us_800mhz"] for r in rows]),
              ("EIE model @800 MHz / CPU CSR",
               [r["cpu"]["sparse_s"] * 1e6 / r["eie_us_800mhz"] for r in rows]),
              ("paper Fig. 6 (EIE / CPU dense)", [FIG6_SPEEDUP_CPU_DENSE[n] for n in names])]
    if all(r.get("eie_us_board") for r in rows):
        series.append(("ECP5 build / CPU dense",
                       [r["cpu"]["dense_s"] * 1e6 / r["eie_us_board"] for r in rows]))
    width = 0.8 / len(series)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for i, (label, values) in enumerate(series):
        ax.bar(xs + (i - (len(series) - 1) / 2) * width, values, width, label=label)
    ax.set_yscale("log")
    ax.set_xticks(xs, names, fontsize=8)
    ax.axhline(1, color="k", lw=0.6)
    ax.set(ylabel="speedup over this CPU's dense product (batch 1)",
           title="EIE cycle model against this machine's CPU (cf. paper Fig. 6)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
