"""The CCU's slot scan: read-ahead of the source slots, LNZD, push and broadcast registers."""

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from eie_hw.protocol import column_bits, control_layout, layer_layout
from eie_hw.timing import (
    BROADCAST_LATENCY,
    CONTROL_LATENCY,
    MEMORY_LATENCY,
    PE_REPORT_LATENCY,
    SCAN_AHEAD,
    SCAN_LATENCY,
)

from .checks import ConfigComponent
from .lnzd import LNZD

__all__ = ["HELD_FLAGS", "UNREPORTED_PUSHES", "SlotScan"]

#: Pushes that a PE's report of the items it holds, as the CCU sees it, does not count yet:
#: the winner register, ``CONTROL_LATENCY`` cycles to the PE's copy of it, the PE's report
#: register and its register here (``PE_REPORT_LATENCY``).
UNREPORTED_PUSHES = 1 + CONTROL_LATENCY + PE_REPORT_LATENCY

#: A PE reports ``held >= fifo_depth - j`` for ``j`` in ``0 … HELD_FLAGS - 1``: the CCU adds
#: the pushes of the last ``UNREPORTED_PUSHES`` cycles, which the report does not hold yet.
HELD_FLAGS = UNREPORTED_PUSHES + 1


class SlotScan(ConfigComponent):
    """Slot scan and broadcast of one layer's COMPUTE phase (docs/microarchitecture.md).

    * **Read ahead.** In every cycle with a free place in the slot buffer (``SCAN_AHEAD``
      places; a slot holds one from its read to the cycle it becomes current) and slots left,
      slot ``scan_slot`` of every PE's source bank is read (by the PEs' copies of the address,
      ``CONTROL_LATENCY`` later). Its registered data arrives ``MEMORY_LATENCY`` cycles after
      that and enters this unit's slot buffer: the values and their non-zero flags, masked to
      the layer's ``n_in`` columns. A slot read in ``t`` can become current from
      ``t + SCAN_LATENCY``.
    * **LNZD and push.** ``F`` holds the current slot's PEs whose activation is non-zero and
      not yet broadcast. The lowest of them wins (the LNZD); it is pushed when no PE is
      full, and leaves ``F`` (``F & (F - 1)``). The PEs' ``room`` flags are registered here
      once more (``PE_REPORT_LATENCY``): a PE is full when the items it reported plus the
      pushes of the last ``UNREPORTED_PUSHES`` cycles reach ``fifo_depth``, so the decision
      starts from registers of this unit only. When nothing remains, the oldest buffered
      slot becomes current (``F`` = its flags) in the next cycle.
    * **Broadcast.** The winner register (``ctrl.pushed``, the winner's value, selected from
      the current slot's values by the one-hot lowest flag, and its index) computes the global
      column ``slot * n_pes + winner`` and pointer rows in the next cycle: the broadcast
      register's next value, which each PE registers into its copy of the control, so that
      every PE has them ``BROADCAST_LATENCY`` cycles after the push.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    compute : In
        The COMPUTE phase; outside it every register of the scan is cleared.
    n_in, ptr_base : In
        The running layer's inputs and first pointer address.
    values : In(array of n_pes activations)
        Each PE's registered source-bank word (``PE.act_data``).
    room : In(array of n_pes × HELD_FLAGS)
        Each PE's registered flags ``held >= fifo_depth - j`` for ``j`` in ``0 … HELD_FLAGS - 1``
        (``PE.held_flags``).
    ctrl : Out
        The scan's and the broadcast's fields of :func:`~eie_hw.protocol.control_layout`
        (``scan_slot``, ``pushed``, ``bcast*``); the CCU copies
        them into the control it sends.
    exhausted : Out
        Every slot has been current and nothing remains (at the start of the cycle).
    in_flight : Out
        A push of the last ``BROADCAST_LATENCY + PE_REPORT_LATENCY`` cycles: in the winner or
        the broadcast register, or at the PEs but not yet in their (registered) idle flags.
    push, stall : Out
        A push in this cycle; a winner waiting for a full queue in this cycle.
    """

    def __init__(self, config):
        self._config = config
        n = config.n_pes
        lay = layer_layout(config)
        super().__init__({
            "compute": In(1),
            "n_in": In(lay["n_in"].shape),
            "ptr_base": In(lay["ptr_base"].shape),
            "values": In(signed(config.act_width)).array(n),
            "room": In(data.ArrayLayout(HELD_FLAGS, n)),
            "ctrl": Out(control_layout(config)),
            "exhausted": Out(1),
            "in_flight": Out(1),
            "push": Out(1),
            "stall": Out(1),
        })

    def elaborate(self, platform):
        assert (BROADCAST_LATENCY, MEMORY_LATENCY, SCAN_LATENCY, PE_REPORT_LATENCY,
                CONTROL_LATENCY) == (2, 2, 4, 1, 1), "the stages below implement these"
        cfg = self._config
        n = cfg.n_pes
        shift = exact_log2(n)
        ctrl = self.ctrl
        m = Module()
        m.submodules.lnzd = lnzd = LNZD(n)
        slot_shape = ctrl.scan_slot.shape()
        slots = Signal(len(self.n_in))
        m.d.comb += slots.eq((self.n_in + (n - 1)) >> shift)

        # Section: read ahead. ``occupied`` counts slots read and not yet current.
        scan_next = Signal(len(slots))
        occupied = Signal(range(SCAN_AHEAD + 1))
        read = Signal()
        m.d.comb += [read.eq(self.compute & (scan_next < slots) & (occupied < SCAN_AHEAD)),
                     ctrl.scan_slot.eq(scan_next)]
        # A slot read decided in t: the PEs' copy of its address in t + 1, their registered
        # data in t + 3 (``landed``), written to the slot buffer then.
        reads = [Signal(name=f"read{i}") for i in range(1, SCAN_LATENCY)]
        slots_read = [Signal(slot_shape, name=f"slot{i}") for i in range(1, SCAN_LATENCY)]
        for i in range(SCAN_LATENCY - 1):
            m.d.sync += [reads[i].eq(reads[i - 1] if i else read),
                         slots_read[i].eq(slots_read[i - 1] if i else scan_next)]
        landed, landed_slot = reads[-1], slots_read[-1]

        # The slot buffer: values and flags of the slots read ahead; columns at or past n_in
        # never count.
        remaining = Signal(len(self.n_in))
        m.d.comb += remaining.eq(self.n_in - (landed_slot << shift))
        in_layer = Cat(remaining > k for k in range(n))
        nonzero = Cat(v != 0 for v in self.values)
        slot_layout = data.StructLayout({"flags": n,
                                         "values": data.ArrayLayout(signed(cfg.act_width), n)})
        m.submodules.slot_buffer = slot_buffer = Memory(shape=slot_layout, depth=SCAN_AHEAD,
                                                        init=[])
        sb_wr, sb_rd = slot_buffer.write_port(), slot_buffer.read_port(domain="comb")
        wr_ptr, rd_ptr = Signal(range(SCAN_AHEAD)), Signal(range(SCAN_AHEAD))
        buffered = Signal(range(SCAN_AHEAD + 1))
        m.d.comb += [sb_wr.addr.eq(wr_ptr), sb_wr.data.flags.eq(nonzero & in_layer),
                     sb_wr.en.eq(landed), sb_rd.addr.eq(rd_ptr)]
        for k in range(n):
            m.d.comb += sb_wr.data.values[k].eq(self.values[k])

        # Section: LNZD and push. ``F`` is the current slot's remaining non-zero PEs.
        flags = Signal(n)
        current = Signal(data.ArrayLayout(signed(cfg.act_width), n))   # the slot's values
        cur_slot = Signal(slot_shape)
        taken = Signal(len(slots))
        m.d.comb += lnzd.flags.eq(flags)
        winner = lnzd.index[:shift] if shift else Const(0, 0)
        lowest = Signal(n)
        rest = Signal(n)
        m.d.comb += [lowest.eq(flags & -flags), rest.eq(flags & (flags - 1))]
        # Fullness: the PEs' reports one cycle old, plus the pushes not in them yet.
        room = Signal.like(self.room)
        pushes = [Signal(name=f"pushed{i}") for i in range(UNREPORTED_PUSHES)]
        pushed = pushes[0]                   # the winner register's push
        m.d.sync += room.eq(self.room)
        for i in range(UNREPORTED_PUSHES):
            m.d.sync += pushes[i].eq(pushes[i - 1] if i else self.push)
        recent = Signal(range(HELD_FLAGS))
        m.d.comb += recent.eq(sum(pushes))
        any_full = Signal()
        with m.Switch(recent):
            for j in range(HELD_FLAGS):
                with m.Case(j):
                    m.d.comb += any_full.eq(Cat(room[k][j] for k in range(n)).any())
        m.d.comb += [self.push.eq(self.compute & flags.any() & ~any_full),
                     self.stall.eq(self.compute & flags.any() & any_full)]
        remains = Mux(self.push, rest, flags)
        take = Signal()
        m.d.comb += take.eq(self.compute & ~remains.any() & (buffered != 0))
        m.d.comb += self.exhausted.eq(~flags.any() & (taken == slots))

        with m.If(~self.compute):
            m.d.sync += [scan_next.eq(0), occupied.eq(0), buffered.eq(0), wr_ptr.eq(0),
                         rd_ptr.eq(0), flags.eq(0), taken.eq(0), cur_slot.eq(0)]
        with m.Else():
            m.d.sync += [scan_next.eq(scan_next + read), occupied.eq(occupied + read - take),
                         buffered.eq(buffered + landed - take)]
            with m.If(landed):
                m.d.sync += wr_ptr.eq((wr_ptr + 1) % SCAN_AHEAD)
            with m.If(take):
                m.d.sync += [flags.eq(sb_rd.data.flags), current.eq(sb_rd.data.values),
                             rd_ptr.eq((rd_ptr + 1) % SCAN_AHEAD),
                             cur_slot.eq(taken), taken.eq(taken + 1)]
            with m.Else():
                m.d.sync += flags.eq(remains)

        # Section: the winner register, then the broadcast register's next value.
        index = Signal(max(1, shift))
        slot_w = Signal(slot_shape)
        value = Signal(signed(cfg.act_width))
        m.d.sync += [index.eq(winner), slot_w.eq(cur_slot),
                     value.eq(_or_select([current[k] for k in range(n)], lowest, cfg.act_width))]
        column = Signal(column_bits(cfg))
        m.d.comb += column.eq(Cat(index[:shift], slot_w) if shift else slot_w)
        address = Signal(len(self.ptr_base) + 1)
        m.d.comb += address.eq(self.ptr_base + column)
        # The broadcast register's next value: each PE registers it (its copy of the
        # control), and this unit keeps its own copy of ``bcast`` for ``in_flight``.
        m.d.comb += [
            ctrl.pushed.eq(pushed),
            ctrl.bcast.eq(pushed),
            ctrl.bcast_value.eq(value),
            ctrl.bcast_even_row.eq((address + 1) >> 1),
            ctrl.bcast_odd_row.eq(address >> 1),
            ctrl.bcast_odd.eq(address[0]),
        ]
        bcast = Signal()             # the broadcast register's push, as in every PE
        reported = Signal()          # the push the PEs' idle flags do not show yet
        m.d.sync += [bcast.eq(pushed), reported.eq(bcast)]
        m.d.comb += self.in_flight.eq(pushed | bcast | reported)
        return m


def _or_select(values, one_hot, width):
    """The value whose one-hot bit is set (an AND-OR tree: no binary multiplexer)."""
    selected = 0
    for k, v in enumerate(values):
        selected = selected | (v.as_unsigned() & one_hot[k].replicate(width))
    return selected
