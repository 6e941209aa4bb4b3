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

__all__ = ["balance_rows", "print_balance_rows"]


def _reconfigure(config, n_pes, layers):
    rows = [-(-layer.n_out // n_pes) for layer in layers]
    widest = max(max(layer.n_in, layer.n_out) for layer in layers)
    return config.replace(n_pes=n_pes, act_depth=-(-widest // n_pes), bias_depth=sum(rows),
                          spmat_depth=2 ** 28, ptr_width=32)


def _stats(image, inputs):
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


def balance_rows(image, inputs, pes):
    """One dict per (PE count, layer) with ``imod`` and ``balanced`` statistics; ``inputs``
    are float inputs (converted to the activation format) or fixed-point integers."""
    layers = image.decode()
    inputs = np.atleast_2d(inputs)
    if not np.issubdtype(inputs.dtype, np.integer):
        inputs = act_to_fixed(image.config, inputs)
    result = []
    for n in pes:
        config = _reconfigure(image.config, n, layers)
        plain = _stats(encode_network(config, layers), inputs)
        balanced = _stats(encode_network(config, layers, "balanced"), inputs)
        for l, (a, b) in enumerate(zip(plain, balanced, strict=True)):
            result.append({"n_pes": n, "layer": l, "shape": [layers[l].n_out, layers[l].n_in],
                           "imod": a, "balanced": b})
    return result


def print_balance_rows(rows):
    print("entries per PE (padding included), i mod N vs balanced; cycles averaged over the "
          "inputs;\ncmp/bnd = compute-phase cycles / busiest PE's processed entries; "
          "cmp/lb = compute cycles / max(that, broadcasts)\n(the CCU broadcasts one activation "
          "per cycle: where broadcasts exceed the busiest PE's entries, no row order helps)")
    print(f"{'PEs':>4} {'layer':>5} {'shape':>9} | {'max':>5} {'mean':>7} {'max/mean':>8} "
          f"{'cycles':>7} {'cmp/bnd':>7} | {'max':>5} {'max/mean':>8} {'cycles':>7} "
          f"{'cmp/bnd':>7} {'cmp/lb':>6}")
    for r in rows:
        a, b = r["imod"], r["balanced"]
        print(f"{r['n_pes']:>4} {r['layer']:>5} {r['shape'][0]:>4}×{r['shape'][1]:<4} | "
              f"{a['max']:>5} {a['mean']:>7.1f} {a['max'] / a['mean']:>8.3f} "
              f"{a['cycles']:>7.0f} {a['compute_cycles'] / a['bound']:>7.3f} | "
              f"{b['max']:>5} {b['max'] / b['mean']:>8.3f} {b['cycles']:>7.0f} "
              f"{b['compute_cycles'] / b['bound']:>7.3f} "
              f"{b['compute_cycles'] / b['lower_bound']:>6.3f}")
