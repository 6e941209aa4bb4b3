"""One processing element: pointer read, queue, stream unit, arithmetic, activations."""

from amaranth import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import Space, control_layout, event_layout, write_layout

from .activation import ActivationUnit
from .arith import ArithmeticUnit
from .checks import ConfigComponent
from .pointer import PointerReadUnit
from .queue import ActivationQueue
from .replica import ReplicaRegister
from .slot_scan import held_flag_count
from .stream_unit import SparseStreamUnit

__all__ = ["PE"]


class PE(ConfigComponent):
    """A processing element (docs/microarchitecture.md, "Each PE").

    A broadcast column's pointers are read as it arrives (:class:`~.pointer.PointerReadUnit`);
    a non-empty column enters the queue, an empty one is dropped. The stream unit takes the
    queue's head when it has finished the previous column and issues one entry per cycle
    into the arithmetic pipeline.

    Every unit acts on the PE's own registered copy of the control register
    (:class:`~.replica.ReplicaRegister`, ``CONTROL_LATENCY``), which the array presents in a
    copy per group of PEs; its broadcast fields are the winner register, so that this copy of
    them is the broadcast register.

    The PE counts the items it holds: pushed (``ctrl.pushed`` in its copy
    ``1 + CONTROL_LATENCY`` cycles after the push) and neither dropped nor taken from the
    queue, and reports the count as registered flags (``held_flags``); the CCU pushes only
    while every PE holds fewer than ``fifo_depth``, so the queue never overflows.

    Memories (separate instances, for macro replacement): ``pointer.ptr_even``,
    ``pointer.ptr_odd``, ``stream.spmat``, ``arith.codebook``, ``arith.acc``, ``act.act0``,
    ``act.act1``, ``act.bias``, ``queue.storage`` (with ``k = broadcast_width`` > 1: the
    pointer banks of lanes 1 … k - 1 too, ``pointer.ptr_even1`` …, and the queue in ``k`` banks,
    ``queue.storage0`` …).

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    ctrl : In(control_layout)
        The control register (the group's copy), including the slot scan's fields and the
        winner register, the broadcast register's next value; registered here before use.
    held_flags : Out(held_flag_count)
        Registers: bit ``j`` is ``held >= fifo_depth - j``, the items held at the start of the
        cycle (the CCU adds the pushes these do not count yet).
    idle : Out
        A register: in the previous cycle no column was on its way in the PE, the queue was
        empty, the stream unit idle and no accumulator write pending.
    events : Out(event_layout(config))
        Registers: the actions of :data:`~eie_hw.protocol.COUNTED_ACTIONS` the units report
        (pointer reads, one per broadcast lane; a sparse-matrix word read, a multiply, an
        accumulator write), one cycle after the unit's flag; only the array's counters read them
        (:class:`~.counters.ActionCounters`).
    act_data : Out
        The registered activation word read ``MEMORY_LATENCY`` cycles earlier (the slot scan's
        and the host's reads).
    wr_en, wr : In
        Host write word addressed to this PE (``wr.pe`` is ignored); it is registered and
        written the next cycle.
    host_rd_en, host_rd_bank, host_rd_addr : In
        Host read of an activation.
    """

    def __init__(self, config):
        self._config = config
        super().__init__({
            "ctrl": In(control_layout(config)),
            "held_flags": Out(held_flag_count(config)),
            "idle": Out(1),
            "events": Out(event_layout(config)),
            "act_data": Out(signed(config.act_width)),
            "wr_en": In(1),
            "wr": In(write_layout(config)),
            "host_rd_en": In(1),
            "host_rd_bank": In(1),
            "host_rd_addr": In(range(config.act_depth)),
        })

    def elaborate(self, platform):
        cfg = self._config
        m = Module()
        # The PE's own copy of the CCU's control (CONTROL_LATENCY): nothing below reads
        # ``self.ctrl`` itself.
        m.submodules.control = control = ReplicaRegister(control_layout(cfg))
        m.d.comb += control.d.eq(self.ctrl)
        ctrl = control.q
        m.submodules.pointer = pointer = PointerReadUnit(cfg)
        m.submodules.queue = queue = ActivationQueue(cfg)
        m.submodules.stream = stream = SparseStreamUnit(cfg)
        m.submodules.arith = arith = ArithmeticUnit(cfg)
        m.submodules.act = act = ActivationUnit(cfg)

        # Broadcast → pointers → queue → stream unit → arithmetic.
        m.d.comb += pointer.ctrl.eq(ctrl)
        for lane in range(cfg.broadcast_width):
            wiring.connect(m, pointer.output[lane], queue.input[lane])
        m.d.comb += [stream.head.eq(queue.head), stream.head_valid.eq(~queue.empty),
                     queue.pop.eq(stream.pop)]
        m.d.comb += [arith.in_valid.eq(stream.entry_valid), arith.in_entry.eq(stream.entry),
                     arith.in_first.eq(stream.entry_first), arith.in_value.eq(stream.entry_value),
                     arith.layer.eq(ctrl.layer)]

        # Slot scan and activations ↔ accumulators.
        m.d.comb += [
            act.ctrl.eq(ctrl),
            arith.ext_wr_en.eq(act.acc_wr_en), arith.ext_wr_addr.eq(act.acc_wr_addr),
            arith.ext_wr_data.eq(act.acc_wr_data),
            arith.ext_rd_sel.eq(ctrl.wb), arith.ext_rd_addr.eq(act.acc_rd_addr),
            act.acc_data.eq(arith.acc_data),
            act.host_rd_en.eq(self.host_rd_en), act.host_rd_bank.eq(self.host_rd_bank),
            act.host_rd_addr.eq(self.host_rd_addr),
            self.act_data.eq(act.act_data),
        ]

        # Host writes: registered, then one write port per memory, each enabled by its space.
        # The word is the same for every PE: a ReplicaRegister keeps each PE's register its
        # own, near the memories it writes (one merged register would drive all PEs).
        wr_en = Signal()
        m.submodules.wr_copy = wr_copy = ReplicaRegister(write_layout(cfg))
        m.d.sync += wr_en.eq(self.wr_en)
        m.d.comb += wr_copy.d.eq(self.wr)
        wr = wr_copy.q
        for port, space in ((pointer.even_wr, Space.PTR_EVEN), (pointer.odd_wr, Space.PTR_ODD),
                            (stream.spmat_wr, Space.SPMAT), (arith.codebook_wr, Space.CODEBOOK),
                            (act.act_wr, Space.ACT), (act.bias_wr, Space.BIAS)):
            m.d.comb += [port.en.eq(wr_en & (wr.space == space)), port.addr.eq(wr.addr),
                         port.data.eq(wr.data)]

        # Items held: pushed (the winner register's count, in this PE's copy of the control
        # ``1 + CONTROL_LATENCY`` cycles after the push) until dropped or taken.
        depth = cfg.fifo_depth
        held = Signal(range(depth + 1))
        held_next = Signal(range(depth + 1))
        m.d.comb += held_next.eq(held + ctrl.pushed - sum(pointer.drop) - stream.pop)
        m.d.sync += held.eq(held_next)
        for j in range(held_flag_count(cfg)):
            m.d.sync += self.held_flags[j].eq(held_next >= depth - j)

        # Event registers of the action counters: every unit's flag registered once more, so
        # that the counters' adder tree starts from flip-flops here.
        m.d.sync += [self.events.pointer_reads.eq(pointer.read),
                     self.events.spmat_word_reads.eq(stream.word_read),
                     self.events.multiplies.eq(arith.multiply),
                     self.events.acc_writes.eq(arith.acc_write)]
        m.d.sync += self.idle.eq(~pointer.pending & queue.empty & ~stream.active
                                 & ~stream.issued & ~arith.busy)
        return m
