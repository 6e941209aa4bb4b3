"""Cycle-level constants of the microarchitecture (docs/microarchitecture.md).

The RTL and the cycle models both take these from here; change them together.
"""

__all__ = ["ARITH_LATENCY", "BROADCAST_LATENCY", "INIT_LATENCY", "WRITEBACK_LATENCY",
           "init_cycles", "writeback_cycles"]

#: Cycles from the cycle a PE issues an entry (sparse-matrix read) to the cycle its accumulator
#: write happens, inclusive of the latter: entry issued in cycle ``t`` is written in ``t + 4``.
#: Stages: t read spmat word; t+1 select entry, accumulate row address, read codebook;
#: t+2 multiply, read accumulator; t+3 add (with bypass); t+4 write.
ARITH_LATENCY = 4

#: Cycles from the CCU's broadcast decision to the queues' write: the CCU registers the
#: winner's value and column (the broadcast register) and every queue writes it the next cycle,
#: so an item pushed in cycle ``t`` can be popped in ``t + BROADCAST_LATENCY + 1`` at the
#: earliest. The RTL has one broadcast register; a queue counts the item in flight as held.
BROADCAST_LATENCY = 1

#: Cycles from a bias read (row ``r`` in cycle ``r``) to its accumulator write:
#: r+1 register the bias word; r+2 write ``acc[r] = bias << w_frac``.
INIT_LATENCY = 2

#: Cycles from an accumulator read (row ``r`` in cycle ``r``) to its activation write:
#: r+1 register the accumulator word; r+2 round and shift; r+3 saturate, ReLU, write.
WRITEBACK_LATENCY = 3


def init_cycles(rows_per_pe):
    """Length of the first layer's INIT phase: biases read one row per cycle."""
    return rows_per_pe + INIT_LATENCY


def writeback_cycles(rows_per_pe, next_rows_per_pe=0):
    """Length of a layer's WRITEBACK phase. Its accumulators are read one row per cycle and
    written, rounded, saturated and ReLU'd, to the destination bank; in the same cycles the
    next layer's biases (``next_rows_per_pe`` rows, 0 for the last layer) initialise the
    accumulators, so every layer but the first has no INIT phase of its own."""
    end = rows_per_pe + WRITEBACK_LATENCY
    if next_rows_per_pe:
        end = max(end, next_rows_per_pe + INIT_LATENCY)
    return end
