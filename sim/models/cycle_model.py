"""The fast cycle-level model: the same counts as :mod:`sim.models.cycle_reference`, by recurrence.

Instead of stepping every cycle it computes, broadcast by broadcast, the cycle ``T[b]`` each
non-zero activation is pushed into the queues and the cycle ``P[k, b]`` PE ``k`` pops it, from
the rules of docs/microarchitecture.md:

* ``T[b] = max(ready[b], max_k P[k, b - D] + 1)``: a push needs every queue below depth ``D``
  at the start of the cycle, counting the items still in the broadcast register;
  ``ready[b]`` is when the LNZD presents it (one slot read per cycle, one broadcast per cycle).
* ``P[k, b] = max(T[b] + BROADCAST_LATENCY + 1, free[k])``: the pop needs the item in the
  queue (written ``BROADCAST_LATENCY`` cycles after the push) and the pointer register free.
  An empty column frees the register the cycle after its pointers arrive; a non-empty one
  when the stream unit takes it, at ``X = max(P + 1, E + 1)``, whose entries issue in cycles
  ``X … E' = X + n - 1``.

The loop runs over broadcasts with NumPy vectors over PEs, so a VGG-6 sized layer on 64 PEs
takes well under a second.
"""

import numpy as np

from eie_hw.timing import ARITH_LATENCY, BROADCAST_LATENCY, init_cycles, writeback_cycles

from .golden import GoldenModel
from .timing_result import JobTiming, LayerTiming

__all__ = ["layer_timing", "job_timing"]


def layer_timing(config, column_counts, activations, rows_per_pe, *, first=True,
                 next_rows_per_pe=0):
    """Timing of one layer (arguments as
    :func:`sim.models.cycle_reference.reference_layer_timing`)."""
    n_pes, depth = config.n_pes, config.fifo_depth
    column_counts = np.asarray(column_counts, dtype=np.int64)
    n_in = column_counts.shape[1]
    slots = -(-n_in // n_pes)
    columns = np.flatnonzero(np.asarray(activations) != 0)
    n_b = len(columns)
    counts = column_counts[:, columns].T            # (broadcasts, PEs)
    slot_of = columns // n_pes

    push = np.empty(n_b, dtype=np.int64)
    pops = np.empty((n_b, n_pes), dtype=np.int64)
    free = np.zeros(n_pes, dtype=np.int64)
    last_entry = np.full(n_pes, -1, dtype=np.int64)
    blocking = np.zeros(n_pes, dtype=np.int64)
    stalls = 0
    previous_t, previous_slot = 0, -1
    for b in range(n_b):
        if slot_of[b] != previous_slot:
            ready = previous_t + slot_of[b] - previous_slot
        else:
            ready = previous_t + 1
        t = ready
        if b >= depth:
            gate = pops[b - depth]
            t = max(ready, int(gate.max()) + 1)
            if t > ready:
                stalls += t - ready
                blocking += np.clip(np.minimum(t, gate + 1) - ready, 0, None)
        push[b] = t
        pop = np.maximum(t + BROADCAST_LATENCY + 1, free)
        pops[b] = pop
        n = counts[b]
        take = np.maximum(pop + 1, last_entry + 1)
        has = n > 0
        free = np.where(has, take, pop + 1)
        last_entry = np.where(has, take + n - 1, last_entry)
        previous_t, previous_slot = t, slot_of[b]

    if n_b:
        exhausted = previous_t + 1 + (slots - 1 - previous_slot)
        t_done = max(exhausted, int((last_entry + ARITH_LATENCY + 1).max()),
                     int((free + 1).max()))
    else:
        t_done = slots + 1
    return LayerTiming(init=init_cycles(rows_per_pe) if first else 0, compute=t_done + 1,
                       writeback=writeback_cycles(rows_per_pe, next_rows_per_pe),
                       broadcasts=n_b,
                       broadcast_stalls=stalls, busy=counts.sum(axis=0), blocking=blocking)


def job_timing(image, x, golden=None):
    """Timing of running fixed-point input ``x`` (original order) through ``image``."""
    golden = golden or GoldenModel(image)
    inputs = [np.asarray(x)] + golden.layer_outputs(x)[:-1]
    rows = [layer.rows_per_pe for layer in image.layers]
    return JobTiming([layer_timing(image.config, layer.column_counts, acts, rows[i],
                                   first=i == 0, next_rows_per_pe=(rows + [0])[i + 1])
                      for i, (layer, acts) in enumerate(zip(image.layers, inputs, strict=True))])
