"""The CCU's slot scan: read-ahead of the source slots, LNZD, push and broadcast registers."""

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from eie_hw.protocol import column_bits, control_layout, layer_layout
from eie_hw.timing import BROADCAST_LATENCY, MEMORY_LATENCY, SCAN_AHEAD, SCAN_LATENCY

from .checks import ConfigComponent
from .lnzd import LNZD

__all__ = ["SlotScan"]


class SlotScan(ConfigComponent):
    """Slot scan and broadcast of one layer's COMPUTE phase (docs/microarchitecture.md).

    * **Read ahead.** In every cycle with a free place in the slot buffer (``SCAN_AHEAD``
      places; a slot holds one from its read to the cycle it becomes current) and slots left,
      slot ``scan_slot`` of every PE's source bank is read (``slot_read``). Its registered
      data arrives ``MEMORY_LATENCY`` cycles later (``ctrl.slot_write``): the PEs keep the
      values (:class:`~.slot_buffer.SlotBuffer`), this unit the non-zero flags, masked to the
      layer's ``n_in`` columns. A slot read in ``t`` can become current from
      ``t + SCAN_LATENCY``.
    * **LNZD and push.** ``F`` holds the current slot's PEs whose activation is non-zero and
      not yet broadcast. The lowest of them wins (the LNZD); it is pushed when no PE is
      ``full``, and leaves ``F`` (``F & (F - 1)``). When nothing remains, the oldest buffered
      slot becomes current (``F`` = its flags) in the next cycle.
    * **Broadcast.** The winner register (``ctrl.pushed``, the winner's one-hot and index)
      selects the winner's value among the PEs' ``values`` in the next cycle and computes its
      global column ``slot * n_pes + winner`` and pointer rows; the broadcast register
      presents them to every PE ``BROADCAST_LATENCY`` cycles after the push.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    compute : In
        The COMPUTE phase; outside it every register of the scan is cleared.
    n_in, ptr_base : In
        The running layer's inputs and first pointer address.
    flags : In(n_pes)
        Each PE's ``SlotBuffer.flag``.
    values : In(array of n_pes activations)
        Each PE's ``SlotBuffer.value``.
    full : In(n_pes)
        Each PE holds ``fifo_depth`` items.
    ctrl : Out
        The scan's and the broadcast's fields of :func:`~eie_hw.protocol.control_layout`
        (``scan_slot``, ``slot_write``, ``slot_take``, ``pushed``, ``bcast*``); the CCU copies
        them into the control it sends.
    exhausted : Out
        Every slot has been current and nothing remains (at the start of the cycle).
    in_flight : Out
        A push is in the winner or the broadcast register.
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
            "flags": In(n),
            "values": In(signed(config.act_width)).array(n),
            "full": In(n),
            "ctrl": Out(control_layout(config)),
            "exhausted": Out(1),
            "in_flight": Out(1),
            "push": Out(1),
            "stall": Out(1),
        })

    def elaborate(self, platform):
        assert (BROADCAST_LATENCY, MEMORY_LATENCY, SCAN_LATENCY) == (2, 2, 3), \
            "the stages below implement these"
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
        read1, read2 = Signal(), Signal()
        slot1, slot2 = Signal(slot_shape), Signal(slot_shape)
        m.d.sync += [read1.eq(read), read2.eq(read1), slot1.eq(scan_next), slot2.eq(slot1)]
        m.d.comb += ctrl.slot_write.eq(read2)

        # The flags of the slots in the buffer; columns at or past n_in never count.
        remaining = Signal(len(self.n_in))
        m.d.comb += remaining.eq(self.n_in - (slot2 << shift))
        in_layer = Cat(remaining > k for k in range(n))
        m.submodules.flag_buffer = flag_buffer = Memory(shape=n, depth=SCAN_AHEAD, init=[])
        fb_wr, fb_rd = flag_buffer.write_port(), flag_buffer.read_port(domain="comb")
        wr_ptr, rd_ptr = Signal(range(SCAN_AHEAD)), Signal(range(SCAN_AHEAD))
        buffered = Signal(range(SCAN_AHEAD + 1))
        m.d.comb += [fb_wr.addr.eq(wr_ptr), fb_wr.data.eq(self.flags & in_layer),
                     fb_wr.en.eq(read2), fb_rd.addr.eq(rd_ptr)]

        # Section: LNZD and push. ``F`` is the current slot's remaining non-zero PEs.
        flags = Signal(n)
        cur_slot = Signal(slot_shape)
        taken = Signal(len(slots))
        m.d.comb += lnzd.flags.eq(flags)
        winner = lnzd.index[:shift] if shift else Const(0, 0)
        lowest = Signal(n)
        rest = Signal(n)
        m.d.comb += [lowest.eq(flags & -flags), rest.eq(flags & (flags - 1))]
        any_full = self.full.any()
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
                         buffered.eq(buffered + read2 - take)]
            with m.If(read2):
                m.d.sync += wr_ptr.eq((wr_ptr + 1) % SCAN_AHEAD)
            with m.If(take):
                m.d.sync += [flags.eq(fb_rd.data), rd_ptr.eq((rd_ptr + 1) % SCAN_AHEAD),
                             cur_slot.eq(taken), taken.eq(taken + 1)]
            with m.Else():
                m.d.sync += flags.eq(remains)
        m.d.sync += ctrl.slot_take.eq(take)

        # Section: the winner register, then the broadcast register (BROADCAST_LATENCY = 2).
        pushed = Signal()
        one_hot = Signal(n)
        index = Signal(max(1, shift))
        slot_w = Signal(slot_shape)
        m.d.sync += [pushed.eq(self.push), one_hot.eq(lowest), index.eq(winner),
                     slot_w.eq(cur_slot)]
        value = Signal(signed(cfg.act_width))
        m.d.comb += value.eq(_or_select(self.values, one_hot, cfg.act_width))
        column = Signal(column_bits(cfg))
        m.d.comb += column.eq(Cat(index[:shift], slot_w) if shift else slot_w)
        address = Signal(len(self.ptr_base) + 1)
        m.d.comb += address.eq(self.ptr_base + column)
        m.d.comb += ctrl.pushed.eq(pushed)
        m.d.sync += [
            ctrl.bcast.eq(pushed),
            ctrl.bcast_value.eq(value),
            ctrl.bcast_even_row.eq((address + 1) >> 1),
            ctrl.bcast_odd_row.eq(address >> 1),
            ctrl.bcast_odd.eq(address[0]),
        ]
        m.d.comb += self.in_flight.eq(pushed | ctrl.bcast)
        return m


def _or_select(values, one_hot, width):
    """The value whose one-hot bit is set (an AND-OR tree: no binary multiplexer)."""
    selected = 0
    for k, v in enumerate(values):
        selected = selected | (v.as_unsigned() & one_hot[k].replicate(width))
    return selected
