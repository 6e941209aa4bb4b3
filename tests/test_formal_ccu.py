"""Formal: the CCU (eie_hw.rtl.ccu with its slot scan and LNZD) broadcasts, in every layer,
every non-zero activation of the layer's inputs exactly once, in column order, with its value,
and no zero and no column past ``n_in`` (docs/microarchitecture.md, "COMPUTE"). A bounded
check from reset at 2 and 4 PEs."""

import pytest
from amaranth import Array, Cat, Module, Mux, Signal, signed
from amaranth.hdl import Assert, Assume, Cover
from amaranth.lib import data, wiring
from amaranth.lib.wiring import In

from eie_hw.protocol import START_COUNT_BITS, column_bits, control_layout, layer_layout
from eie_hw.rtl.ccu import CCU
from eie_hw.rtl.slot_scan import held_flag_count
from eie_hw.timing import BROADCAST_VALUE_LAG, CONTROL_LATENCY, MEMORY_LATENCY
from sim.verify import formal
from tests.formal_parts import open_design, part, small_config

pytestmark = pytest.mark.skipif(bool(formal.missing_tools()),
                                reason=f"formal tools missing: {formal.missing_tools()}")


def ccu_config(n_pes, broadcast_width=1):
    """Two slots per PE (``n_in`` up to ``2 * n_pes``), two layers; the rest as small as the
    configuration allows (the pointer space holds a layer of ``2 * n_pes`` inputs; queues of
    3 items, of 2 per lane when more than one)."""
    return small_config(n_pes=n_pes, act_depth=2, ptr_depth=2 * n_pes + 2, bias_depth=2,
                        max_layers=2, broadcast_width=broadcast_width,
                        fifo_depth=3 if broadcast_width == 1 else 2 * broadcast_width)


#: Cycles checked from reset, per ``(n_pes, broadcast_width)``. At 2 PEs a layer of four
#: non-zero inputs finishes at step 20 (the cover: a table write and START come in different
#: cycles); at 4 PEs 18 cycles check the broadcasts of the layers that start within them. z3
#: needed 85 s for 21 steps at 2 PEs, 47 s for 18 at 4 PEs and 109 s for 21 at 2 PEs with
#: two lanes (beside an FPGA route); a few steps more multiply that, and do not fit the test
#: suite.
BMC_DEPTH = {(2, 1): 21, (4, 1): 18, (2, 2): 21}


class CCUProperties(wiring.Component):
    """A :class:`CCU` with free inputs: ``start``, ``n_layers`` and layer-table writes (only
    while the CCU is idle and not in the cycle of a START, as :class:`~eie_hw.rtl.top.EIETop`
    allows: one word of its write stream per cycle), the PEs' held-item and
    idle flags (any stalls, any drain time) and the source-bank contents ``act`` (constant
    while a layer computes), which the harness returns for the slot the scan reads
    ``CONTROL_LATENCY + MEMORY_LATENCY`` cycles later, as a PE's ``act_data`` does.

    Asserted, for the running layer (``n_in`` and ``ptr_base`` as the scan sees them): every
    broadcast's column ``c = a - ptr_base`` (``a`` from the rows the CCU sends into the PEs'
    broadcast registers) is below ``n_in``, its activation (PE ``c % n_pes``, slot
    ``c // n_pes``) is non-zero, the broadcast value (``BROADCAST_VALUE_LAG`` cycles after
    the rows) is that activation, and ``c`` is above the layer's previous broadcast column (so
    no column twice); when the scan is exhausted and no push is on its way, every
    non-zero activation below ``n_in`` has been broadcast.

    ``drop_last`` makes the harness expect one column fewer (a broken variant: the
    test that shows the properties can fail).
    """

    def __init__(self, config, *, drop_last=False):
        self._config, self._drop = config, drop_last
        n = config.n_pes
        lay = layer_layout(config)
        super().__init__({
            "start": In(1), "n_layers": In(START_COUNT_BITS),
            "table_wr_en": In(1), "table_wr_addr": In(range(config.max_layers)),
            "table_wr_data": In(lay),
            "room": In(data.ArrayLayout(held_flag_count(config), n)), "idle": In(n),
            "act": In(data.ArrayLayout(signed(config.act_width), n * config.act_depth)),
        })

    def elaborate(self, platform):
        cfg = self._config
        n, columns = cfg.n_pes, cfg.n_pes * cfg.act_depth
        m = Module()
        ccu = CCU(cfg)
        m.submodules.ccu = ccu_fragment = open_design(ccu, platform)
        _, scan = part(ccu_fragment, "scan")
        # The control register, as the array's copies of it hold it.
        ctrl = Signal(control_layout(cfg))
        m.d.sync += ctrl.eq(ccu.ctrl_next)
        m.d.comb += [ccu.start.eq(self.start), ccu.n_layers.eq(self.n_layers),
                     ccu.table_wr_en.eq(self.table_wr_en),
                     ccu.table_wr_addr.eq(self.table_wr_addr),
                     ccu.table_wr_data.eq(self.table_wr_data),
                     ccu.room.eq(self.room), ccu.idle.eq(self.idle),
                     Assume(~self.table_wr_en | ~ccu.busy),
                     # START and the table's writes are words of one host stream.
                     Assume(~self.table_wr_en | ~self.start)]

        # Section: the source banks: ``act`` constant in COMPUTE, read by the PEs' copy of
        # the slot address (CONTROL_LATENCY) and registered MEMORY_LATENCY after that.
        act = Array(self.act[c] for c in range(columns))
        before = Signal.like(self.act)
        m.d.sync += before.eq(self.act)
        with m.If(ctrl.compute):
            m.d.comb += Assume(self.act.as_value() == before.as_value())
        delay = CONTROL_LATENCY + MEMORY_LATENCY
        slots = [Signal.like(ctrl.scan_slot, name=f"slot{i}") for i in range(delay)]
        m.d.sync += slots[0].eq(ctrl.scan_slot)
        for i in range(1, delay):
            m.d.sync += slots[i].eq(slots[i - 1])
        for k in range(n):
            m.d.comb += ccu.values[k].eq(act[slots[-1] * n + k])

        # Section: the broadcasts of the layer, lane by lane (the lanes in use are the
        # lowest, their columns ascending).
        seen = Signal(columns)
        last = Signal(column_bits(cfg) + 1)
        any_seen = Signal()
        previous, previous_any, newly = last, any_seen, 0
        assert BROADCAST_VALUE_LAG == 1, "the value check below implements BROADCAST_VALUE_LAG"
        for lane in range(cfg.broadcast_width):
            address = Cat(ctrl.bcast_odd[lane], ctrl.bcast_odd_row[lane])
            column = Signal.like(last, name=f"column{lane}")
            m.d.comb += column.eq(address - scan.ptr_base)
            pushed = ctrl.compute & ctrl.bcast[lane]
            if lane:
                m.d.comb += Assert(~ctrl.bcast[lane] | ctrl.bcast[lane - 1])
            with m.If(pushed):
                m.d.comb += [Assert(column < scan.n_in), Assert(act[column] != 0),
                             Assert(~previous_any | (column > previous))]
            # The value follows the rows BROADCAST_VALUE_LAG cycles late.
            value_due = Signal(name=f"value_due{lane}")
            value_want = Signal(signed(cfg.act_width), name=f"value_want{lane}")
            m.d.sync += [value_due.eq(pushed), value_want.eq(act[column])]
            with m.If(value_due):
                m.d.comb += Assert(ctrl.bcast_value[lane] == value_want)
            previous = Mux(pushed, column, previous)
            previous_any = previous_any | pushed
            newly = newly | Mux(pushed, 1 << column, 0)
        with m.If(~ctrl.compute):
            m.d.sync += [seen.eq(0), any_seen.eq(0)]
        with m.Else():
            m.d.sync += [seen.eq(seen | newly), last.eq(previous), any_seen.eq(previous_any)]
        nonzero = Cat((self.act[c] != 0) & (c < scan.n_in) for c in range(columns))
        expected = Signal(columns)
        m.d.comb += expected.eq(nonzero)
        if self._drop:
            m.d.comb += expected.eq(nonzero & (nonzero - 1))   # the lowest one not expected
        finished = ctrl.compute & scan.exhausted & ~scan.in_flight
        with m.If(finished):
            m.d.comb += Assert(seen == expected)
        m.d.comb += Cover(finished & (seen.all()))
        return m


@pytest.mark.slow
@pytest.mark.parametrize("n_pes, broadcast_width", sorted(BMC_DEPTH))
def test_ccu_broadcasts(tmp_path, n_pes, broadcast_width):
    """Bounded (``bmc``, :data:`BMC_DEPTH` cycles from reset): see the docs, "Formal"."""
    depth = BMC_DEPTH[n_pes, broadcast_width]
    result = formal.check(CCUProperties(ccu_config(n_pes, broadcast_width)), tmp_path,
                          mode="bmc", depth=depth, name=f"ccu{n_pes}k{broadcast_width}")
    print(f"{n_pes} PEs, broadcast width {broadcast_width}: no violation in {depth} cycles "
          f"(bmc) in {result.seconds:.1f} s")


def test_ccu_finishes_a_full_slot_set(tmp_path):
    """Not vacuous: a layer with every input non-zero finishes within the depth (cover, at
    step 20)."""
    result = formal.check(CCUProperties(ccu_config(2)), tmp_path, mode="cover",
                          depth=BMC_DEPTH[2, 1], name="ccu_cover")
    print(f"covered in {result.seconds:.1f} s")


def test_missing_broadcast_is_caught(tmp_path):
    """A harness that expects one broadcast fewer: the check finds the layer."""
    with pytest.raises(formal.FormalFailure) as failure:
        formal.check(CCUProperties(ccu_config(2), drop_last=True), tmp_path, mode="bmc",
                     depth=BMC_DEPTH[2, 1], name="ccu_drop")
    assert failure.value.status == "FAIL" and failure.value.traces
