"""The fast cycle-level model: the same counts as :mod:`sim.models.cycle_reference`, by recurrence.

Instead of stepping every cycle it computes, slot by slot and broadcast by broadcast, the cycle
each slot becomes current, the cycle ``T[b]`` each non-zero activation is pushed and the cycle
each PE releases it, from the rules of docs/microarchitecture.md:

* Slot ``s`` is read in ``R[s] = max(R[s-1] + 1, C[s - SCAN_AHEAD] + 1)`` (a free place in the
  slot buffer) and becomes current in ``C[s] = max(R[s] + SCAN_LATENCY, L[s-1])``, where
  ``L[s-1]`` is the cycle the previous slot finished (its last push, or the cycle after it
  became current if it had no non-zero activation).
* A push needs every PE to hold fewer than ``fifo_depth`` items as the CCU sees them: ``T[b]``
  is at least ``1 + PE_REPORT_LATENCY`` cycles after the earliest release among a full PE's
  outstanding items.
* PE ``k`` releases item ``b`` when its registered pointers drop it (an empty column, in
  ``T[b] + BROADCAST_LATENCY + POINTER_LATENCY``) or when its stream unit takes it from the
  queue head, at ``X = max(T[b] + QUEUE_LATENCY, E + 1)`` after the previous column's last
  entry ``E``; its entries issue in ``X … X + n - 1``.

The loop runs over broadcasts with NumPy vectors over PEs, so a VGG-6 sized layer on 64 PEs
takes well under a second. The action counts (:mod:`sim.models.actions`) follow from the same
rules without the loop: every non-zero activation is broadcast once, every PE reads its
pointers and queues or drops it, every queued column is taken and streamed, every slot is
read, buffered and made current once.
"""

import numpy as np

from eie_hw.timing import (
    ARITH_LATENCY,
    BROADCAST_LATENCY,
    IDLE_REPORT_LATENCY,
    PE_REPORT_LATENCY,
    POINTER_LATENCY,
    QUEUE_LATENCY,
    SCAN_AHEAD,
    SCAN_LATENCY,
    init_cycles,
    writeback_cycles,
)

from .actions import empty_actions, phase_actions, spmat_words_of_columns
from .golden import GoldenModel
from .timing_result import JobTiming, LayerTiming

__all__ = ["layer_timing", "job_timing"]

_NEVER = -(1 << 40)


def layer_timing(config, column_counts, activations, rows_per_pe, *, first=True,
                 next_rows_per_pe=0, entry_base=None):
    """Timing of one layer (arguments as
    :func:`sim.models.cycle_reference.reference_layer_timing`)."""
    n_pes, depth, width = config.n_pes, config.fifo_depth, config.broadcast_width
    column_counts = np.asarray(column_counts, dtype=np.int64)
    n_in = column_counts.shape[1]
    slots = -(-n_in // n_pes)
    nonzero = np.zeros(slots * n_pes, dtype=bool)
    nonzero[:n_in] = np.asarray(activations) != 0
    per_slot = nonzero.reshape(slots, n_pes)
    drop_delay = BROADCAST_LATENCY + POINTER_LATENCY
    pe_index = np.arange(n_pes)

    read = np.zeros(slots, dtype=np.int64)
    current = np.zeros(slots, dtype=np.int64)
    outstanding = np.full((n_pes, depth), _NEVER, dtype=np.int64)   # release cycles
    last_entry = np.full(n_pes, _NEVER, dtype=np.int64)
    blocking = np.zeros(n_pes, dtype=np.int64)
    busy = np.zeros(n_pes, dtype=np.int64)
    stalls = broadcasts = push_cycles = 0
    last_push = _NEVER
    finished = 0                      # L[s-1]: the cycle the previous slot finished
    for s in range(slots):
        read[s] = 0 if s == 0 else read[s - 1] + 1
        if s >= SCAN_AHEAD:
            read[s] = max(read[s], current[s - SCAN_AHEAD] + 1)
        current[s] = max(read[s] + SCAN_LATENCY, finished)
        finished = current[s] + 1
        ready = current[s] + 1        # the first cycle the next column of the slot may go
        lanes_used = 0                # pushes of the slot's latest push cycle
        for column in np.flatnonzero(per_slot[s]) + s * n_pes:
            earliest = outstanding.min(axis=1)          # a full PE frees a place after this
            t = max(ready, int(earliest.max()) + 1)
            # A cycle with a push (the previous column's, in an earlier lane) is no stall.
            waited = ready + (ready == last_push)
            if t > waited:
                stalls += t - waited
                blocking += np.clip(np.minimum(t, earliest + 1) - waited, 0, None)
            n = column_counts[:, column]
            take = np.maximum(t + QUEUE_LATENCY, last_entry + 1)
            release = np.where(n > 0, take, t + drop_delay)
            last_entry = np.where(n > 0, take + n - 1, last_entry)
            outstanding[pe_index, outstanding.argmin(axis=1)] = release + PE_REPORT_LATENCY
            busy += n
            broadcasts += 1
            lanes_used = lanes_used + 1 if t == last_push else 1
            push_cycles += lanes_used == 1
            last_push, finished = t, t
            ready = t if lanes_used < width else t + 1
    # The scan is exhausted the cycle after the last slot finished (its last push), or the
    # cycle after it became current when it held no non-zero activation.
    exhausted = finished + 1 if per_slot[-1].any() else current[-1] + 1
    # The CCU sees the PEs (their pointer stages, queues, stream units and accumulator writes)
    # idle IDLE_REPORT_LATENCY cycles late.
    t_done = max(exhausted, last_push + drop_delay + 1 + IDLE_REPORT_LATENCY,
                 int((last_entry + ARITH_LATENCY + 1).max()) + IDLE_REPORT_LATENCY)
    act, ccu = _actions(config, column_counts, nonzero[:n_in], slots, entry_base)
    ccu["lnzd_evaluations"] = push_cycles + stalls
    phase_actions(act, rows_per_pe, first=first, next_rows_per_pe=next_rows_per_pe)
    return LayerTiming(init=init_cycles(rows_per_pe) if first else 0, compute=t_done + 1,
                       writeback=writeback_cycles(rows_per_pe, next_rows_per_pe),
                       broadcasts=broadcasts,
                       broadcast_stalls=stalls, busy=busy, blocking=blocking,
                       actions=act, ccu_actions=ccu, broadcast_width=config.broadcast_width)


def _actions(config, column_counts, nonzero, slots, entry_base):
    """COMPUTE's action counts: ``(pe, ccu)`` as :func:`sim.models.actions.empty_actions`,
    LNZD evaluations left to the caller (they need the stalls)."""
    n_pes = config.n_pes
    act, ccu = empty_actions(n_pes)
    base = np.zeros(n_pes, dtype=np.int64) if entry_base is None \
        else np.asarray(entry_base, dtype=np.int64)
    start = base[:, None] + np.cumsum(column_counts, axis=1) - column_counts
    columns = np.flatnonzero(nonzero)
    n = column_counts[:, columns]
    first = start[:, columns]
    entries = n.sum(axis=1)
    for name in ("entries", "codebook_reads", "row_adds", "multiplies", "adds", "acc_reads",
                 "acc_writes"):
        act[name] += entries
    act["spmat_word_reads"] += spmat_words_of_columns(first, first + n,
                                                      config.entries_per_word).sum(axis=1)
    act["pointer_reads"] += len(columns)
    act["queue_pushes"] += (n > 0).sum(axis=1)
    act["queue_pops"] += (n > 0).sum(axis=1)
    act["dropped_columns"] += (n == 0).sum(axis=1)
    for name in ("act_reads", "slot_writes", "slot_takes"):
        act[name] += slots
    ccu["broadcast_loads"] = len(columns)
    ccu["slot_flag_loads"] = slots
    return act, ccu


def job_timing(image, x, golden=None):
    """Timing of running fixed-point input ``x`` (original order) through ``image``."""
    golden = golden or GoldenModel(image)
    inputs = [np.asarray(x)] + golden.layer_outputs(x)[:-1]
    rows = [layer.rows_per_pe for layer in image.layers]
    places = image.placements()
    return JobTiming([layer_timing(image.config, layer.column_counts, acts, rows[i],
                                   first=i == 0, next_rows_per_pe=(rows + [0])[i + 1],
                                   entry_base=places[i].entry_base)
                      for i, (layer, acts) in enumerate(zip(image.layers, inputs, strict=True))])
