"""The pointer read unit: column pointers ``p[j]`` and ``p[j + 1]`` in one cycle."""

from amaranth import Module, Shape, Signal
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import layer_layout

from .checks import ConfigComponent

__all__ = ["PointerReadUnit"]


class PointerReadUnit(ConfigComponent):
    """Two single-read pointer banks (``ptr_even``, ``ptr_odd``) read as one wide pointer.

    Pointer address ``a`` lives in bank ``a % 2`` at row ``a // 2``; a read of ``a`` fetches
    row ``a // 2 + a % 2`` of the even bank and row ``a // 2`` of the odd bank, so ``p[a]``
    and ``p[a + 1]`` come out together.

    The banks read ``rd_addr`` in every cycle, without a read enable: the cycle after
    ``rd_en`` takes the banks' outputs, later cycles a register that holds them. A read enable
    would put the PE's pop decision (which depends on these pointers) on the banks' clock
    enable, a second trip to the block RAM in the same cycle (docs/boards.md).

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    rd_en, rd_addr : In
        Read pointers ``rd_addr`` and ``rd_addr + 1`` (absolute pointer addresses).
    start, end : Out
        The two pointers, valid from the cycle after ``rd_en`` and held until the next read.
    wr_en, wr_odd, wr_addr, wr_data : In
        Host write of row ``wr_addr`` of the odd (``wr_odd``) or even bank.
    """

    def __init__(self, config):
        self._config = config
        rows = config.ptr_depth // 2
        super().__init__({
            "rd_en": In(1),
            "rd_addr": In(Shape.cast(layer_layout(config)["ptr_base"].shape).width + 1),
            "start": Out(config.ptr_width),
            "end": Out(config.ptr_width),
            "wr_en": In(1),
            "wr_odd": In(1),
            "wr_addr": In(range(rows)),
            "wr_data": In(config.ptr_width),
        })

    def elaborate(self, platform):
        cfg = self._config
        rows = cfg.ptr_depth // 2
        m = Module()
        m.submodules.ptr_even = even = Memory(shape=cfg.ptr_width, depth=rows, init=[])
        m.submodules.ptr_odd = odd = Memory(shape=cfg.ptr_width, depth=rows, init=[])
        even_rd, odd_rd = even.read_port(), odd.read_port()
        even_wr, odd_wr = even.write_port(), odd.write_port()

        row = self.rd_addr[1:]
        is_odd = self.rd_addr[0]
        odd_d = Signal()
        fresh = Signal()                        # the banks' outputs are this read's pointers
        held_start, held_end = Signal.like(self.start), Signal.like(self.end)
        m.d.sync += [odd_d.eq(is_odd), fresh.eq(self.rd_en),
                     held_start.eq(self.start), held_end.eq(self.end)]
        m.d.comb += [even_rd.addr.eq(row + is_odd), odd_rd.addr.eq(row)]
        with m.If(~fresh):
            m.d.comb += [self.start.eq(held_start), self.end.eq(held_end)]
        with m.Elif(odd_d):
            m.d.comb += [self.start.eq(odd_rd.data), self.end.eq(even_rd.data)]
        with m.Else():
            m.d.comb += [self.start.eq(even_rd.data), self.end.eq(odd_rd.data)]
        for port, bank in ((even_wr, 0), (odd_wr, 1)):
            m.d.comb += [port.addr.eq(self.wr_addr), port.data.eq(self.wr_data),
                         port.en.eq(self.wr_en & (self.wr_odd == bank))]
        return m
