"""Cycle-level constants of the microarchitecture (docs/microarchitecture.md).

The RTL and the cycle model both take these from here; change them together.
"""

__all__ = ["ARITH_LATENCY", "init_cycles", "writeback_cycles"]

#: Cycles from the cycle a PE issues an entry (sparse-matrix read) to the cycle its accumulator
#: write happens, inclusive of the latter: entry issued in cycle ``t`` is written in ``t + 4``.
#: Stages: t read spmat word; t+1 select entry, accumulate row address, read codebook;
#: t+2 multiply, read accumulator; t+3 add (with bypass); t+4 write.
ARITH_LATENCY = 4


def init_cycles(rows_per_pe):
    """Length of a layer's INIT phase: biases read one row per cycle, written one cycle later."""
    return rows_per_pe + 1


def writeback_cycles(rows_per_pe):
    """Length of a layer's WRITEBACK phase: accumulators read one row per cycle, rounded,
    saturated, ReLU'd and written to the destination activation memory one cycle later."""
    return rows_per_pe + 1
