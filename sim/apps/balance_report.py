"""Row assignment on a real network: ``i mod N`` against the load-balanced order.

For every layer of an image and every PE count asked for: stored entries per PE (max, mean,
max/mean) and cycles with the layer's real input activations (propagated by the golden model
from the given inputs), under both assignments. Used by ``eie bench --image``.
"""

import numpy as np

from eie_hw.fixedpoint import act_to_fixed
from eie_hw.image import encode_network
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel

__all__ = ["sized_config", "fixed_inputs", "layer_stats", "balance_rows",
           "print_balance_rows"]


def sized_config(config, n_pes, layers, fifo_depth=None, broadcast_width=None):
    """``config`` at ``n_pes`` (and the queue depth and broadcast width, where given) with
    memories that hold ``layers`` (decoded :class:`~eie_hw.image.layout.Layer` objects)."""
    rows = [-(-layer.n_out // n_pes) for layer in layers]
    widest = max(max(layer.n_in, layer.n_out) for layer in layers)
    return config.replace(n_pes=n_pes, act_depth=-(-widest // n_pes), bias_depth=sum(rows),
                          spmat_depth=2 ** 28, ptr_width=32,
                          fifo_depth=fifo_depth or config.fifo_depth,
                          broadcast_width=broadcast_width or config.broadcast_width)


def fixed_inputs(image, inputs):
    """``inputs`` as a 2-D array in the activation format: float inputs converted, fixed-point
    integers as they are."""
    inputs = np.atleast_2d(inputs)
    if not np.issubdtype(inputs.dtype, np.integer):
        inputs = act_to_fixed(image.config, inputs)
    return inputs


def layer_stats(image, inputs):
    """Per layer of ``image``, the stored entries per PE and the cycle model's phases averaged
    over ``inputs`` (fixed-point, original order)."""
    golden = GoldenModel(image)
    timings = [job_timing(image, x, golden) for x in inputs]
    rows = []
    for l, layer in enumerate(image.layers):
        loads = layer.entry_counts
        compute = np.mean([t.layers[l].compute for t in timings])
        total = np.mean([t.layers[l].total for t in timings])
        bound = np.mean([t.layers[l].bound for t in timings])
        lower = np.mean([t.layers[l].lower_bound for t in timings])
        rows.append({"max": int(loads.max()), "mean": float(loads.mean()),
                     "compute_cycles": float(compute), "cycles": float(total),
                     "bound": float(bound), "lower_bound": float(lower),
                     "pe_entries": loads.tolist()})
    return rows


def balance_rows(image, inputs, pes, fifo_depth=None, broadcast_width=None):
    """One dict per (PE count, layer) with ``imod`` and ``balanced`` statistics; ``inputs``
    are float inputs (converted to the activation format) or fixed-point integers. The queue
    depth and broadcast width are the image's unless given."""
    layers, inputs = image.decode(), fixed_inputs(image, inputs)
    result = []
    for n in pes:
        config = sized_config(image.config, n, layers, fifo_depth, broadcast_width)
        plain = layer_stats(encode_network(config, layers), inputs)
        balanced = layer_stats(encode_network(config, layers, "balanced"), inputs)
        for l, (a, b) in enumerate(zip(plain, balanced, strict=True)):
            result.append({"n_pes": n, "fifo_depth": config.fifo_depth,
                           "broadcast_width": config.broadcast_width, "layer": l,
                           "shape": [layers[l].n_out, layers[l].n_in], "imod": a,
                           "balanced": b})
    return result


def print_balance_rows(rows):
    print("entries per PE (padding included), i mod N vs balanced; cycles averaged over the "
          "inputs;\ncmp/bnd = compute-phase cycles / busiest PE's processed entries; "
          "cmp/lb = compute cycles / max(that, broadcasts / k)\n(the CCU broadcasts k "
          "activations per cycle: where broadcasts / k exceed the busiest PE's entries, no row "
          "order helps)")
    print(f"{'PEs':>4} {'k':>2} {'fifo':>4} {'layer':>5} {'shape':>9} | {'max':>5} {'mean':>7} "
          f"{'max/mean':>8} {'cycles':>7} {'cmp/bnd':>7} | {'max':>5} {'max/mean':>8} "
          f"{'cycles':>7} {'cmp/bnd':>7} {'cmp/lb':>6}")
    for r in rows:
        a, b = r["imod"], r["balanced"]
        print(f"{r['n_pes']:>4} {r['broadcast_width']:>2} {r['fifo_depth']:>4} {r['layer']:>5} "
              f"{r['shape'][0]:>4}×{r['shape'][1]:<4} | "
              f"{a['max']:>5} {a['mean']:>7.1f} {a['max'] / a['mean']:>8.3f} "
              f"{a['cycles']:>7.0f} {a['compute_cycles'] / a['bound']:>7.3f} | "
              f"{b['max']:>5} {b['max'] / b['mean']:>8.3f} {b['cycles']:>7.0f} "
              f"{b['compute_cycles'] / b['bound']:>7.3f} "
              f"{b['compute_cycles'] / b['lower_bound']:>6.3f}")
    for n in dict.fromkeys(r["n_pes"] for r in rows):
        mine = [r for r in rows if r["n_pes"] == n]
        print(f"{n:>4} PEs: cycles per inference {sum(r['imod']['cycles'] for r in mine):.1f} "
              f"(i mod N), {sum(r['balanced']['cycles'] for r in mine):.1f} (balanced)")
