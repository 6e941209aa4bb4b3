"""The cycle-by-cycle reference of the microarchitecture: the executable specification.

This model steps every register of docs/microarchitecture.md once per cycle and is written for
reading, not for speed; :mod:`sim.models.cycle_model` computes the same counts with recurrences and
the tests check that the two agree. Only timing is modelled here: values come from
:mod:`sim.models.golden`. It also counts, where they happen, the actions that cost energy
(:mod:`sim.models.actions`).
"""

from collections import deque

import numpy as np

from eie_hw.timing import (
    ARITH_LATENCY,
    BROADCAST_LATENCY,
    IDLE_REPORT_LATENCY,
    PE_REPORT_LATENCY,
    POINTER_LATENCY,
    SCAN_AHEAD,
    SCAN_LATENCY,
    init_cycles,
    writeback_cycles,
)

from .actions import empty_actions, phase_actions
from .timing_result import LayerTiming

__all__ = ["reference_layer_timing"]


def reference_layer_timing(config, column_counts, activations, rows_per_pe, *, first=True,
                           next_rows_per_pe=0, entry_base=None):
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
    entry_base : (n_pes,) int array, optional
        Each PE's address of the layer's first entry (``EIEImage.placements``; default 0):
        where the sparse-matrix words begin, which only the word-read count depends on.
    """
    n_pes, depth, width = config.n_pes, config.fifo_depth, config.broadcast_width
    column_counts = np.asarray(column_counts)
    n_in = column_counts.shape[1]
    slots = -(-n_in // n_pes)
    nonzero = np.zeros(slots * n_pes, dtype=bool)
    nonzero[:n_in] = np.asarray(activations) != 0
    nonzero = nonzero.reshape(slots, n_pes)
    ptr = np.concatenate([np.zeros((n_pes, 1), dtype=np.int64),
                          np.cumsum(column_counts, axis=1)], axis=1)
    if entry_base is not None:
        ptr = ptr + np.asarray(entry_base, dtype=np.int64)[:, None]
    to_pointers = BROADCAST_LATENCY + POINTER_LATENCY
    per_word = config.entries_per_word
    act, ccu = empty_actions(n_pes)

    # Section: state at the start of a cycle
    scan_next = 0                     # next slot to read
    reads = deque()                   # (slot, cycle its flags reach the slot buffer)
    occupied = 0                      # slots read and not yet current (slot-buffer places)
    taken = 0                         # slots that have become current
    flags = set()                     # F: non-zero PEs of the current slot not yet broadcast
    cur_slot = 0
    pending = deque()                 # (column, push cycle, cycle its pointers are registered)
    queues = [deque() for _ in range(n_pes)]   # (start, end, first cycle as the head)
    held = [0] * n_pes                # items pushed and not released, as the CCU sees them
    releases = deque([[0] * n_pes for _ in range(PE_REPORT_LATENCY)])  # not yet seen
    pe_idle = deque([True] * IDLE_REPORT_LATENCY)   # the PEs' idleness as the CCU sees it
    stream = [(0, 0)] * n_pes         # (next entry, end) of the column being streamed
    last_issue = [-(ARITH_LATENCY + 1)] * n_pes
    busy = np.zeros(n_pes, dtype=np.int64)
    blocking = np.zeros(n_pes, dtype=np.int64)
    broadcasts = stalls = 0

    t = 0
    while True:
        exhausted = not flags and taken == slots
        # The CCU counts a push as its own until the PEs' report of it can reach it.
        in_ccu = any(pushed >= t - BROADCAST_LATENCY - IDLE_REPORT_LATENCY
                     for _, pushed, _ in pending)
        pe_idle.append(all(pushed >= t - BROADCAST_LATENCY for _, pushed, _ in pending)
                       and all(not q for q in queues)
                       and all(s[0] == s[1] for s in stream)
                       and all(t > last + ARITH_LATENCY for last in last_issue))
        seen_idle = pe_idle.popleft()
        if exhausted and not in_ccu and seen_idle:
            break

        # Section: LNZD and push: the `width` lowest non-zero PEs of the current slot win, and
        # as many of them, lowest first, are pushed as every queue has places for (a queue
        # holds at most `depth` items, counting the items on their way to it)
        winners = sorted(flags)[:width]
        ccu["lnzd_evaluations"] += bool(winners)
        push = max(0, min(len(winners), depth - max(held)))
        if winners and not push:
            stalls += 1
            blocking += np.array([h >= depth for h in held], dtype=np.int64)
        remaining = flags - set(winners[:push])

        # Section: PEs. The stream unit streams its column or takes the queue's head; the
        # pointers registered in this cycle drop an empty column or append it to the queue.
        released = [0] * n_pes
        for k in range(n_pes):
            nxt, end = stream[k]
            queue = queues[k]
            if nxt < end:
                stream[k] = (nxt + 1, end)
                issued, word_read = True, nxt % per_word == 0
            elif queue and queue[0][2] <= t:
                start, end, _ = queue.popleft()
                stream[k] = (start + 1, end)
                released[k] += 1
                act["queue_pops"][k] += 1
                issued, word_read = True, True
            else:
                issued = word_read = False
            if issued:
                busy[k] += 1
                last_issue[k] = t
                for name in ("entries", "codebook_reads", "row_adds", "multiplies", "adds",
                             "acc_reads", "acc_writes"):
                    act[name][k] += 1
                act["spmat_word_reads"][k] += word_read
        while pending and pending[0][2] == t:
            column, _, _ = pending.popleft()
            for k in range(n_pes):
                start, end = ptr[k, column], ptr[k, column + 1]
                act["pointer_reads"][k] += 1
                if start == end:
                    released[k] += 1
                    act["dropped_columns"][k] += 1
                else:
                    queues[k].append((start, end, t + 1))
                    act["queue_pushes"][k] += 1
        for winner in winners[:push]:          # in lane order: the lowest PE first
            pending.append((cur_slot * n_pes + winner, t, t + to_pointers))
            broadcasts += 1
            ccu["broadcast_loads"] += 1
        releases.append(released)
        seen = releases.popleft()
        for k in range(n_pes):
            held[k] += push - seen[k]

        # Section: slot scan. The current slot is finished when nothing remains: the head of
        # the slot buffer becomes current. A slot is read while the buffer has a free place.
        present = bool(reads) and reads[0][1] <= t
        if not remaining and present:
            slot, _ = reads.popleft()
            flags = set(np.flatnonzero(nonzero[slot]).tolist())
            cur_slot, taken = slot, taken + 1
            released_place = 1
            act["slot_takes"] += 1
            ccu["slot_flag_loads"] += 1
        else:
            flags = remaining
            released_place = 0
        if scan_next < slots and occupied < SCAN_AHEAD:
            reads.append((scan_next, t + SCAN_LATENCY))
            scan_next += 1
            act["act_reads"] += 1
            act["slot_writes"] += 1
            occupied += 1
        occupied -= released_place
        t += 1

    phase_actions(act, rows_per_pe, first=first, next_rows_per_pe=next_rows_per_pe)
    return LayerTiming(init=init_cycles(rows_per_pe) if first else 0, compute=t + 1,
                       writeback=writeback_cycles(rows_per_pe, next_rows_per_pe),
                       broadcasts=broadcasts,
                       broadcast_stalls=stalls, busy=busy, blocking=blocking,
                       actions=act, ccu_actions=ccu, broadcast_width=config.broadcast_width)
