"""The actions that cost energy, counted by the cycle models (docs/energy.md, "Action counts").

Both cycle models (:mod:`.cycle_reference`, stepping every cycle, and :mod:`.cycle_model`, by
recurrence) return, in :class:`~.timing_result.LayerTiming`, a per-PE count of every action
of :data:`PE_ACTIONS` and an array-wide count of every action of :data:`CCU_ACTIONS`. The
counts follow the cycle contract of docs/microarchitecture.md; the tests check that the two
models agree exactly.

*Useful* accesses. The RTL's block RAMs have no read enable: the sparse-matrix memory, the
pointer banks and the activation banks read an address in every cycle, whether or not the
data is used (docs/microarchitecture.md). The counts below are the accesses whose data the
contract uses; a design that gates each memory's clock enable by them (an ASIC's SRAM macro
with a chip select) makes exactly these accesses. ``LayerTiming.compute`` gives the
every-cycle figure of the RTL as built.
"""

import numpy as np

__all__ = ["PE_ACTIONS", "CCU_ACTIONS", "spmat_words_of_columns", "phase_actions",
           "empty_actions"]

#: Per-PE actions and what one of them is. Every count is per layer, per PE.
PE_ACTIONS = {
    "spmat_word_reads": "sparse-matrix word reads: an issue cycle whose entry is its column's "
                        "first or the first of its memory word (address % entries_per_word "
                        "== 0); the other entries of the word come from the registered word",
    "entries": "entries issued by the stream unit (one per cycle at most, padding included)",
    "pointer_reads": "pointer-bank pair reads (p[j] from one bank, p[j+1] from the other): one "
                     "per broadcast column",
    "codebook_reads": "codebook reads: one per entry",
    "row_adds": "row-address accumulations (row = previous + z + 1): one per entry",
    "multiplies": "multiplies codebook value × activation: one per entry",
    "adds": "accumulator additions (exact, acc_width bits): one per entry",
    "acc_reads": "accumulator reads: one per entry (stage t+3, bypassed or not) and one per "
                 "row at WRITEBACK",
    "acc_writes": "accumulator writes: one per entry and one per bias written (INIT, or the "
                  "next layer's during WRITEBACK)",
    "bias_reads": "bias-memory reads: this layer's at INIT (first layer only) and the next "
                  "layer's during WRITEBACK",
    "act_reads": "source-activation reads by the slot scan: one per slot",
    "slot_writes": "slot-buffer writes (the registered slot word appended): one per slot",
    "slot_takes": "slot-buffer reads (the oldest slot becomes current): one per slot",
    "act_writes": "destination-activation writes at WRITEBACK: one per row",
    "writeback_rounds": "window select, fit test, saturate and ReLU of one accumulator at "
                        "WRITEBACK",
    "queue_pushes": "activation-queue writes: one per broadcast column with entries in the PE",
    "queue_pops": "activation-queue reads (the head taken by the stream unit)",
    "dropped_columns": "broadcast columns without entries in the PE, dropped at the pointers",
}

#: Array-wide actions (the CCU and the broadcast) per layer.
CCU_ACTIONS = {
    "lnzd_evaluations": "cycles in which the LNZD tree's winner is used (the current slot "
                        "has non-zero activations not yet broadcast): broadcasts + stalls",
    "broadcast_loads": "broadcast-register loads (value, column, pointer rows): one per "
                       "broadcast",
    "slot_flag_loads": "non-zero flag sets loaded into the CCU (a slot becomes current)",
}


def empty_actions(n_pes):
    """Zeroed counters: ``(pe, ccu)``, a dict of ``(n_pes,)`` int64 arrays and a dict of ints."""
    return ({name: np.zeros(n_pes, dtype=np.int64) for name in PE_ACTIONS},
            dict.fromkeys(CCU_ACTIONS, 0))


def spmat_words_of_columns(start, end, entries_per_word):
    """Word reads of streaming entries ``start … end - 1`` (absolute entry addresses, arrays
    of the same shape): the column's first entry and every entry that begins a word;
    zero for an empty column."""
    start, end = np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64)
    words = (end - 1) // entries_per_word - start // entries_per_word + 1
    return np.where(end > start, words, 0)


def phase_actions(pe, rows_per_pe, *, first, next_rows_per_pe):
    """Add the INIT and WRITEBACK actions of a layer (docs/microarchitecture.md, "Layer
    phases") to the per-PE counters ``pe``: every PE runs all ``rows_per_pe`` rows, padding
    rows included. The biases loaded are this layer's (INIT, first layer only) and the next
    layer's (during WRITEBACK), as the cycles of those phases are counted."""
    biases = (rows_per_pe if first else 0) + next_rows_per_pe
    pe["bias_reads"] += biases
    pe["acc_writes"] += biases
    pe["acc_reads"] += rows_per_pe
    pe["writeback_rounds"] += rows_per_pe
    pe["act_writes"] += rows_per_pe
