"""One processing element: queue, pointer register, stream unit, arithmetic, activations."""

from amaranth import Module, Signal, signed
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import Space, control_layout, write_layout

from .activation import ActivationUnit
from .arith import ArithmeticUnit
from .checks import ConfigComponent
from .pointer import PointerReadUnit
from .queue import ActivationQueue
from .stream_unit import SparseStreamUnit

__all__ = ["PE"]


class PE(ConfigComponent):
    """A processing element (docs/microarchitecture.md, "Each PE").

    Per cycle of COMPUTE: the stream unit issues an entry or takes the pointer register (PT);
    a valid empty PT is dropped; if the queue is non-empty and PT is free (or freed in this
    cycle) the head ``(value, j)`` is popped and ``p[j]``, ``p[j + 1]`` read at pointer
    address ``ptr_base + j`` — PT holds them the next cycle.

    Memories (separate instances, for macro replacement): ``pointer.ptr_even``,
    ``pointer.ptr_odd``, ``stream.spmat``, ``arith.codebook``, ``arith.acc``, ``act.act0``,
    ``act.act1``, ``act.bias``, ``queue.storage``.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    ctrl : In(control_layout)
        The CCU's control, including the broadcast register (``push``, ``push_value``,
        ``push_column``): the queue writes it in this cycle.
    full : Out
        The queue holds ``fifo_depth`` items, counting the one the broadcast register is writing
        this cycle (``ctrl.push``): the CCU may push only while no PE is full.
    idle : Out
        Queue empty, PT invalid, stream unit idle, no accumulator write pending.
    act_data : Out
        The last activation read (the current scan slot in COMPUTE, host reads otherwise).
    wr_en, wr : In
        Host write word addressed to this PE (``wr.pe`` is ignored).
    host_rd_en, host_rd_bank, host_rd_addr : In
        Host read of an activation.
    """

    def __init__(self, config):
        self._config = config
        super().__init__({
            "ctrl": In(control_layout(config)),
            "full": Out(1),
            "idle": Out(1),
            "act_data": Out(signed(config.act_width)),
            "wr_en": In(1),
            "wr": In(write_layout(config)),
            "host_rd_en": In(1),
            "host_rd_bank": In(1),
            "host_rd_addr": In(range(config.act_depth)),
        })

    def elaborate(self, platform):
        cfg = self._config
        ctrl = self.ctrl
        m = Module()
        m.submodules.queue = queue = ActivationQueue(cfg)
        m.submodules.pointer = pointer = PointerReadUnit(cfg)
        m.submodules.stream = stream = SparseStreamUnit(cfg)
        m.submodules.arith = arith = ArithmeticUnit(cfg)
        m.submodules.act = act = ActivationUnit(cfg)

        # Broadcast into the queue.
        m.d.comb += [queue.push.eq(ctrl.push), queue.push_value.eq(ctrl.push_value),
                     queue.push_column.eq(ctrl.push_column)]

        # Pointer register and pop.
        pt_valid = Signal()
        pt_value = Signal(signed(cfg.act_width))
        m.d.comb += [stream.pt_valid.eq(pt_valid), stream.pt_start.eq(pointer.start),
                     stream.pt_end.eq(pointer.end), stream.pt_value.eq(pt_value)]
        pop = Signal()
        m.d.comb += [
            pop.eq(~queue.empty & (~pt_valid | stream.pt_consumed)),
            queue.pop.eq(pop),
            pointer.rd_en.eq(pop),
            pointer.rd_addr.eq(ctrl.ptr_base + queue.head_column),
        ]
        with m.If(pop):
            m.d.sync += [pt_valid.eq(1), pt_value.eq(queue.head_value)]
        with m.Elif(stream.pt_consumed):
            m.d.sync += pt_valid.eq(0)

        # Stream unit → arithmetic unit.
        m.d.comb += [arith.in_valid.eq(stream.entry_valid), arith.in_entry.eq(stream.entry),
                     arith.in_first.eq(stream.entry_first), arith.in_value.eq(stream.entry_value),
                     arith.layer.eq(ctrl.layer)]

        # Activation unit ↔ accumulators.
        m.d.comb += [
            act.ctrl.eq(ctrl),
            arith.ext_wr_en.eq(act.acc_wr_en), arith.ext_wr_addr.eq(act.acc_wr_addr),
            arith.ext_wr_data.eq(act.acc_wr_data),
            arith.ext_rd_en.eq(act.acc_rd_en), arith.ext_rd_addr.eq(act.acc_rd_addr),
            act.acc_data.eq(arith.acc_data),
            act.host_rd_en.eq(self.host_rd_en), act.host_rd_bank.eq(self.host_rd_bank),
            act.host_rd_addr.eq(self.host_rd_addr),
            self.act_data.eq(act.act_data),
        ]

        # Host writes.
        wr, space = self.wr, self.wr.space
        m.d.comb += [
            pointer.wr_en.eq(self.wr_en & ((space == Space.PTR_EVEN) | (space == Space.PTR_ODD))),
            pointer.wr_odd.eq(space == Space.PTR_ODD),
            pointer.wr_addr.eq(wr.addr), pointer.wr_data.eq(wr.data),
            stream.wr_en.eq(self.wr_en & (space == Space.SPMAT)),
            stream.wr_addr.eq(wr.addr), stream.wr_data.eq(wr.data),
            arith.cb_wr_en.eq(self.wr_en & (space == Space.CODEBOOK)),
            arith.cb_wr_addr.eq(wr.addr), arith.cb_wr_data.eq(wr.data),
            act.act_wr_en.eq(self.wr_en & (space == Space.ACT)),
            act.bias_wr_en.eq(self.wr_en & (space == Space.BIAS)),
            act.wr_addr.eq(wr.addr), act.wr_data.eq(wr.data),
        ]

        m.d.comb += [
            # The item in the broadcast register is written this cycle: count it as held.
            self.full.eq(queue.full | ((queue.count == cfg.fifo_depth - 1) & ctrl.push)),
            self.idle.eq(queue.empty & ~pt_valid & ~stream.active & ~arith.busy),
        ]
        return m
