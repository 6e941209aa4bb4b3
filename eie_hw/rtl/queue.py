"""The activation queue of a PE: a FIFO of columns ``(value, start, end)``."""

from amaranth import Array, Cat, Const, Module, Mux, Signal, Value, signed
from amaranth.lib import data, stream
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out
from amaranth.utils import exact_log2

from .checks import ConfigComponent

__all__ = ["ActivationQueue", "column_item_layout"]


def column_item_layout(config):
    """One queued column: the broadcast activation and the entry addresses ``start`` …
    ``end - 1`` of its entries in this PE (its pointers ``p[j]``, ``p[j + 1]``)."""
    return data.StructLayout({"value": signed(config.act_width),
                              "start": config.ptr_width, "end": config.ptr_width})


class ActivationQueue(ConfigComponent):
    """FIFO of ``config.fifo_depth`` non-empty columns, written up to ``broadcast_width``
    (``k``) at a time.

    The items of one cycle (the valid ones among the ``k`` inputs, lowest input first) take
    consecutive places, so the queue keeps the order of the broadcast. The storage is ``k``
    interleaved banks (``storage`` when ``k`` is 1, else ``storage0`` …): place ``i`` is row
    ``i // k`` of bank ``i % k``, so a cycle's items go to ``k`` different banks, each with
    one write port.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    input : In(stream.Signature(column_item_layout, always_ready=True)).array(k)
        Items to append. The PE accounts for every item on its way (``fifo_depth`` at most),
        so the queue is never written beyond its depth.
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
            "input": In(stream.Signature(column_item_layout(config),
                                         always_ready=True)).array(config.broadcast_width),
            "pop": In(1),
            "head": Out(column_item_layout(config)),
            "count": Out(range(config.fifo_depth + 1)),
            "empty": Out(1),
        })

    def elaborate(self, platform):
        cfg = self._config
        depth, k = cfg.fifo_depth, cfg.broadcast_width
        rows = depth // k
        bank_bits = exact_log2(k)
        m = Module()
        wr_ptr = Signal(range(depth))
        rd_ptr = Signal(range(depth))
        valid = Cat(self.input[lane].valid for lane in range(k))
        # Each valid input's place after the write pointer: the valid inputs below it.
        ranks = [sum(valid[:lane]) if lane else Const(0) for lane in range(k)]
        written = Signal(range(k + 1))
        m.d.comb += written.eq(sum(valid))
        wr_bank, wr_row = wr_ptr[:bank_bits], wr_ptr[bank_bits:]
        rd_bank, rd_row = rd_ptr[:bank_bits], rd_ptr[bank_bits:]
        heads = []
        for bank in range(k):
            name = "storage" if k == 1 else f"storage{bank}"
            m.submodules[name] = storage = Memory(shape=column_item_layout(cfg), depth=rows,
                                                  init=[])
            wr = storage.write_port()
            rd = storage.read_port(domain="comb")
            m.d.comb += rd.addr.eq(rd_row)
            heads.append(rd.data)
            if k == 1:
                m.d.comb += [wr.addr.eq(wr_ptr), wr.data.eq(self.input[0].payload),
                             wr.en.eq(valid[0])]
                continue
            # This bank takes the item of rank (bank - wr_bank) mod k, in the write pointer's
            # row or, for a bank below the pointer's, the next. (At most one item matches; an
            # AND-OR select instead of this If chain synthesizes larger on the ECP5 at k = 4:
            # 1,361 against 1,080 LUT4 for the queue.)
            rank = Signal(bank_bits, name=f"rank{bank}")
            m.d.comb += rank.eq(bank - wr_bank)
            row = Signal(range(rows), name=f"row{bank}")
            below = bank < wr_bank
            m.d.comb += row.eq(Mux(below & (wr_row == rows - 1), 0, wr_row + below))
            m.d.comb += wr.addr.eq(row)
            for lane in range(k):
                with m.If(valid[lane] & (ranks[lane] == rank)):
                    m.d.comb += [wr.en.eq(1), wr.data.eq(self.input[lane].payload)]
        m.d.comb += self.head.eq(Array(Value.cast(h) for h in heads)[rd_bank] if k > 1
                                 else heads[0])

        do_pop = self.pop & ~self.empty
        m.d.comb += self.empty.eq(self.count == 0)
        advanced = wr_ptr + written
        with m.If(written != 0):
            m.d.sync += wr_ptr.eq(Mux(advanced >= depth, advanced - depth, advanced))
        with m.If(do_pop):
            m.d.sync += rd_ptr.eq(0 if depth == 1 else (rd_ptr + 1) % depth)
        m.d.sync += self.count.eq(self.count + written - do_pop)
        return m
