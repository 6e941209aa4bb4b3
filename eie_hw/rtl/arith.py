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
from .write_port import WritePortSignature

__all__ = ["ArithmeticUnit"]


class ArithmeticUnit(ConfigComponent):
    """Stages 2-6 of the arithmetic pipeline (docs/microarchitecture.md) and the PE's
    ``codebook`` and ``acc`` memories. The addition is exact: ``acc_width`` is at least
    ``EIEConfig.min_acc_width``, so an accumulator cannot overflow (docs/arithmetic.md).

    ======= ===========================================================================
    stage   work (entry issued by the stream unit in cycle ``t``)
    ======= ===========================================================================
    t+2     ``row = z`` (first entry of a column) or ``previous + z + 1``; read codebook
            ``layer * codebook_size + index``
    t+3     codebook word registered; read ``acc[row]``
    t+4     ``product = codebook value × activation``; compare the row with the rows of
            the three entries ahead
    t+5     ``sum = acc + product``, with the sum of the nearest of the three entries ahead
            that has the same row instead of the memory data (bypass: their writes are
            not yet, or only just, in the memory the accumulator read saw)
    t+6     write ``acc[row] = sum``
    ======= ===========================================================================

    Every block-RAM output (codebook, accumulator) is registered before it is used. The unit
    never stalls. Outside COMPUTE the accumulator ports serve INIT and WRITEBACK (``ext_*``),
    which never overlap with entries in flight.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    in_valid, in_entry, in_first, in_value : In
        Stage-2 inputs (the stream unit's outputs).
    layer : In
        Running layer (selects its codebook).
    busy : Out
        An entry of stages 2-6 has not been written yet.
    multiply, acc_write : Out
        In this cycle stage 4 multiplies an entry's codebook value by its activation; the
        accumulator memory is written (an entry's sum or an INIT bias). The actions
        ``multiplies`` and ``acc_writes`` of ``sim.models.actions``.
    ext_wr_en, ext_wr_addr, ext_wr_data : In
        Accumulator write (INIT); has priority over stage 6.
    ext_rd_sel, ext_rd_addr : In
        Accumulator read at ``ext_rd_addr`` (WRITEBACK, never during COMPUTE);
        ``acc_data`` holds the word two cycles later.
    acc_data : Out
        The accumulator word read two cycles earlier (registered).
    codebook_wr : In(WritePortSignature)
        Host write of a codebook entry.
    """

    def __init__(self, config):
        assert ARITH_LATENCY == 6, "the stage list above implements ARITH_LATENCY = 6"
        self._config = config
        rows = range(config.act_depth)
        super().__init__({
            "in_valid": In(1),
            "in_entry": In(entry_layout(config)),
            "in_first": In(1),
            "in_value": In(signed(config.act_width)),
            "layer": In(control_layout(config)["layer"].shape),
            "busy": Out(1),
            "multiply": Out(1),
            "acc_write": Out(1),
            "ext_wr_en": In(1),
            "ext_wr_addr": In(rows),
            "ext_wr_data": In(signed(config.acc_width)),
            "ext_rd_sel": In(1),
            "ext_rd_addr": In(rows),
            "acc_data": Out(signed(config.acc_width)),
            "codebook_wr": In(WritePortSignature(config.max_layers * config.codebook_size,
                                                 config.weight_width)),
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
        m.d.comb += [cb_wr.en.eq(self.codebook_wr.en), cb_wr.addr.eq(self.codebook_wr.addr),
                     cb_wr.data.eq(self.codebook_wr.data)]

        row_bits = ceil_log2(cfg.act_depth) + 1
        stages = range(2, 9)
        valid = {s: Signal(name=f"valid{s}") for s in stages}
        row = {s: Signal(row_bits, name=f"row{s}") for s in stages}
        value = {s: Signal(signed(cfg.act_width), name=f"value{s}") for s in (2, 3, 4)}
        m.d.comb += [valid[2].eq(self.in_valid), value[2].eq(self.in_value)]
        for s in range(3, 9):
            m.d.sync += [valid[s].eq(valid[s - 1]), row[s].eq(row[s - 1])]
        for s in (3, 4):
            m.d.sync += value[s].eq(value[s - 1])

        # Stage 2: row address, codebook read.
        row_prev = Signal(row_bits)
        z = self.in_entry.zero_run
        m.d.comb += row[2].eq(Mux(self.in_first, z, row_prev + z + 1))
        with m.If(self.in_valid):
            m.d.sync += row_prev.eq(row[2])
        m.d.comb += cb_rd.addr.eq(Cat(self.in_entry.weight_index, self.layer)[:len(cb_rd.addr)])

        # Stage 3: the codebook word registered; accumulator read (or WRITEBACK's).
        weight4 = Signal(signed(cfg.weight_width))
        m.d.sync += weight4.eq(cb_rd.data)
        # WRITEBACK's address whenever WRITEBACK runs (``ext_rd_sel``, a decode of the CCU's
        # phase register), not only when its read counts: no row comparison reaches the
        # accumulator's address.
        m.d.comb += acc_rd.addr.eq(Mux(self.ext_rd_sel, self.ext_rd_addr, row[3]))
        acc_q = Signal(signed(cfg.acc_width))
        m.d.sync += acc_q.eq(acc_rd.data)
        m.d.comb += self.acc_data.eq(acc_q)

        # Stage 4: multiply; which entry ahead (1, 2 or 3 cycles) has the same row.
        prod5 = Signal(signed(cfg.product_width))
        m.d.sync += prod5.eq(weight4 * value[4])
        hits = [Signal(name=f"hit{d}") for d in (1, 2, 3)]
        for d, hit in zip((1, 2, 3), hits, strict=True):
            m.d.sync += hit.eq(valid[4 + d] & (row[4 + d] == row[4]))

        # Stage 5: add (cannot overflow) with bypass; stages 6-8 keep their sums for it.
        sums = {s: Signal(signed(cfg.acc_width), name=f"sum{s}") for s in (6, 7, 8)}
        base = Signal(signed(cfg.acc_width))
        with m.If(hits[0]):
            m.d.comb += base.eq(sums[6])
        with m.Elif(hits[1]):
            m.d.comb += base.eq(sums[7])
        with m.Elif(hits[2]):
            m.d.comb += base.eq(sums[8])
        with m.Else():
            m.d.comb += base.eq(acc_q)
        m.d.sync += [sums[6].eq(base + prod5), sums[7].eq(sums[6]), sums[8].eq(sums[7])]

        # Stage 6: write.
        with m.If(self.ext_wr_en):
            m.d.comb += [acc_wr.en.eq(1), acc_wr.addr.eq(self.ext_wr_addr),
                         acc_wr.data.eq(self.ext_wr_data)]
        with m.Else():
            m.d.comb += [acc_wr.en.eq(valid[6]), acc_wr.addr.eq(row[6]), acc_wr.data.eq(sums[6])]
        m.d.comb += self.busy.eq(valid[2] | valid[3] | valid[4] | valid[5] | valid[6])
        m.d.comb += [self.multiply.eq(valid[4]), self.acc_write.eq(acc_wr.en)]
        return m
