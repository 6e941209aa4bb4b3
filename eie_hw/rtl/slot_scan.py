"""The CCU's slot scan: read-ahead of the source slots, LNZD, push and broadcast registers."""

from amaranth import Cat, Const, Module, Mux, Signal, signed
from amaranth.lib import data
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from eie_hw.protocol import control_layout, layer_layout
from eie_hw.timing import (
    BROADCAST_LATENCY,
    BROADCAST_VALUE_LAG,
    CONTROL_LATENCY,
    IDLE_REPORT_LATENCY,
    MEMORY_LATENCY,
    PE_REPORT_LATENCY,
    SCAN_AHEAD,
    SCAN_LATENCY,
    SLOT_BUFFER_DEPTH,
)

from .checks import ConfigComponent
from .lnzd import LNZD

__all__ = ["UNREPORTED_PUSHES", "held_flag_count", "SlotScan"]

#: Cycles of pushes that a PE's report of the items it holds, as the CCU sees it, does not
#: count yet: the winner register, ``CONTROL_LATENCY`` cycles to the PE's copy of it, the PE's
#: report register and its register here (``PE_REPORT_LATENCY``).
UNREPORTED_PUSHES = 1 + CONTROL_LATENCY + PE_REPORT_LATENCY


def held_flag_count(config):
    """A PE reports ``held >= fifo_depth - j`` for ``j`` in ``0 … held_flag_count - 1``: the
    CCU adds the pushes of the last ``UNREPORTED_PUSHES`` cycles (up to ``broadcast_width``
    each), which the report does not hold yet, and asks for room for up to
    ``broadcast_width`` more."""
    return (UNREPORTED_PUSHES + 1) * config.broadcast_width


class SlotScan(ConfigComponent):
    """Slot scan and broadcast of one layer's COMPUTE phase (docs/microarchitecture.md).

    * **Read ahead.** In every cycle with a free place in the slot buffer (``SCAN_AHEAD``
      places; a slot holds one from its read to the cycle it becomes current) and slots left,
      slot ``scan_slot`` of every PE's source bank is read (by the PEs' copies of the address,
      ``CONTROL_LATENCY`` later). Its registered data arrives ``MEMORY_LATENCY`` cycles after
      that, is registered once more here (the die crossing has a register at both ends), and
      enters this unit's slot buffer: the values, and their non-zero flags, masked to the
      layer's ``n_in`` columns (a mask registered beside the values), in a memory of their
      own. A slot read in ``t`` can become current from ``t + SCAN_LATENCY``. The buffer has
      ``SLOT_BUFFER_DEPTH`` entries: the current slot's values stay in it, so that taking a
      slot loads only its flags and their count (counted as the flags are read, beside the
      decision to take the slot).
    * **LNZD and push.** ``F`` holds the current slot's PEs whose activation is non-zero and
      not yet broadcast, ``left`` their number. The ``k = broadcast_width`` lowest of them win
      (one LNZD per lane, lane ``l`` on ``F`` with its ``l`` lowest flags cleared); the
      lowest ``p`` are pushed, as many as every PE has places for, and leave ``F`` (``left -
      p``). A PE's places, as this unit sees them, are ``fifo_depth`` less the items it
      reported and the pushes of the last ``UNREPORTED_PUSHES`` cycles: the OR over the PEs of
      each ``room`` flag is registered here (``PE_REPORT_LATENCY``), and the pushes' count
      selects ``k`` of those registers, so the decision starts from registers of this unit
      only. When nothing remains (``left == p``), the oldest buffered slot becomes current
      (``F`` = its flags) in the next cycle.
    * **Broadcast.** The winner register holds ``ctrl.pushed`` (the count ``p``) and, per lane,
      whether it is pushed and the pointer rows of its column ``slot * n_pes + winner``,
      from a register of the lane's pointer address (the current slot's first pointer
      address plus the winner's index), which is loaded whenever ``F`` changes, with the
      LNZD of the flags ``F`` takes (every candidate's LNZD beside the decision, which
      selects one). This unit computes its next value (``ctrl_next``); the
      array's copies of the control, one per group of PEs, are the winner register, and each
      PE's copy of them its broadcast register, so that every PE has them
      ``BROADCAST_LATENCY`` cycles after the push. No logic lies between the copies. The
      winner's value (selected from the current slot's values by the one-hot lowest flag) is
      registered here and follows one cycle behind (``BROADCAST_VALUE_LAG``): ``ctrl_next``'s
      ``bcast_value`` is the value of the previous cycle's pushes.

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
    room : In(array of n_pes × held_flag_count)
        Each PE's registered flags ``held >= fifo_depth - j`` for ``j`` in
        ``0 … held_flag_count - 1`` (``PE.held_flags``).
    ctrl_next : Out
        The next value of the scan's and the broadcast's fields of
        :func:`~eie_hw.protocol.control_layout` (``scan_slot``, ``pushed``, ``bcast*``); the
        CCU copies them into the control's next value, which the array registers.
    exhausted : Out
        Every slot has been current and nothing remains (at the start of the cycle).
    in_flight : Out
        A push of the last ``BROADCAST_LATENCY + IDLE_REPORT_LATENCY`` cycles: in the winner or
        the broadcast register, or at the PEs but not yet in the CCU's registered view of their
        idle flags.
    pushes, stall : Out
        The pushes of this cycle (``p``); a winner waiting for full queues in this cycle (none
        pushed).
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
            "room": In(data.ArrayLayout(held_flag_count(config), n)),
            "ctrl_next": Out(control_layout(config)),
            "exhausted": Out(1),
            "in_flight": Out(1),
            "pushes": Out(range(config.broadcast_width + 1)),
            "stall": Out(1),
        })

    def elaborate(self, platform):
        assert (BROADCAST_LATENCY, MEMORY_LATENCY, SCAN_LATENCY, PE_REPORT_LATENCY,
                CONTROL_LATENCY, BROADCAST_VALUE_LAG) == (2, 2, 5, 1, 1, 1), \
            "the stages below implement these"
        cfg = self._config
        n = cfg.n_pes
        shift = exact_log2(n)
        ctrl_next = self.ctrl_next
        m = Module()
        slot_shape = ctrl_next.scan_slot.shape()
        slots = Signal(len(self.n_in))
        m.d.comb += slots.eq((self.n_in + (n - 1)) >> shift)
        # The layer's slot count registered, for the end test (``exhausted``), which feeds the
        # layer FSM: the running layer's ``n_in`` is final from its first COMPUTE cycle, in
        # which ``taken`` is 0 and both counts are at least 1 (the CCU refuses ``n_in = 0``).
        slots_r = Signal.like(slots)
        m.d.sync += slots_r.eq(slots)

        # Section: read ahead. ``occupied`` counts slots read and not yet current. The test
        # "slots left" (``more``) and ``scan_next + 1`` are registers computed for the next
        # cycle, so that the scan address the control's copies register (``ctrl_next``) is
        # one multiplexer after registers: at the start of COMPUTE ``scan_next`` is 0 and
        # slots are left.
        scan_next = Signal(len(slots))
        scan_next_1 = Signal.like(scan_next)
        more = Signal()
        occupied = Signal(range(SCAN_AHEAD + 1))
        read = Signal()
        m.d.comb += read.eq(self.compute & more & (occupied < SCAN_AHEAD))
        scan_next_d = Signal.like(scan_next)
        m.d.comb += scan_next_d.eq(Mux(self.compute, Mux(read, scan_next_1, scan_next), 0))
        m.d.sync += [scan_next.eq(scan_next_d), scan_next_1.eq(scan_next_d + 1),
                     more.eq(~self.compute | (scan_next_d < slots))]
        # The registers of the scan's decisions feed only this unit; the PEs see them through
        # the array's copies of the control, which register ``ctrl_next``.
        m.d.comb += ctrl_next.scan_slot.eq(scan_next_d)
        # A slot read decided in t: the PEs' copy of its address in t + 1, their registered
        # data in t + 3, registered here in t + 4 (``landed``) and written to the slot buffer
        # then.
        reads = [Signal(name=f"read{i}") for i in range(1, SCAN_LATENCY)]
        slots_read = [Signal(slot_shape, name=f"slot{i}") for i in range(1, SCAN_LATENCY)]
        for i in range(SCAN_LATENCY - 1):
            m.d.sync += [reads[i].eq(reads[i - 1] if i else read),
                         slots_read[i].eq(slots_read[i - 1] if i else scan_next)]
        landed = reads[-1]

        # The PEs' words cross the die into registers of this unit; beside them, the slot's
        # in-layer mask (columns at or past n_in never count), computed from its number while
        # the words are on their way.
        arriving_slot = slots_read[-2]
        remaining = Signal(len(self.n_in))
        m.d.comb += remaining.eq(self.n_in - (arriving_slot << shift))
        in_layer = Signal(n)
        landed_values = Signal(data.ArrayLayout(signed(cfg.act_width), n))
        m.d.sync += in_layer.eq(Cat(remaining > k for k in range(n)))
        for k in range(n):
            m.d.sync += landed_values[k].eq(self.values[k])

        # The slot buffer, in two memories: the non-zero flags of the slots read ahead, and
        # their values and the current slot's.
        nonzero = Cat(landed_values[k] != 0 for k in range(n))
        live = Signal(n)
        m.d.comb += live.eq(nonzero & in_layer)
        m.submodules.flag_buffer = flag_buffer = Memory(shape=n, depth=SLOT_BUFFER_DEPTH,
                                                        init=[])
        m.submodules.value_buffer = value_buffer = Memory(
            shape=data.ArrayLayout(signed(cfg.act_width), n), depth=SLOT_BUFFER_DEPTH, init=[])
        flag_wr, value_wr = flag_buffer.write_port(), value_buffer.write_port()
        sb_next = flag_buffer.read_port(domain="comb")      # the oldest slot read ahead
        sb_cur = value_buffer.read_port(domain="comb")      # the current slot's values
        wr_ptr, rd_ptr, cur_ptr = (Signal(range(SLOT_BUFFER_DEPTH), name=name)
                                   for name in ("wr_ptr", "rd_ptr", "cur_ptr"))
        buffered = Signal(range(SCAN_AHEAD + 1))
        m.d.comb += [flag_wr.addr.eq(wr_ptr), flag_wr.data.eq(live), flag_wr.en.eq(landed),
                     value_wr.addr.eq(wr_ptr), value_wr.data.eq(landed_values),
                     value_wr.en.eq(landed),
                     sb_next.addr.eq(rd_ptr), sb_cur.addr.eq(cur_ptr)]

        # Section: LNZD and push. ``F`` is the current slot's remaining non-zero PEs and
        # ``left`` their count, so that the decisions below need no test of ``F`` itself.
        k = cfg.broadcast_width
        flags = Signal(n)
        left = Signal(range(n + 1))
        taken = Signal(len(slots))
        # The current slot's first pointer address, ``ptr_base + slot * n_pes``.
        cur_base = Signal(len(self.ptr_base) + 1)
        # Lane ``l`` wins with the lowest flag of ``F`` less its ``l`` lowest flags
        # (``lane_flags[l]``); ``lane_flags[p]`` is ``F`` after ``p`` pushes, and
        # ``lane_flags[p + l]`` lane ``l``'s flags after them.
        lane_flags = _lowest_cleared(m, flags, 2 * k, "flags_after")
        lowest = []
        for lane in range(k):
            one_hot = Signal(n, name=f"lowest{lane}" if k > 1 else "lowest")
            m.d.comb += one_hot.eq(lane_flags[lane] & -lane_flags[lane])
            lowest.append(one_hot)
        # Each lane's winner as its pointer address ``a = cur_base + winner`` (and ``a + 1``),
        # registered for the flags ``F`` holds: the LNZDs work on every set of flags ``F``
        # can hold next (its ``j`` lowest cleared for the pushes ``p`` of this cycle and the
        # lane, ``j = p + l``; the oldest buffered slot's flags less their ``l`` lowest), in
        # parallel with the decision, which only selects among them. So the winner register
        # (the pointer rows, below) reads no logic, and the LNZDs are not on the decision's
        # path.
        address = [Signal(len(cur_base), name=f"address{lane}") for lane in range(k)]
        address_1 = [Signal(len(cur_base), name=f"address{lane}_1") for lane in range(k)]

        def winner(flag_set, name):
            m.submodules[name] = lnzd = LNZD(n)
            m.d.comb += lnzd.flags.eq(flag_set)
            return lnzd.index[:shift] if shift else Const(0, 0)

        after_push = {j: winner(lane_flags[j], f"lnzd{j}") for j in range(1, 2 * k)}
        take_flags = _lowest_cleared(m, sb_next.data, k, "next_flags_after")
        after_take = [winner(f, f"next_lnzd{lane}") for lane, f in enumerate(take_flags)]
        # Places: "some PE held >= fifo_depth - j items one cycle ago" (the OR over the PEs'
        # reports, registered), for the pushes not in the reports yet and the ones to come.
        full = Signal(held_flag_count(cfg))
        for j in range(len(full)):
            m.d.sync += full[j].eq(Cat(self.room[pe][j] for pe in range(n)).any())
        pushes = [Signal(range(k + 1), name=f"pushed{i}") for i in range(UNREPORTED_PUSHES)]
        pushed = pushes[0]                   # the winner register's pushes
        for i in range(UNREPORTED_PUSHES):
            m.d.sync += pushes[i].eq(pushes[i - 1] if i else self.pushes)
        unreported = Signal(range(k * UNREPORTED_PUSHES + 1))
        m.d.comb += unreported.eq(sum(pushes))
        # Places every PE has (at most k): the flags are monotone in j, so it is the number
        # of the k flags from ``unreported`` on that are clear.
        places = Signal(range(k + 1))
        with m.Switch(unreported):
            for u in range(k * UNREPORTED_PUSHES + 1):
                with m.Case(u):
                    m.d.comb += places.eq(k - sum(full[u + i] for i in range(k)))
        some = left != 0
        # Nothing remains after this cycle: the last flags are pushed, or there were none. It
        # is decided from ``left`` and ``places`` alone (not from the push count below), a
        # shallower path into ``take`` and the slot buffer's read.
        finished = Signal()
        count = Signal(range(k + 1))
        m.d.comb += [finished.eq(left <= places), count.eq(Mux(finished, left, places))]
        m.d.comb += [self.pushes.eq(Mux(self.compute, count, 0)),
                     self.stall.eq(self.compute & some & (places == 0))]
        take = Signal()
        m.d.comb += take.eq(self.compute & finished & (buffered != 0))
        m.d.comb += self.exhausted.eq(~some & (taken == slots_r))

        def advance(ptr):
            return Mux(ptr == SLOT_BUFFER_DEPTH - 1, 0, ptr + 1)

        with m.If(~self.compute):
            m.d.sync += [occupied.eq(0), buffered.eq(0), wr_ptr.eq(0),
                         rd_ptr.eq(0), cur_ptr.eq(0), flags.eq(0), left.eq(0), taken.eq(0),
                         cur_base.eq(0)]
        with m.Else():
            m.d.sync += [occupied.eq(occupied + read - take),
                         buffered.eq(buffered + landed - take)]
            with m.If(landed):
                m.d.sync += wr_ptr.eq(advance(wr_ptr))
            with m.If(take):
                base = self.ptr_base + (taken << shift)
                # The oldest buffered slot's count is computed from its flags as they are
                # read, beside the decision to take it.
                m.d.sync += [flags.eq(sb_next.data), left.eq(_popcount(sb_next.data)),
                             cur_ptr.eq(rd_ptr), rd_ptr.eq(advance(rd_ptr)),
                             cur_base.eq(base), taken.eq(taken + 1)]
                for lane in range(k):
                    m.d.sync += [address[lane].eq(base + after_take[lane]),
                                 address_1[lane].eq(base + 1 + after_take[lane])]
            with m.Else():
                with m.Switch(count):
                    for p in range(1, k + 1):
                        with m.Case(p):
                            m.d.sync += flags.eq(lane_flags[p])
                            for lane in range(k):
                                w = after_push[p + lane]
                                m.d.sync += [address[lane].eq(cur_base + w),
                                             address_1[lane].eq(cur_base + 1 + w)]
                m.d.sync += left.eq(left - count)

        # Section: the winner register's next value: the pushes and, per lane, the winner's
        # value and its column's pointer address ``a = ptr_base + slot * n_pes + winner`` as
        # the pointer rows ``(a + 1) // 2`` and ``a // 2``. The array's copies of the
        # control are the winner register; each PE's copy of them is its broadcast register.
        # The winner's value is registered here first (``BROADCAST_VALUE_LAG``): the
        # selection's 32-way AND-OR stays inside this unit, and the value crosses the die
        # from a register, one cycle behind its pointer rows. The current slot's values stay
        # in the slot buffer for that cycle: a read decided after a take lands SCAN_LATENCY
        # cycles later, so the freed entry is not written before.
        m.d.comb += [ctrl_next.pushed.eq(self.pushes),
                     ctrl_next.bcast.eq(Cat(self.pushes > lane for lane in range(k)))]
        for lane in range(k):
            value = Signal(signed(cfg.act_width), name=f"value{lane}" if k > 1 else "value")
            m.d.sync += value.eq(_or_select([sb_cur.data[pe] for pe in range(n)],
                                            lowest[lane], cfg.act_width))
            m.d.comb += [
                ctrl_next.bcast_value[lane].eq(value),
                ctrl_next.bcast_even_row[lane].eq(address_1[lane] >> 1),
                ctrl_next.bcast_odd_row[lane].eq(address[lane] >> 1),
                ctrl_next.bcast_odd[lane].eq(address[lane][0]),
            ]
        # A push is in flight from the winner register until the CCU's registered view of
        # the PEs' idle flags shows it: the broadcast register, then IDLE_REPORT_LATENCY
        # cycles.
        flight = [pushed != 0]
        for i in range(BROADCAST_LATENCY - 1 + IDLE_REPORT_LATENCY):
            stage = Signal(name=f"in_flight{i + 1}")
            m.d.sync += stage.eq(flight[-1])
            flight.append(stage)
        m.d.comb += self.in_flight.eq(Cat(flight).any())
        return m


def _lowest_cleared(m, flags, count, name):
    """``count`` flag sets: ``flags``, then each with the lowest set flag of the one before
    cleared (signals ``{name}1`` …)."""
    chain = [flags]
    for j in range(1, count):
        rest = Signal(len(flags), name=f"{name}{j}")
        m.d.comb += rest.eq(chain[-1] & (chain[-1] - 1))
        chain.append(rest)
    return chain


def _popcount(bits):
    """The number of set bits, as a balanced tree of additions (``sum`` would chain them: one
    adder after the other, ``len(bits)`` deep)."""
    terms = list(bits)
    while len(terms) > 1:
        pairs = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        terms = pairs + terms[len(terms) - len(terms) % 2:]
    return terms[0]


def _or_select(values, one_hot, width):
    """The value whose one-hot bit is set (an AND-OR tree: no binary multiplexer)."""
    selected = 0
    for k, v in enumerate(values):
        selected = selected | (v.as_unsigned() & one_hot[k].replicate(width))
    return selected
