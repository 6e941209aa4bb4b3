"""The sparse-matrix stream unit of a PE: one entry per cycle from the sparse-matrix memory."""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from eie_hw.entry import entry_layout
from eie_hw.timing import MEMORY_LATENCY

from .checks import ConfigComponent
from .queue import column_item_layout
from .spram import SinglePortRAM, uses_spram
from .write_port import WritePortSignature

__all__ = ["SparseStreamUnit"]


class SparseStreamUnit(ConfigComponent):
    """Streams the entries of one column at a time from the queue's head (step 1 of a PE
    cycle, docs/microarchitecture.md) and reads them from the ``spmat`` memory.

    State: ``next``, ``end`` (entry addresses) and the column's activation value. In a cycle,
    if ``next < end`` entry ``next`` is issued; otherwise, if the queue holds a column (every
    queued column has entries), it is taken — ``pop`` — and entry ``start`` issued.

    Entry address ``a`` is word ``a // entries_per_word``, slot ``a % entries_per_word``. The
    memory reads in the issue cycle ``t``, its word is registered in ``t + 1`` and the entry
    selected in ``t + 2`` (``MEMORY_LATENCY``): the stage-2 outputs. On an iCE40 UltraPlus
    whose SPRAM holds every PE's sparse matrix (:func:`~.spram.uses_spram`) the memory is
    SPRAM blocks (:class:`~.spram.SinglePortRAM`, the same timing), elsewhere a block RAM.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    head, head_valid : In
        The queue's head and whether the queue holds one.
    pop : Out
        The head is taken in this cycle.
    active : Out
        ``next < end`` (the unit is streaming a column; a register).
    issued : Out
        Whether an entry was issued in the previous cycle (still on its way to stage 2).
    word_read : Out
        The entry issued in the previous cycle read a new memory word: it is its column's
        first or the first of its word (the action ``spmat_word_reads`` of
        ``sim.models.actions``; the memory reads in every cycle, the other entries of a word
        come from its registered copy). From registers only.
    entry_valid, entry, entry_first, entry_value : Out
        Stage 2: the selected entry, whether it is its column's first and the column's
        activation.
    spmat_wr : In(WritePortSignature)
        Host write of a sparse-matrix word.
    """

    def __init__(self, config):
        self._config = config
        super().__init__({
            "head": In(column_item_layout(config)),
            "head_valid": In(1),
            "pop": Out(1),
            "active": Out(1),
            "issued": Out(1),
            "word_read": Out(1),
            "entry_valid": Out(1),
            "entry": Out(entry_layout(config)),
            "entry_first": Out(1),
            "entry_value": Out(signed(config.act_width)),
            "spmat_wr": In(WritePortSignature(config.spmat_depth, config.spmat_word_bits)),
        })

    def elaborate(self, platform):
        assert MEMORY_LATENCY == 2, "the stages below implement MEMORY_LATENCY = 2"
        cfg = self._config
        m = Module()
        if uses_spram(cfg, platform):
            m.submodules.spmat = spmat = SinglePortRAM(cfg.spmat_word_bits, cfg.spmat_depth)
            rd_addr, rd_data, wr = spmat.rd_addr, spmat.rd_data, spmat.wr
        else:
            m.submodules.spmat = spmat = Memory(shape=cfg.spmat_word_bits,
                                                depth=cfg.spmat_depth, init=[])
            rd, wr = spmat.read_port(), spmat.write_port()
            rd_addr, rd_data = rd.addr, rd.data
        m.d.comb += [wr.en.eq(self.spmat_wr.en), wr.addr.eq(self.spmat_wr.addr),
                     wr.data.eq(self.spmat_wr.data)]

        nxt = Signal(cfg.ptr_width)
        end = Signal(cfg.ptr_width)
        value = Signal(signed(cfg.act_width))
        head = self.head
        take = Signal()
        issue = Signal()
        addr = Signal(cfg.ptr_width)
        m.d.comb += [
            take.eq(~self.active & self.head_valid),
            self.pop.eq(take),
            issue.eq(self.active | take),
            addr.eq(Mux(self.active, nxt, head.start)),
        ]
        # ``active`` is the register ``next < end``, computed with the next values.
        with m.If(self.active):
            m.d.sync += [nxt.eq(nxt + 1), self.active.eq(nxt + 1 < end)]
        with m.Elif(take):
            m.d.sync += [nxt.eq(head.start + 1), end.eq(head.end), value.eq(head.value),
                         self.active.eq(head.start + 1 < head.end)]

        # The memory reads ``addr`` in every cycle (no read enable): stage 2 uses the word only
        # after an issue, and the issue decision never reaches the block RAM's clock enable.
        shift = exact_log2(cfg.entries_per_word)
        m.d.comb += rd_addr.eq(addr[shift:])
        valid1, first1 = Signal(), Signal()
        value1 = Signal(signed(cfg.act_width))
        slot1, slot2 = Signal(max(1, shift)), Signal(max(1, shift))
        word2 = Signal(cfg.spmat_word_bits)
        m.d.sync += [valid1.eq(issue), first1.eq(take), value1.eq(Mux(take, head.value, value)),
                     self.entry_valid.eq(valid1), self.entry_first.eq(first1),
                     self.entry_value.eq(value1), word2.eq(rd_data)]
        if shift:
            m.d.sync += [slot1.eq(addr[:shift]), slot2.eq(slot1)]
        m.d.comb += [
            self.issued.eq(valid1),
            self.word_read.eq(valid1 & (first1 | (slot1 == 0))),
            self.entry.eq(word2.word_select(slot2, cfg.entry_bits) if shift
                          else word2[:cfg.entry_bits]),
        ]
        return m
