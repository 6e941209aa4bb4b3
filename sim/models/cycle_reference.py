"""The cycle-by-cycle reference of the microarchitecture: the executable specification.

This model steps every register of docs/microarchitecture.md once per cycle and is written for
reading, not for speed; :mod:`sim.models.cycle_model` computes the same counts with recurrences and
the tests check that the two agree. Only timing is modelled here: values come from
:mod:`sim.models.golden`.
"""

from collections import deque

import numpy as np

from eie_hw.timing import ARITH_LATENCY, BROADCAST_LATENCY, init_cycles, writeback_cycles

from .timing_result import LayerTiming

__all__ = ["reference_layer_timing"]


def reference_layer_timing(config, column_counts, activations, rows_per_pe, *, first=True,
                           next_rows_per_pe=0):
    """Timing of one layer.

    Parameters
    ----------
    config : EIEConfig
    column_counts : (n_pes, n_in) int array
        Entries (padding included) of every column in every PE.
    activations : (n_in,) int array
        The layer's input activations in physical order (only their non-zero pattern matters).
    rows_per_pe : int
    first : bool
        The job's first layer: only it has an INIT phase; later layers' biases are loaded
        during the previous layer's WRITEBACK.
    next_rows_per_pe : int
        Rows per PE of the next layer (0 for the last), initialised during WRITEBACK.
    """
    n_pes, depth = config.n_pes, config.fifo_depth
    column_counts = np.asarray(column_counts)
    n_in = column_counts.shape[1]
    slots = -(-n_in // n_pes)
    nonzero = np.zeros(slots * n_pes, dtype=bool)
    nonzero[:n_in] = np.asarray(activations) != 0
    nonzero = nonzero.reshape(slots, n_pes)
    ptr = np.concatenate([np.zeros((n_pes, 1), dtype=np.int64),
                          np.cumsum(column_counts, axis=1)], axis=1)

    # Section: state at the start of a cycle
    scan_next, cur_valid, cur_slot, flags = 0, False, 0, set()
    queues = [deque() for _ in range(n_pes)]
    in_flight = deque([None] * BROADCAST_LATENCY)   # the broadcast register(s): column or None
    pointer = [None] * n_pes          # (start, end) read from the pointer banks, or None
    stream = [(0, 0)] * n_pes         # (next entry, end) of the column being streamed
    last_issue = [-(ARITH_LATENCY + 1)] * n_pes
    busy = np.zeros(n_pes, dtype=np.int64)
    blocking = np.zeros(n_pes, dtype=np.int64)
    broadcasts = stalls = 0

    t = 0
    while True:
        exhausted = not cur_valid and scan_next == slots
        idle = all(not q for q in queues) and all(p is None for p in pointer) \
            and all(c is None for c in in_flight) \
            and all(s[0] == s[1] for s in stream) \
            and all(t > last + ARITH_LATENCY for last in last_issue)
        if exhausted and idle:
            break

        # Section: LNZD and broadcast
        winner = min(flags) if cur_valid and flags else None
        held = sum(c is not None for c in in_flight)    # items on their way, counted as held
        full = [len(q) + held >= depth for q in queues]
        push = winner is not None and not any(full)
        if winner is not None and not push:
            stalls += 1
            blocking += np.array(full, dtype=np.int64)
        remaining = flags - {winner} if push else flags

        # Section: PEs (each sees its queue as it was at the start of the cycle)
        for k in range(n_pes):
            nxt, end = stream[k]
            consumed = False
            if nxt < end:
                stream[k] = (nxt + 1, end)
                issued = True
            elif pointer[k] is not None and pointer[k][0] < pointer[k][1]:
                start, end = pointer[k]
                stream[k] = (start + 1, end)
                consumed = issued = True
            else:
                issued = False
            if pointer[k] is not None and pointer[k][0] == pointer[k][1]:
                consumed = True
            if issued:
                busy[k] += 1
                last_issue[k] = t
            if consumed:
                pointer[k] = None
            if queues[k] and pointer[k] is None:
                column = queues[k].popleft()
                pointer[k] = (ptr[k, column], ptr[k, column + 1])

        # Section: the broadcast register writes the queues; this cycle's push enters it
        arriving = in_flight.popleft()
        if arriving is not None:
            for q in queues:
                q.append(arriving)
        in_flight.append(cur_slot * n_pes + winner if push else None)
        broadcasts += push

        # Section: scan advance (slot read issued now, presented next cycle)
        if (not cur_valid or not remaining) and scan_next < slots:
            cur_valid, cur_slot = True, scan_next
            flags = set(np.flatnonzero(nonzero[scan_next]).tolist())
            scan_next += 1
        elif not remaining:
            cur_valid, flags = False, set()
        else:
            flags = remaining
        t += 1

    return LayerTiming(init=init_cycles(rows_per_pe) if first else 0, compute=t + 1,
                       writeback=writeback_cycles(rows_per_pe, next_rows_per_pe),
                       broadcasts=broadcasts,
                       broadcast_stalls=stalls, busy=busy, blocking=blocking)
