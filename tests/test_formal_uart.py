"""Formal: a byte sent by UARTTx (boards.uart) is received by UARTRx unchanged, at the
configured divisor, within a bounded time, with the next byte sent back to back: a bounded
check from reset for small divisors."""

import pytest
from amaranth import Module, Mux, ResetSignal, Signal
from amaranth.hdl import Assert, Assume, Cover
from amaranth.lib import stream, wiring
from amaranth.lib.wiring import In

from boards.uart import UARTRx, UARTTx
from sim.verify import formal

pytestmark = pytest.mark.skipif(bool(formal.missing_tools()),
                                reason=f"formal tools missing: {formal.missing_tools()}")

#: Divisors checked (cycles per bit): 2 takes the receiver's short start-bit branch, 3 the
#: general one; the boards' divisors at 115200 baud (208 at 24 MHz, 579 at 66.67 MHz) only
#: count further.
DIVISORS = [2, 3]


def latency_bound(divisor):
    """Cycles from a byte's acceptance by UARTTx to its delivery by UARTRx, at most: start and
    eight data bits, half the stop bit, and the receiver's two-flip-flop synchroniser."""
    return 9 * divisor + divisor // 2 + 3


class UARTLoopback(wiring.Component):
    """UARTTx's line wired to UARTRx, the receiver's output always taken, with a scoreboard of
    the bytes in flight (a queue of two: a byte is delivered before the next one's stop bit
    ends). Asserted: every delivered byte is the oldest byte in flight, none is delivered when
    none is in flight, no frame error or overrun, and the oldest byte in flight is at most
    :func:`latency_bound` cycles old. ``send`` is free: any byte, any time the transmitter
    takes one. ``corrupt`` inverts the line during a byte's first data bit (a broken variant:
    the test that shows the properties can fail)."""

    send: In(stream.Signature(8))

    def __init__(self, divisor, *, corrupt=False):
        self._divisor, self._corrupt = divisor, corrupt
        super().__init__()

    def elaborate(self, platform):
        div = self._divisor
        m = Module()
        tx = m.submodules.tx = UARTTx(div)
        rx = m.submodules.rx = UARTRx(div)
        wiring.connect(m, source=wiring.flipped(self.send), sink=tx.data)
        m.d.comb += [rx.data.ready.eq(1), Assume(~ResetSignal())]

        # Section: the line, inverted during the first data bit of each byte if `corrupt`.
        if self._corrupt:
            since = Signal(range(2 * div + 1), init=2 * div)
            with m.If(tx.data.valid & tx.data.ready):
                m.d.sync += since.eq(0)
            with m.Elif(since != 2 * div):
                m.d.sync += since.eq(since + 1)
            m.d.comb += rx.rx.eq(tx.tx ^ ((since >= div) & (since < 2 * div)))
        else:
            m.d.comb += rx.rx.eq(tx.tx)

        # Section: scoreboard: bytes in flight (q0 the oldest) and their ages in cycles.
        q0, q1 = Signal(8), Signal(8)
        bound = latency_bound(div)
        a0, a1 = Signal(range(bound + 2)), Signal(range(bound + 2))
        n = Signal(range(3))
        sent = tx.data.valid & tx.data.ready
        got = rx.data.valid
        byte = self.send.payload
        m.d.comb += [Assert(~(sent & ~got & (n == 2))),
                     Assert(~rx.frame_error), Assert(~rx.overrun),
                     Assert(tx.data.ready | (n != 0))]       # a byte on the line is in flight
        with m.If(got):
            m.d.comb += [Assert(n != 0), Assert(rx.data.payload == q0)]
        with m.If(n != 0):
            m.d.comb += Assert(a0 <= bound)
        m.d.sync += [a0.eq(Mux(a0 == bound + 1, a0, a0 + 1)),
                     a1.eq(Mux(a1 == bound + 1, a1, a1 + 1))]
        with m.If(got):
            m.d.sync += [q0.eq(q1), a0.eq(a1 + 1)]
            with m.If(sent & (n == 2)):
                m.d.sync += [q1.eq(byte), a1.eq(0)]
            with m.Elif(sent):
                m.d.sync += [q0.eq(byte), a0.eq(0)]
            with m.Else():
                m.d.sync += n.eq(n - 1)
        with m.Elif(sent):
            with m.If(n == 0):
                m.d.sync += [q0.eq(byte), a0.eq(0)]
            with m.Else():
                m.d.sync += [q1.eq(byte), a1.eq(0)]
            m.d.sync += n.eq(n + 1)
        m.d.comb += Cover(got)
        return m


def bmc_depth(divisor):
    """Cycles checked: the first byte delivered and the second one accepted (back to back)."""
    return latency_bound(divisor) + 4


@pytest.mark.parametrize("divisor", DIVISORS)
def test_uart_loopback(tmp_path, divisor):
    """Bounded (``bmc``, :func:`bmc_depth` cycles from reset). k-induction does not close:
    with bytes sent back to back, a receiver started in the middle of a frame can stay out
    of step with the transmitter (a data bit taken for a start bit) for as long as the
    bytes allow, a state that no bounded induction step rules out."""
    depth = bmc_depth(divisor)
    result = formal.check(UARTLoopback(divisor), tmp_path, mode="bmc", depth=depth,
                          name=f"uart{divisor}")
    print(f"divisor {divisor}: no violation in {depth} cycles ({result.seconds:.1f} s)")


def test_uart_loopback_delivers(tmp_path):
    """Not vacuous: a byte is delivered within the checked depth (cover)."""
    formal.check(UARTLoopback(2), tmp_path, mode="cover", depth=bmc_depth(2),
                 name="uart_cover")


def test_corrupted_line_is_caught(tmp_path):
    """The line inverted during the first data bit: the check finds the wrong byte."""
    with pytest.raises(formal.FormalFailure) as failure:
        formal.check(UARTLoopback(2, corrupt=True), tmp_path, mode="bmc",
                     depth=bmc_depth(2), name="uart_corrupt")
    assert failure.value.status == "FAIL" and failure.value.traces
