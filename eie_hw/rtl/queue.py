"""The activation queue of a PE: a FIFO of ``(value, column)`` pairs."""

from amaranth import Module, Signal, signed
from amaranth.lib import data
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import column_bits

from .checks import ConfigComponent

__all__ = ["ActivationQueue"]


class ActivationQueue(ConfigComponent):
    """FIFO of ``config.fifo_depth`` broadcast activations ``(value, column)``.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    push, push_value, push_column : In
        Append an item (ignored when ``full``; the CCU never pushes into a full queue).
    pop : In
        Remove the head (ignored when ``empty``).
    head_value, head_column : Out
        The head item, valid while ``empty`` is low (combinational read of the storage).
    count : Out
        Items held at the start of the cycle (a register): a push needs ``count < depth``.
    full, empty : Out
        ``count == depth`` and ``count == 0``.

    An item pushed in cycle ``t`` is visible (``empty`` low) at ``t + 1`` at the earliest, and
    a pop in ``t`` frees its place at ``t + 1``, so a queue of depth 1 takes every other cycle.
    """

    def __init__(self, config):
        self._config = config
        depth = config.fifo_depth
        super().__init__({
            "push": In(1),
            "push_value": In(signed(config.act_width)),
            "push_column": In(column_bits(config)),
            "pop": In(1),
            "head_value": Out(signed(config.act_width)),
            "head_column": Out(column_bits(config)),
            "count": Out(range(depth + 1)),
            "full": Out(1),
            "empty": Out(1),
        })

    def elaborate(self, platform):
        cfg = self._config
        depth = cfg.fifo_depth
        m = Module()
        item = data.StructLayout({"value": signed(cfg.act_width), "column": column_bits(cfg)})
        m.submodules.storage = storage = Memory(shape=item, depth=depth, init=[])
        wr = storage.write_port()
        rd = storage.read_port(domain="comb")
        wr_ptr = Signal(range(depth))
        rd_ptr = Signal(range(depth))

        do_push = self.push & ~self.full
        do_pop = self.pop & ~self.empty
        m.d.comb += [
            self.full.eq(self.count == depth),
            self.empty.eq(self.count == 0),
            wr.addr.eq(wr_ptr),
            wr.data.value.eq(self.push_value),
            wr.data.column.eq(self.push_column),
            wr.en.eq(do_push),
            rd.addr.eq(rd_ptr),
            self.head_value.eq(rd.data.value),
            self.head_column.eq(rd.data.column),
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
