"""The pointer read unit: a broadcast column's pointers ``p[j]``, ``p[j + 1]``, before its queue."""

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import stream
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import control_layout
from eie_hw.timing import BROADCAST_VALUE_LAG, POINTER_LATENCY

from .checks import ConfigComponent
from .queue import column_item_layout
from .write_port import WritePortSignature

__all__ = ["PointerReadUnit"]


class PointerReadUnit(ConfigComponent):
    """Two pointer banks (``ptr_even``, ``ptr_odd``) read as one wide pointer, for every
    column the broadcast register presents; one pair of banks per broadcast lane
    (``broadcast_width``; lane ``l > 0`` reads ``ptr_even{l}``, ``ptr_odd{l}``, copies that the
    host writes together).

    Pointer address ``a`` lives in bank ``a % 2`` at row ``a // 2``; the CCU's broadcast
    register carries the rows ``(a + 1) // 2`` (even bank) and ``a // 2`` (odd bank) and ``a %
    2``, so ``p[a]`` and ``p[a + 1]`` come out together. The banks read those rows in every
    cycle, straight from the broadcast register; their data is registered
    (``POINTER_LATENCY`` = 2 cycles after the broadcast) before any logic uses it. In that
    cycle a non-empty column ``(value, p[a], p[a + 1])`` leaves on its lane's ``output`` and
    an empty one is dropped (its lane's ``drop``): it never reaches the queue or the stream
    unit.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    ctrl : In(control_layout)
        ``bcast``, ``bcast_value``, ``bcast_even_row``, ``bcast_odd_row``, ``bcast_odd``;
        ``bcast_value`` one cycle behind the rest (``BROADCAST_VALUE_LAG``: a lane's value
        comes in the cycle after its ``bcast``).
    output : Out(stream.Signature(column_item_layout, always_ready=True)).array(k)
        Per lane, a non-empty column, ``POINTER_LATENCY`` cycles after its broadcast.
    drop : Out(k)
        Per lane, an empty column was dropped in this cycle.
    pending : Out
        A broadcast column is still in the unit (the PE is not idle).
    read : Out
        A register: the lanes whose banks read a broadcast column's pointers in the previous
        cycle (the action ``pointer_reads`` of ``sim.models.actions``).
    even_wr, odd_wr : In(WritePortSignature)
        Host writes of a row of the even or the odd bank (of every lane's copy).
    """

    def __init__(self, config):
        self._config = config
        rows = config.ptr_depth // 2
        k = config.broadcast_width
        super().__init__({
            "ctrl": In(control_layout(config)),
            "output": Out(stream.Signature(column_item_layout(config),
                                           always_ready=True)).array(k),
            "drop": Out(k),
            "pending": Out(1),
            "read": Out(range(k + 1)),
            "even_wr": In(WritePortSignature(rows, config.ptr_width)),
            "odd_wr": In(WritePortSignature(rows, config.ptr_width)),
        })

    def elaborate(self, platform):
        assert (POINTER_LATENCY, BROADCAST_VALUE_LAG) == (2, 1), \
            "the stages below implement these"
        cfg = self._config
        ctrl = self.ctrl
        rows = cfg.ptr_depth // 2
        m = Module()
        reading, pending = [], []
        for lane in range(cfg.broadcast_width):
            suffix = str(lane) if lane else ""
            m.submodules[f"ptr_even{suffix}"] = even = Memory(shape=cfg.ptr_width, depth=rows,
                                                              init=[])
            m.submodules[f"ptr_odd{suffix}"] = odd = Memory(shape=cfg.ptr_width, depth=rows,
                                                            init=[])
            even_rd, odd_rd = even.read_port(), odd.read_port()
            for mem_wr, port in ((even.write_port(), self.even_wr),
                                 (odd.write_port(), self.odd_wr)):
                m.d.comb += [mem_wr.en.eq(port.en), mem_wr.addr.eq(port.addr),
                             mem_wr.data.eq(port.data)]
            m.d.comb += [even_rd.addr.eq(ctrl.bcast_even_row[lane]),
                         odd_rd.addr.eq(ctrl.bcast_odd_row[lane])]

            # Stage 1: the banks read; the column's parity waits beside them, and its value
            # arrives (BROADCAST_VALUE_LAG).
            valid1 = Signal(name=f"valid1{suffix}")
            odd1 = Signal(name=f"odd1{suffix}")
            m.d.sync += [valid1.eq(ctrl.bcast[lane]), odd1.eq(ctrl.bcast_odd[lane])]
            # Stage 2: the banks' data registered; select, compare, queue or drop.
            valid2 = Signal(name=f"valid2{suffix}")
            odd2 = Signal(name=f"odd2{suffix}")
            value2 = Signal(signed(cfg.act_width), name=f"value2{suffix}")
            even_q = Signal(cfg.ptr_width, name=f"even_q{suffix}")
            odd_q = Signal(cfg.ptr_width, name=f"odd_q{suffix}")
            m.d.sync += [valid2.eq(valid1), odd2.eq(odd1), value2.eq(ctrl.bcast_value[lane]),
                         even_q.eq(even_rd.data), odd_q.eq(odd_rd.data)]
            start = Signal(cfg.ptr_width, name=f"start{suffix}")
            end = Signal(cfg.ptr_width, name=f"end{suffix}")
            m.d.comb += [start.eq(Mux(odd2, odd_q, even_q)), end.eq(Mux(odd2, even_q, odd_q))]
            empty = start == end
            out = self.output[lane]
            m.d.comb += [
                out.valid.eq(valid2 & ~empty),
                out.payload.value.eq(value2),
                out.payload.start.eq(start),
                out.payload.end.eq(end),
                self.drop[lane].eq(valid2 & empty),
            ]
            reading.append(valid1)
            pending += [valid1, valid2]
        m.d.comb += [self.pending.eq(Cat(*pending).any()), self.read.eq(sum(reading))]
        return m
