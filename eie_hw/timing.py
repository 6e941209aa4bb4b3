"""Cycle-level constants of the microarchitecture (docs/microarchitecture.md).

The RTL and the cycle models both take these from here; change them together. Every block-RAM
read is registered in the fabric before any logic uses it: an address presented in cycle ``t``
gives data in a register in ``t + 2`` (``MEMORY_LATENCY``).
"""

__all__ = ["ARITH_LATENCY", "BROADCAST_LATENCY", "BROADCAST_VALUE_LAG", "CONTROL_LATENCY",
           "IDLE_REPORT_LATENCY", "INIT_LATENCY", "MEMORY_LATENCY", "PE_REPORT_LATENCY",
           "POINTER_LATENCY", "QUEUE_LATENCY", "SCAN_AHEAD", "SCAN_LATENCY", "SLOT_BUFFER_DEPTH",
           "WRITEBACK_LATENCY", "COUNTER_FAN_IN", "COUNTER_SLACK", "counter_latency", "init_cycles",
           "writeback_cycles"]

#: Cycles from a block-RAM read address to its data in a fabric register (the memory's
#: synchronous read, then one register before any logic).
MEMORY_LATENCY = 2

#: Cycles from the control register (``ctrl``: phase, row counter, layer fields, the slot
#: scan's address, the winner register) to the PE that acts on it. The control register is
#: not one register: the CCU computes its next value (``ctrl_next``) and every group of PEs
#: has a copy of it placed among them (``eie_hw/rtl/top.py``), from which every PE registers
#: its own copy before any of its logic uses it. So no control net fans out from the CCU to
#: all PEs, nor crosses the die and then feeds logic (copies that synthesis must not merge:
#: ``eie_hw/rtl/replica.py``). The broadcast fields are the winner register, so that their
#: copy in the PE *is* the broadcast register (``BROADCAST_LATENCY``); the winner register's
#: ``pushed`` reaches the PE's count of held items ``CONTROL_LATENCY`` cycles late, which the
#: CCU's fullness test adds.
CONTROL_LATENCY = 1

#: Cycles from a slot read decided by the CCU (cycle ``t``) to the cycle its non-zero flags
#: can become the CCU's current slot: the PEs' copy of the address in ``t + 1``, the data
#: registered in each PE in ``t + 3`` and at the CCU in ``t + 4`` (a register at both ends of
#: the die crossing), written to the slot buffer, which presents it from ``t + 5``.
SCAN_LATENCY = CONTROL_LATENCY + MEMORY_LATENCY + 2

#: Slots the scan reads ahead: a slot holds a place in the slot buffer from its read to the
#: cycle it becomes current. ``SCAN_LATENCY + 1`` places keep one all-zero slot per cycle
#: flowing.
SCAN_AHEAD = SCAN_LATENCY + 1

#: Entries of the CCU's slot buffer: the ``SCAN_AHEAD`` slots read ahead and the current
#: slot, whose values stay in the buffer until the next slot becomes current (so that taking
#: a slot loads only its flags, not its values).
SLOT_BUFFER_DEPTH = SCAN_AHEAD + 1

#: Cycles from the CCU's push decision (cycle ``t``) to the broadcast register that drives
#: a PE's pointer-bank address (``t + 2``): ``t + 1`` registers the winner, ``t + 2`` its
#: column and pointer rows, in each PE's copy of the broadcast register (its value one cycle
#: later, ``BROADCAST_VALUE_LAG``).
BROADCAST_LATENCY = 2

#: Cycles by which a broadcast's value follows its pointer rows through the control's copies:
#: the slot scan registers the winner's value (selected from the current slot's values)
#: before it crosses the die, so it reaches the PE's copy of the broadcast register in
#: ``t + BROADCAST_LATENCY + BROADCAST_VALUE_LAG``. The PE needs it only when it writes the
#: column into its queue, with the registered pointers (``POINTER_LATENCY`` cycles after the
#: broadcast register), so the lag costs no cycle.
BROADCAST_VALUE_LAG = 1

#: Cycles from the broadcast register (``u``) to the registered pointers ``p[j]``, ``p[j + 1]``
#: in a PE (``u + 2``); in that cycle a non-empty column is written into the queue and an
#: empty one dropped.
POINTER_LATENCY = MEMORY_LATENCY

#: Cycles from the push decision to the first cycle the column can be taken from the queue:
#: an item pushed in ``t`` is the queue's head from ``t + QUEUE_LATENCY`` at the earliest.
QUEUE_LATENCY = BROADCAST_LATENCY + POINTER_LATENCY + 1

#: Cycles by which the CCU's view of a PE's queue lags the PE: a PE's held-item flags are
#: registered in the PE and once more at the CCU, so a place freed by a drop or a pop in
#: ``t`` counts for a push from ``t + 1 + PE_REPORT_LATENCY``.
PE_REPORT_LATENCY = 1

#: Cycles by which COMPUTE's view of the PEs' idleness lags the PEs: a PE's idle flag (a
#: register: the state of the previous cycle) is registered once more at the CCU, so the CCU
#: sees a PE idle ``IDLE_REPORT_LATENCY`` cycles after it is, and the layer FSM, whose next
#: state the control's copies register across the die, starts from registers of the CCU.
IDLE_REPORT_LATENCY = 2

#: Cycles from the cycle a PE issues an entry (sparse-matrix read) to the cycle its accumulator
#: write happens: entry issued in cycle ``t`` is written in ``t + 6``. Stages: t spmat read;
#: t+1 word registered; t+2 select entry, row address, codebook read; t+3 codebook value
#: registered, accumulator read; t+4 multiply; t+5 add (with bypass); t+6 write.
ARITH_LATENCY = 6

#: Cycles from a PE's bias read (row ``r`` in cycle ``r`` of the PE's copy of the row
#: counter) to its accumulator write: r+1 register the bias word; r+2 write
#: ``acc[r] = (bias << w_frac) + 2 ** (w_frac - 1)`` (with the write-back's rounding term).
#: The CCU's row ``r`` reaches the PE ``CONTROL_LATENCY`` later.
INIT_LATENCY = 2

#: Cycles from a PE's accumulator read (row ``r`` in cycle ``r`` of the PE's copy of the row
#: counter) to its activation write: r+1 register the accumulator word; r+2 shift (the word
#: holds the rounding term); r+3 saturate, ReLU, write.
WRITEBACK_LATENCY = 3


def init_cycles(rows_per_pe):
    """Length of the first layer's INIT phase: biases read one row per cycle, the last
    written ``CONTROL_LATENCY + INIT_LATENCY`` cycles after the CCU's last row."""
    return rows_per_pe + CONTROL_LATENCY + INIT_LATENCY


def writeback_cycles(rows_per_pe, next_rows_per_pe=0):
    """Length of a layer's WRITEBACK phase. Its accumulators are read one row per cycle and
    written, rounded, saturated and ReLU'd, to the destination bank; in the same cycles the
    next layer's biases (``next_rows_per_pe`` rows, 0 for the last layer) initialise the
    accumulators, so every layer but the first has no INIT phase of its own. The PEs see
    the CCU's rows ``CONTROL_LATENCY`` cycles late."""
    end = rows_per_pe + WRITEBACK_LATENCY
    if next_rows_per_pe:
        end = max(end, next_rows_per_pe + INIT_LATENCY)
    return end + CONTROL_LATENCY


#: Inputs of one registered adder of the action counters' tree (eie_hw/rtl/counters.py).
COUNTER_FAN_IN = 4


def counter_latency(n_pes):
    """Cycles from a PE's event register (high in cycle ``v``) to the array's action counter
    that includes it (from ``v + counter_latency``): one registered adder level per factor of
    ``COUNTER_FAN_IN`` PEs, then the counter."""
    levels, reach = 0, 1
    while reach < n_pes:
        levels, reach = levels + 1, reach * COUNTER_FAN_IN
    return levels + 1


#: Fewest cycles from a job's last event register to the first cycle of ``done``, for a job
#: that ends without error. The last event is the last entry's accumulator write, whose
#: register is high in the cycle after the write; COMPUTE's last cycle comes at the earliest
#: ``1 + IDLE_REPORT_LATENCY`` cycles after the write (the PEs report idleness through
#: registers), that is ``IDLE_REPORT_LATENCY`` cycles after the event register; the last
#: layer's WRITEBACK lasts at least ``writeback_cycles(1)`` cycles and ``done`` is high from
#: the cycle after it. ``counter_latency(n_pes)`` must not exceed it, so that the counters are
#: final when ``done`` rises (``eie_hw/rtl/counters.py`` checks).
COUNTER_SLACK = IDLE_REPORT_LATENCY + writeback_cycles(1) + 1
