"""The sparse-matrix stream unit of a PE: one entry per cycle from the sparse-matrix memory."""

from amaranth import Module, Mux, Signal, signed
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from eie_hw.entry import entry_layout

from .checks import ConfigComponent

__all__ = ["SparseStreamUnit"]


class SparseStreamUnit(ConfigComponent):
    """Streams the entries of one column at a time (steps 1-2 of a PE cycle,
    docs/microarchitecture.md) and reads them from the ``spmat`` memory.

    State: ``next``, ``end`` (entry addresses) and the column's activation value. In a cycle,
    if ``next < end`` entry ``next`` is issued; otherwise a valid non-empty pointer register
    (``pt_valid``, ``pt_start < pt_end``) is taken and entry ``pt_start`` issued. A valid
    empty pointer register is consumed without issuing. ``pt_consumed`` tells the PE.

    Entry address ``a`` is word ``a // entries_per_word``, slot ``a % entries_per_word``; the
    word is read in the issue cycle and the entry selected in the next (stage 1 outputs).

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    pt_valid, pt_start, pt_end, pt_value : In
        The PE's pointer register and the activation of its column.
    pt_consumed : Out
        The pointer register is taken or dropped (empty column) in this cycle.
    active : Out
        ``next < end`` (the unit is streaming a column).
    issue : Out
        An entry is issued in this cycle.
    entry_valid, entry, entry_first, entry_value : Out
        Stage 1 (the cycle after issue): the selected entry, whether it is its column's first
        and the column's activation.
    wr_en, wr_addr, wr_data : In
        Host write of a sparse-matrix word.
    """

    def __init__(self, config):
        self._config = config
        super().__init__({
            "pt_valid": In(1),
            "pt_start": In(config.ptr_width),
            "pt_end": In(config.ptr_width),
            "pt_value": In(signed(config.act_width)),
            "pt_consumed": Out(1),
            "active": Out(1),
            "issue": Out(1),
            "entry_valid": Out(1),
            "entry": Out(entry_layout(config)),
            "entry_first": Out(1),
            "entry_value": Out(signed(config.act_width)),
            "wr_en": In(1),
            "wr_addr": In(range(config.spmat_depth)),
            "wr_data": In(config.spmat_word_bits),
        })

    def elaborate(self, platform):
        cfg = self._config
        m = Module()
        m.submodules.spmat = spmat = Memory(shape=cfg.spmat_word_bits, depth=cfg.spmat_depth,
                                            init=[])
        rd, wr = spmat.read_port(), spmat.write_port()
        m.d.comb += [wr.en.eq(self.wr_en), wr.addr.eq(self.wr_addr), wr.data.eq(self.wr_data)]

        nxt = Signal(cfg.ptr_width)
        end = Signal(cfg.ptr_width)
        value = Signal(signed(cfg.act_width))
        take = Signal()
        addr = Signal(cfg.ptr_width)
        m.d.comb += [
            self.active.eq(nxt < end),
            take.eq(~self.active & self.pt_valid & (self.pt_start < self.pt_end)),
            self.pt_consumed.eq(self.pt_valid & ((self.pt_start == self.pt_end) | take)),
            self.issue.eq(self.active | take),
        ]
        # The memory reads ``addr`` in every cycle (no read enable, and ``pt_start`` whether or
        # not it is taken): stage 1 uses the word only after an issue, and neither the issue
        # decision nor the pointer comparison reaches the block RAM's address or clock enable.
        m.d.comb += addr.eq(Mux(self.active, nxt, self.pt_start))
        with m.If(self.active):
            m.d.sync += nxt.eq(nxt + 1)
        with m.Elif(take):
            m.d.sync += [nxt.eq(self.pt_start + 1), end.eq(self.pt_end), value.eq(self.pt_value)]

        shift = exact_log2(cfg.entries_per_word)
        slot_d = Signal(max(1, shift))
        m.d.comb += rd.addr.eq(addr[shift:])
        m.d.sync += [
            self.entry_valid.eq(self.issue),
            self.entry_first.eq(take),
        ]
        m.d.sync += self.entry_value.eq(value)
        with m.If(take):
            m.d.sync += self.entry_value.eq(self.pt_value)
        if shift:
            m.d.sync += slot_d.eq(addr[:shift])
        m.d.comb += self.entry.eq(rd.data.word_select(slot_d, cfg.entry_bits) if shift
                                  else rd.data[:cfg.entry_bits])
        return m
