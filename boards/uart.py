"""8N1 UART receiver and transmitter (amaranth-stdio is not installable from PyPI).

Both take ``divisor``, the clock cycles per bit (``round(clk_freq / baud)``, at least 2).
"""

from amaranth import Cat, Const, Module, Signal
from amaranth.lib import stream
from amaranth.lib.cdc import FFSynchronizer
from amaranth.lib.wiring import In, Out

from eie_hw.rtl.checks import CheckedComponent

__all__ = ["UARTRx", "UARTTx", "divisor_for"]


def divisor_for(clk_freq, baud):
    """Clock cycles per bit for ``baud`` at ``clk_freq`` Hz (``ValueError`` beyond 2 % error
    or below 2 cycles per bit)."""
    divisor = round(clk_freq / baud)
    if divisor < 2:
        raise ValueError(f"baud rate {baud} is too fast for a {clk_freq / 1e6:g} MHz clock")
    if abs(clk_freq / divisor - baud) / baud > 0.02:
        raise ValueError(f"baud rate {baud} is more than 2 % off at {clk_freq / 1e6:g} MHz "
                         f"(closest {clk_freq / divisor:.0f})")
    return divisor


def _check_divisor(divisor):
    if isinstance(divisor, bool) or not isinstance(divisor, int):
        raise TypeError(f"UART divisor must be an integer, not {divisor!r}")
    if divisor < 2:
        raise ValueError(f"UART divisor must be at least 2, not {divisor!r}")


class UARTRx(CheckedComponent):
    """Receives 8N1 bytes from ``rx`` (idle high; synchronised inside).

    A byte whose stop bit is low is dropped and pulses ``frame_error``. A byte not taken by
    the time the next one is complete is replaced and pulses ``overrun``.

    Members
    -------
    rx : In(1)
    data : Out(stream.Signature(8))
    frame_error, overrun : Out(1)
    """

    rx: In(1, init=1)
    data: Out(stream.Signature(8))
    frame_error: Out(1)
    overrun: Out(1)

    @classmethod
    def check_args(cls, divisor):
        _check_divisor(divisor)

    def __init__(self, divisor):
        self._divisor = divisor
        super().__init__()

    @property
    def divisor(self):
        return self._divisor

    def elaborate(self, platform):
        div = self._divisor
        m = Module()
        rx = Signal(init=1)
        m.submodules.sync_rx = FFSynchronizer(self.rx, rx, init=1)

        timer = Signal(range(div))
        bit = Signal(range(9))
        shreg = Signal(8)
        m.d.comb += [self.frame_error.eq(0), self.overrun.eq(0)]
        with m.If(self.data.ready):
            m.d.sync += self.data.valid.eq(0)

        with m.FSM():
            with m.State("IDLE"):
                with m.If(~rx):
                    m.d.sync += timer.eq(div // 2 - 1 if div > 2 else 0)
                    m.next = "START"
            with m.State("START"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Elif(rx):                    # glitch, not a start bit
                    m.next = "IDLE"
                with m.Else():
                    m.d.sync += [timer.eq(div - 1), bit.eq(0)]
                    m.next = "DATA"
            with m.State("DATA"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    m.d.sync += [timer.eq(div - 1), shreg.eq(Cat(shreg[1:], rx))]
                    m.d.sync += bit.eq(bit + 1)
                    with m.If(bit == 7):
                        m.next = "STOP"
            with m.State("STOP"):
                with m.If(timer != 0):
                    m.d.sync += timer.eq(timer - 1)
                with m.Else():
                    with m.If(rx):
                        m.d.sync += [self.data.payload.eq(shreg), self.data.valid.eq(1)]
                        m.d.comb += self.overrun.eq(self.data.valid & ~self.data.ready)
                    with m.Else():
                        m.d.comb += self.frame_error.eq(1)
                    m.next = "IDLE"
        return m


class UARTTx(CheckedComponent):
    """Sends the bytes of ``data`` as 8N1 on ``tx`` (idle high).

    Members
    -------
    data : In(stream.Signature(8))
    tx : Out(1)
    """

    data: In(stream.Signature(8))
    tx: Out(1, init=1)

    @classmethod
    def check_args(cls, divisor):
        _check_divisor(divisor)

    def __init__(self, divisor):
        self._divisor = divisor
        super().__init__()

    @property
    def divisor(self):
        return self._divisor

    def elaborate(self, platform):
        div = self._divisor
        m = Module()
        timer = Signal(range(div))
        bits = Signal(10, init=0x3FF)      # stop, data[7:0], start — sent LSB first
        left = Signal(range(11))
        m.d.comb += [self.data.ready.eq(left == 0), self.tx.eq(bits[0])]
        with m.If(self.data.valid & self.data.ready):
            m.d.sync += [bits.eq(self.data.payload.shift_left(1) | (1 << 9)), left.eq(10),
                         timer.eq(div - 1)]
        with m.Elif(left != 0):
            with m.If(timer != 0):
                m.d.sync += timer.eq(timer - 1)
            with m.Else():
                m.d.sync += [timer.eq(div - 1), bits.eq(Cat(bits[1:], Const(1, 1))),
                             left.eq(left - 1)]
        return m
