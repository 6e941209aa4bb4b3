"""A PE's part of the slot scan: the values of the slots read ahead, and the current one."""

from amaranth import Module, Signal, signed
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import control_layout
from eie_hw.timing import SCAN_AHEAD

from .checks import ConfigComponent

__all__ = ["SlotBuffer"]


class SlotBuffer(ConfigComponent):
    """``SCAN_AHEAD`` activations of the slots the scan has read and the CCU has not yet made
    current, in order (docs/microarchitecture.md, "Slot scan").

    In a cycle with ``ctrl.slot_write`` the registered bank word ``act_data`` is appended;
    ``flag`` tells the CCU whether it is non-zero in that cycle. In a cycle with
    ``ctrl.slot_take`` (the CCU made the oldest slot current in the previous cycle) the oldest
    value moves to ``value``, which therefore holds, in every cycle, the value of the slot
    that was current in the CCU in the previous cycle: the one the winner register refers to.
    The CCU never writes more than ``SCAN_AHEAD`` slots ahead of its takes.

    Parameters
    ----------
    config : EIEConfig

    Ports
    -----
    ctrl : In(control_layout)
    act_data : In
        The source bank's registered word.
    flag : Out
        ``act_data`` is non-zero.
    value : Out
        The activation of the slot current in the previous cycle (a register).
    """

    def __init__(self, config):
        self._config = config
        super().__init__({
            "ctrl": In(control_layout(config)),
            "act_data": In(signed(config.act_width)),
            "flag": Out(1),
            "value": Out(signed(config.act_width)),
        })

    def elaborate(self, platform):
        cfg = self._config
        ctrl = self.ctrl
        m = Module()
        m.submodules.slots = slots = Memory(shape=signed(cfg.act_width), depth=SCAN_AHEAD,
                                            init=[])
        wr, rd = slots.write_port(), slots.read_port(domain="comb")
        wr_ptr, rd_ptr = Signal(range(SCAN_AHEAD)), Signal(range(SCAN_AHEAD))
        m.d.comb += [wr.addr.eq(wr_ptr), wr.data.eq(self.act_data), wr.en.eq(ctrl.slot_write),
                     rd.addr.eq(rd_ptr), self.flag.eq(self.act_data != 0)]
        with m.If(~ctrl.compute):
            m.d.sync += [wr_ptr.eq(0), rd_ptr.eq(0)]
        with m.Else():
            with m.If(ctrl.slot_write):
                m.d.sync += wr_ptr.eq((wr_ptr + 1) % SCAN_AHEAD)
            with m.If(ctrl.slot_take):
                m.d.sync += [rd_ptr.eq((rd_ptr + 1) % SCAN_AHEAD), self.value.eq(rd.data)]
        return m
