"""Activation memories of a PE: ping-pong source/destination banks, biases, INIT, WRITEBACK."""

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import control_layout
from eie_hw.timing import INIT_LATENCY, MEMORY_LATENCY, WRITEBACK_LATENCY

from .checks import ConfigComponent
from .write_port import WritePortSignature

__all__ = ["ActivationUnit"]


def _rounding(w_frac, width):
    """The rounding term ``2 ** (w_frac - 1)`` (0 for ``w_frac = 0``)."""
    return ((Const(1, 1) << w_frac) >> 1)[:width]


def _shift_saturate(m, rounded, w_frac, relu, cfg):
    """``relu?(saturate(rounded >> w_frac))`` in two cycles, where ``rounded`` is an
    accumulator that already holds the rounding term (INIT adds it), so this is
    ``relu?(saturate(round_shift(acc, w_frac)))`` of docs/arithmetic.md: the
    ``act_width``-bit window at ``w_frac`` and whether the shifted value fits are registered;
    saturation and ReLU pick the result from them. Only the window is shifted (an
    ``act_width``-bit selector instead of a shifter of the whole accumulator), and "fits" is
    "every bit from the window's top to the sign equals the sign"."""
    width = cfg.act_width
    sign = rounded[-1]
    same = Cat(rounded[i] == sign for i in range(len(rounded)))
    tops = [width - 1 + w for w in range(1 << len(w_frac))]
    fits_at = Cat(same[top:].all() if top < len(same) else Const(1) for top in tops)
    low = Signal(signed(width))
    fits, negative = Signal(), Signal()
    m.d.sync += [low.eq(rounded.as_unsigned().bit_select(w_frac, width)),
                 fits.eq(fits_at.bit_select(w_frac, 1)), negative.eq(sign)]
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    y = Mux(fits, low, Mux(negative, lo, hi))
    result = Signal(signed(width))
    m.d.comb += result.eq(Mux(relu & (y < 0), 0, y))
    return result


class ActivationUnit(ConfigComponent):
    """The ``act0``, ``act1`` and ``bias`` memories of a PE and the INIT / WRITEBACK phases.

    * Bias initialisation (``ctrl.init``: INIT, or WRITEBACK with a next layer): in the cycle
      with row counter ``r < init_rows`` read ``bias[init_bias_base + r]``; register it the
      next cycle; write ``acc[r] = (bias << init_w_frac) + 2 ** (init_w_frac - 1)`` the cycle
      after (``INIT_LATENCY``): the write-back's rounding term, added here, where it is an OR
      into the zero bits below the shifted bias, so that the write-back needs no adder.
    * WRITEBACK (``ctrl.wb``): in the cycle with ``r < rows`` read ``acc[r]``; the arithmetic
      unit registers it (``acc_data``, two cycles later); shift by ``w_frac`` (the rounding
      term is in the accumulator) and register; saturate, ReLU and write ``dest[r]`` in cycle
      ``r + WRITEBACK_LATENCY`` (docs/arithmetic.md). The accumulator read of row ``r``
      precedes the bias write of row ``r``, so both run in the same phase.
    * Reads: both banks read ``ctrl.scan_slot`` (the slot scan, in COMPUTE) or the host's
      address in every cycle; each bank's data is registered, and ``act_data`` is the
      addressed bank's registered word ``MEMORY_LATENCY`` cycles after the address.

    Layer ``l`` reads bank ``l % 2`` and writes bank ``(l + 1) % 2``. The host writes inputs to
    bank 0 and reads either bank.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    ctrl : In(control_layout)
        The CCU's per-cycle control.
    act_data : Out
        The activation read ``MEMORY_LATENCY`` cycles earlier (scan or host).
    acc_wr_en, acc_wr_addr, acc_wr_data : Out
        INIT's accumulator writes.
    acc_rd_addr : Out; acc_data : In
        WRITEBACK's accumulator read address (``ctrl.r``; the arithmetic unit reads it while
        ``ctrl.wb``) and the registered data (two cycles later).
    host_rd_en, host_rd_bank, host_rd_addr : In
        Host read of an activation (only while the CCU is idle).
    act_wr, bias_wr : In(WritePortSignature)
        Host writes of bank 0 and of the bias memory.
    """

    def __init__(self, config):
        self._config = config
        rows = range(config.act_depth)
        super().__init__({
            "ctrl": In(control_layout(config)),
            "act_data": Out(signed(config.act_width)),
            "acc_wr_en": Out(1),
            "acc_wr_addr": Out(rows),
            "acc_wr_data": Out(signed(config.acc_width)),
            "acc_rd_addr": Out(rows),
            "acc_data": In(signed(config.acc_width)),
            "host_rd_en": In(1),
            "host_rd_bank": In(1),
            "host_rd_addr": In(rows),
            "act_wr": In(WritePortSignature(config.act_depth, config.act_width)),
            "bias_wr": In(WritePortSignature(config.bias_depth, config.act_width)),
        })

    def elaborate(self, platform):
        assert (INIT_LATENCY, WRITEBACK_LATENCY, MEMORY_LATENCY) == (2, 3, 2), \
            "the stages below implement these"
        cfg = self._config
        ctrl = self.ctrl
        m = Module()
        banks = []
        for name in ("act0", "act1"):
            mem = Memory(shape=signed(cfg.act_width), depth=cfg.act_depth, init=[])
            m.submodules[name] = mem
            banks.append((mem.read_port(), mem.write_port()))
        m.submodules.bias = bias = Memory(shape=signed(cfg.act_width), depth=cfg.bias_depth,
                                          init=[])
        bias_rd, bias_wr = bias.read_port(), bias.write_port()
        m.d.comb += [bias_wr.en.eq(self.bias_wr.en), bias_wr.addr.eq(self.bias_wr.addr),
                     bias_wr.data.eq(self.bias_wr.data)]

        src = ctrl.layer[0]

        # Bias initialisation: read in cycle r, registered in r + 1, written in r + 2.
        init_rd = ctrl.init & (ctrl.r < ctrl.init_rows)
        m.d.comb += bias_rd.addr.eq(ctrl.init_bias_base + ctrl.r)
        init_v1, init_v2 = Signal(), Signal()
        init_row1, init_row2 = Signal(range(cfg.act_depth)), Signal(range(cfg.act_depth))
        bias_q = Signal(signed(cfg.act_width))
        m.d.sync += [init_v1.eq(init_rd), init_row1.eq(ctrl.r),
                     init_v2.eq(init_v1), init_row2.eq(init_row1), bias_q.eq(bias_rd.data)]
        m.d.comb += [self.acc_wr_en.eq(init_v2), self.acc_wr_addr.eq(init_row2),
                     self.acc_wr_data.eq((bias_q << ctrl.init_w_frac)
                                         | _rounding(ctrl.init_w_frac, cfg.weight_width))]

        # WRITEBACK: read in cycle r, registered (by the arithmetic unit) in r + 1, shifted
        # (already rounded) in r + 2, saturated, ReLU'd and written in r + 3.
        wb_rd = ctrl.wb & (ctrl.r < ctrl.rows)
        m.d.comb += self.acc_rd_addr.eq(ctrl.r)
        wb_v = [Signal(name=f"wb_v{i}") for i in (1, 2, 3)]
        wb_row = [Signal(range(cfg.act_depth), name=f"wb_row{i}") for i in (1, 2, 3)]
        m.d.sync += [wb_v[0].eq(wb_rd), wb_row[0].eq(ctrl.r)]
        for i in (1, 2):
            m.d.sync += [wb_v[i].eq(wb_v[i - 1]), wb_row[i].eq(wb_row[i - 1])]
        result = _shift_saturate(m, self.acc_data, ctrl.w_frac, ctrl.relu, cfg)
        wb_d, row_d = wb_v[2], wb_row[2]

        # Bank ports: both banks read the scan's or the host's address in every cycle, and
        # each bank's data is registered before it is used.
        rd_bank = Mux(self.host_rd_en, self.host_rd_bank, src)
        rd_addr = Mux(self.host_rd_en, self.host_rd_addr, ctrl.scan_slot)
        bank1, bank2 = Signal(), Signal()
        m.d.sync += [bank1.eq(rd_bank), bank2.eq(bank1)]
        data_q = []
        for b, (rd, wr) in enumerate(banks):
            q = Signal(signed(cfg.act_width), name=f"act{b}_q")
            m.d.sync += q.eq(rd.data)
            data_q.append(q)
            m.d.comb += rd.addr.eq(rd_addr)
            wb_here = wb_d & (src != b)
            if b == 0:
                m.d.comb += [
                    wr.en.eq(wb_here | self.act_wr.en),
                    wr.addr.eq(Mux(wb_here, row_d, self.act_wr.addr)),
                    wr.data.eq(Mux(wb_here, result, self.act_wr.data)),
                ]
            else:
                m.d.comb += [wr.en.eq(wb_here), wr.addr.eq(row_d), wr.data.eq(result)]
        m.d.comb += self.act_data.eq(Mux(bank2, data_q[1], data_q[0]))
        return m
