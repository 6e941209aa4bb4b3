"""The activation queue of a PE: a FIFO of columns ``(value, start, end)``."""

from amaranth import Module, Signal, signed
from amaranth.lib import data, stream
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from .checks import ConfigComponent

__all__ = ["ActivationQueue", "column_item_layout"]


def column_item_layout(config):
    """One queued column: the broadcast activation and the entry addresses ``start`` …
    ``end - 1`` of its entries in this PE (its pointers ``p[j]``, ``p[j + 1]``)."""
    return data.StructLayout({"value": signed(config.act_width),
                              "start": config.ptr_width, "end": config.ptr_width})


class ActivationQueue(ConfigComponent):
    """FIFO of ``config.fifo_depth`` non-empty columns.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    input : In(stream.Signature(column_item_layout, always_ready=True))
        Append an item. The PE accounts for every item on its way (``fifo_depth`` at most),
        so the queue is never written when full.
    pop : In
        Remove the head (ignored when ``empty``).
    head : Out(column_item_layout)
        The head item, valid while ``empty`` is low (combinational read of the storage).
    count : Out
        Items held at the start of the cycle (a register).
    empty : Out
        ``count == 0``.

    An item written in cycle ``t`` is the head (``empty`` low) at ``t + 1`` at the earliest.
    """

    def __init__(self, config):
        self._config = config
        super().__init__({
            "input": In(stream.Signature(column_item_layout(config), always_ready=True)),
            "pop": In(1),
            "head": Out(column_item_layout(config)),
            "count": Out(range(config.fifo_depth + 1)),
            "empty": Out(1),
        })

    def elaborate(self, platform):
        depth = self._config.fifo_depth
        m = Module()
        m.submodules.storage = storage = Memory(shape=column_item_layout(self._config),
                                                depth=depth, init=[])
        wr = storage.write_port()
        rd = storage.read_port(domain="comb")
        wr_ptr = Signal(range(depth))
        rd_ptr = Signal(range(depth))

        do_push = self.input.valid
        do_pop = self.pop & ~self.empty
        m.d.comb += [
            self.empty.eq(self.count == 0),
            wr.addr.eq(wr_ptr), wr.data.eq(self.input.payload), wr.en.eq(do_push),
            rd.addr.eq(rd_ptr), self.head.eq(rd.data),
        ]
        with m.If(do_push):
            m.d.sync += wr_ptr.eq(0 if depth == 1 else (wr_ptr + 1) % depth)
        with m.If(do_pop):
            m.d.sync += rd_ptr.eq(0 if depth == 1 else (rd_ptr + 1) % depth)
        with m.If(do_push & ~do_pop):
            m.d.sync += self.count.eq(self.count + 1)
        with m.Elif(do_pop & ~do_push):
            m.d.sync += self.count.eq(self.count - 1)
        return m
