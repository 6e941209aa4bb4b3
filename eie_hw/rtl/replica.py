"""A register that synthesis keeps as a copy of its own."""

from amaranth import ClockSignal, Instance, Module, ResetSignal, Value
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["ReplicaRegister"]


class ReplicaRegister(wiring.Component):
    """``q`` is ``d`` of the previous cycle (0 after reset): one copy of a value that many
    places need, placed near its users.

    Yosys merges flip-flops with the same input into one (``opt_merge``, even with a ``keep``
    attribute), which would undo the copies: the control register's copy in each group of
    PEs and each PE's copy of it, each PE's copy of the host write word and the CCU's copy
    of the host's words would again be one register driving every user, and the placer would
    pull the logic at either end towards it. On the ECP5 (``platform.family == "ecp5"``) every
    bit is therefore a ``TRELLIS_FF`` instance (synchronous reset to 0, no clock enable), a
    library cell that ``opt_merge`` leaves alone; on other platforms, and in simulation, it is
    an ordinary register (the iCE40 board has one PE, where distance costs little).

    Parameters
    ----------
    shape : shape-like
        The register's shape (a layout gives ``d`` and ``q`` views of it).
    """

    def __init__(self, shape):
        super().__init__({"d": In(shape), "q": Out(shape)})

    def elaborate(self, platform):
        m = Module()
        d, q = Value.cast(self.d), Value.cast(self.q)
        if getattr(platform, "family", None) != "ecp5":
            m.d.sync += q.eq(d)
            return m
        for i in range(len(d)):
            m.submodules[f"ff{i}"] = Instance(
                "TRELLIS_FF", p_GSR="DISABLED", p_CEMUX="1", p_CLKMUX="CLK", p_LSRMUX="LSR",
                p_REGSET="RESET", p_SRMODE="LSR_OVER_CE",
                i_CLK=ClockSignal("sync"), i_LSR=ResetSignal("sync"), i_DI=d[i], o_Q=q[i])
        return m
