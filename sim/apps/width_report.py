"""Broadcast width on a real network: an image's cycles per inference at ``k`` = 1, 2, 4.

For every PE count asked for and every broadcast width of
:data:`~eie_hw.config.BROADCAST_WIDTHS` that the PE count allows, the image's layers are
re-encoded (rows ``i mod N``, as :func:`~eie_hw.image.encode_network` lays them out) and timed
by the cycle model on their real input activations (propagated by the golden model from the
given inputs), averaged over the inputs. Besides the cycles per inference it says where they
go: INIT and WRITEBACK, which the width does not change, COMPUTE, and COMPUTE's bound, the
busiest PE's processed entries summed over the layers. Used by ``eie bench --image --sweep
broadcast``.
"""

from eie_hw.config import BROADCAST_WIDTHS
from eie_hw.image import encode_network

from .balance_report import fixed_inputs, layer_stats, sized_config

__all__ = ["width_rows", "print_width_rows", "plot_width_rows"]


def width_rows(image, inputs, pes, fifo_depth=None):
    """One dict per (PE count, broadcast width): network cycles per inference, their phases
    and bound, and the per-layer statistics of :func:`layer_stats`. ``inputs`` are float
    inputs (converted to the activation format) or fixed-point integers; ``fifo_depth`` is
    the image's unless given."""
    layers, inputs = image.decode(), fixed_inputs(image, inputs)
    rows = []
    for n in pes:
        for k in (k for k in BROADCAST_WIDTHS if k <= n):
            config = sized_config(image.config, n, layers, fifo_depth, k)
            stats = layer_stats(encode_network(config, layers), inputs)
            compute = sum(s["compute_cycles"] for s in stats)
            cycles = sum(s["cycles"] for s in stats)
            rows.append({"n_pes": n, "broadcast_width": k, "fifo_depth": config.fifo_depth,
                         "cycles": cycles, "compute_cycles": compute,
                         "init_writeback_cycles": cycles - compute,
                         "bound": sum(s["bound"] for s in stats), "layers": stats})
    return rows


def print_width_rows(rows):
    print("cycles per inference by broadcast width k (rows i mod N), mean over the inputs;\n"
          "INIT+WB = INIT and WRITEBACK phases (independent of k); bound = the busiest PE's "
          "processed entries, summed over the layers")
    print(f"{'PEs':>4} {'fifo':>4} {'k':>2} {'cycles':>8} {'vs k=1':>7} {'INIT+WB':>8} "
          f"{'COMPUTE':>8} {'bound':>7} {'cmp/bnd':>7}")
    first = {}
    for r in rows:
        base = first.setdefault(r["n_pes"], r["cycles"])
        print(f"{r['n_pes']:>4} {r['fifo_depth']:>4} {r['broadcast_width']:>2} "
              f"{r['cycles']:>8.1f} {100 * (r['cycles'] / base - 1):>+6.1f}% "
              f"{r['init_writeback_cycles']:>8.1f} {r['compute_cycles']:>8.1f} "
              f"{r['bound']:>7.1f} {r['compute_cycles'] / r['bound']:>7.3f}")


def plot_width_rows(rows, path):
    """Cycles per inference against the broadcast width, one line per PE count, with the
    INIT + WRITEBACK + bound floor dashed."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for n in dict.fromkeys(r["n_pes"] for r in rows):
        pts = [r for r in rows if r["n_pes"] == n]
        ks = [r["broadcast_width"] for r in pts]
        line, = ax.plot(ks, [r["cycles"] for r in pts], marker="o", label=f"{n} PEs")
        ax.plot(ks, [r["init_writeback_cycles"] + r["bound"] for r in pts], "--",
                color=line.get_color(), alpha=0.6, label=f"{n} PEs: INIT+WB + bound")
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(BROADCAST_WIDTHS), [str(k) for k in BROADCAST_WIDTHS])
    ax.set(xlabel="broadcast width k (activations per cycle)", ylabel="cycles per inference",
           title=f"EIE cycle model on the image's layers (queue depth {rows[0]['fifo_depth']})")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
