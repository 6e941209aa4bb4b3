"""The arithmetic unit of a PE: codebook lookup, row address, multiply, exact accumulate (the
accumulator cannot overflow; saturation happens only at write-back, docs/arithmetic.md)."""

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from eie_hw.entry import entry_layout
from eie_hw.protocol import control_layout
from eie_hw.timing import ARITH_LATENCY

from .checks import ConfigComponent

__all__ = ["ArithmeticUnit"]


class ArithmeticUnit(ConfigComponent):
    """Stages 1-4 of the arithmetic pipeline (docs/microarchitecture.md) and the PE's
    ``codebook`` and ``acc`` memories. The addition is exact: ``acc_width`` is at least
    ``EIEConfig.min_acc_width``, so an accumulator cannot overflow (docs/arithmetic.md).

    ======= ===========================================================================
    stage   work (entry issued by the stream unit in cycle ``t``)
    ======= ===========================================================================
    t+1     ``row = z`` (first entry of a column) or ``previous + z + 1``; read codebook
            ``layer * codebook_size + index``
    t+2     ``product = codebook value × activation``; read ``acc[row]``
    t+3     ``sum = acc + product``, taking the sum of the entry one or two cycles
            ahead instead of the memory data when it has the same row (bypass)
    t+4     write ``acc[row] = sum``
    ======= ===========================================================================

    It never stalls. Outside COMPUTE the accumulator ports serve INIT and WRITEBACK
    (``ext_*``), which never overlap with entries in flight.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    in_valid, in_entry, in_first, in_value : In
        Stage-1 inputs (the stream unit's outputs).
    layer : In
        Running layer (selects its codebook).
    busy : Out
        An entry issued in one of the last ``ARITH_LATENCY`` cycles has not been written yet.
    ext_wr_en, ext_wr_addr, ext_wr_data : In
        Accumulator write (INIT); has priority over stage 4.
    ext_rd_en, ext_rd_addr : In
        Accumulator read (WRITEBACK); ``acc_data`` holds the word the next cycle.
    acc_data : Out
    cb_wr_en, cb_wr_addr, cb_wr_data : In
        Host write of a codebook entry.
    """

    def __init__(self, config):
        assert ARITH_LATENCY == 4, "the stage list above implements ARITH_LATENCY = 4"
        self._config = config
        rows = range(config.act_depth)
        super().__init__({
            "in_valid": In(1),
            "in_entry": In(entry_layout(config)),
            "in_first": In(1),
            "in_value": In(signed(config.act_width)),
            "layer": In(control_layout(config)["layer"].shape),
            "busy": Out(1),
            "ext_wr_en": In(1),
            "ext_wr_addr": In(rows),
            "ext_wr_data": In(signed(config.acc_width)),
            "ext_rd_en": In(1),
            "ext_rd_addr": In(rows),
            "acc_data": Out(signed(config.acc_width)),
            "cb_wr_en": In(1),
            "cb_wr_addr": In(range(config.max_layers * config.codebook_size)),
            "cb_wr_data": In(config.weight_width),
        })

    def elaborate(self, platform):
        cfg = self._config
        m = Module()
        m.submodules.codebook = codebook = Memory(
            shape=signed(cfg.weight_width), depth=cfg.max_layers * cfg.codebook_size, init=[])
        m.submodules.acc = acc = Memory(shape=signed(cfg.acc_width), depth=cfg.act_depth,
                                        init=[])
        cb_rd, cb_wr = codebook.read_port(), codebook.write_port()
        acc_rd, acc_wr = acc.read_port(), acc.write_port()
        m.d.comb += [cb_wr.en.eq(self.cb_wr_en), cb_wr.addr.eq(self.cb_wr_addr),
                     cb_wr.data.eq(self.cb_wr_data)]

        row_bits = ceil_log2(cfg.act_depth) + 1
        # Stage 1: row address, codebook read.
        row1 = Signal(row_bits)
        row_prev = Signal(row_bits)
        z = self.in_entry.zero_run
        m.d.comb += row1.eq(Mux(self.in_first, z, row_prev + z + 1))
        with m.If(self.in_valid):
            m.d.sync += row_prev.eq(row1)
        m.d.comb += [cb_rd.en.eq(self.in_valid),
                     cb_rd.addr.eq(Cat(self.in_entry.weight_index,
                                       self.layer)[:len(cb_rd.addr)])]
        v2, row2 = Signal(), Signal(row_bits)
        value2 = Signal(signed(cfg.act_width))
        m.d.sync += [v2.eq(self.in_valid), row2.eq(row1), value2.eq(self.in_value)]

        # Stage 2: multiply, accumulator read.
        v3, row3 = Signal(), Signal(row_bits)
        prod3 = Signal(signed(cfg.product_width))
        m.d.sync += [v3.eq(v2), row3.eq(row2), prod3.eq(cb_rd.data * value2)]
        with m.If(self.ext_rd_en):
            m.d.comb += [acc_rd.addr.eq(self.ext_rd_addr), acc_rd.en.eq(1)]
        with m.Else():
            m.d.comb += [acc_rd.addr.eq(row2), acc_rd.en.eq(v2)]
        m.d.comb += self.acc_data.eq(acc_rd.data)

        # Stage 3: add (cannot overflow) with bypass.
        v4, row4 = Signal(), Signal(row_bits)
        sum4 = Signal(signed(cfg.acc_width))
        v5, row5 = Signal(), Signal(row_bits)
        sum5 = Signal(signed(cfg.acc_width))
        base = Signal(signed(cfg.acc_width))
        with m.If(v4 & (row4 == row3)):
            m.d.comb += base.eq(sum4)
        with m.Elif(v5 & (row5 == row3)):
            m.d.comb += base.eq(sum5)
        with m.Else():
            m.d.comb += base.eq(acc_rd.data)
        m.d.sync += [v4.eq(v3), row4.eq(row3), sum4.eq(base + prod3)]

        # Stage 4: write back; keep the value one more cycle for the bypass.
        m.d.sync += [v5.eq(v4), row5.eq(row4), sum5.eq(sum4)]
        with m.If(self.ext_wr_en):
            m.d.comb += [acc_wr.en.eq(1), acc_wr.addr.eq(self.ext_wr_addr),
                         acc_wr.data.eq(self.ext_wr_data)]
        with m.Else():
            m.d.comb += [acc_wr.en.eq(v4), acc_wr.addr.eq(row4), acc_wr.data.eq(sum4)]
        m.d.comb += self.busy.eq(self.in_valid | v2 | v3 | v4)
        return m
