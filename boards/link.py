"""The EIE array behind the host link: frame engine + :class:`eie_hw.rtl.top.EIETop`, with or
without the UART."""

from amaranth import Module
from amaranth.lib import stream, wiring
from amaranth.lib.fifo import SyncFIFO
from amaranth.lib.wiring import In, Out

from eie_hw.protocol import ERROR_BITS
from eie_hw.rtl.top import EIETop

from .engine import FrameEngine
from .uart import UARTRx, UARTTx

__all__ = ["EIEByteLink", "EIELink", "RX_FIFO_DEPTH"]

#: Received bytes that can wait while the engine answers (an error response is 7–9 bytes).
RX_FIFO_DEPTH = 16


class EIEByteLink(wiring.Component):
    """:class:`~boards.engine.FrameEngine` driving an :class:`~eie_hw.rtl.top.EIETop`, on byte
    streams (the simulation transport's fast mode and the inside of :class:`EIELink`).

    Parameters
    ----------
    config : EIEConfig
        The array's configuration; the frame engine checks every word against it.

    Members
    -------
    rx : In(stream.Signature(8))
        Request bytes from the host (SLIP frames, :mod:`boards.frame`).
    tx : Out(stream.Signature(8))
        Response bytes to the host.
    busy, done, error, bad_frame : Out
        The array's job status and the engine's bad-frame pulse, for status LEDs.
    """

    rx: In(stream.Signature(8))
    tx: Out(stream.Signature(8))
    busy: Out(1)
    done: Out(1)
    error: Out(ERROR_BITS)
    bad_frame: Out(1)

    def __init__(self, config):
        self._config = config
        self._engine = FrameEngine(config)     # validates config
        super().__init__()

    @property
    def config(self):
        return self._config

    def elaborate(self, platform):
        m = Module()
        engine = m.submodules.engine = self._engine
        eie = m.submodules.eie = EIETop(self._config)
        wiring.connect(m, host=wiring.flipped(self.rx), engine=engine.rx)
        wiring.connect(m, engine=engine.tx, host=wiring.flipped(self.tx))
        wiring.connect(m, engine=engine.eie, eie=eie.host)
        m.d.comb += [self.busy.eq(eie.host.busy), self.done.eq(eie.host.done),
                     self.error.eq(eie.host.error), self.bad_frame.eq(engine.bad_frame)]
        return m


class EIELink(wiring.Component):
    """:class:`EIEByteLink` on a UART (8N1, ``divisor`` clock cycles per bit) with a receive
    FIFO of :data:`RX_FIFO_DEPTH` bytes.

    Parameters
    ----------
    config : EIEConfig
    divisor : int

    Members
    -------
    rx : In(1)
    tx : Out(1)
    busy, done, error, bad_frame : Out
    """

    rx: In(1, init=1)
    tx: Out(1, init=1)
    busy: Out(1)
    done: Out(1)
    error: Out(ERROR_BITS)
    bad_frame: Out(1)

    def __init__(self, config, *, divisor):
        self._uart_rx = UARTRx(divisor)
        self._uart_tx = UARTTx(divisor)
        self._core = EIEByteLink(config)
        self._divisor = divisor
        super().__init__()

    @property
    def config(self):
        return self._core.config

    @property
    def divisor(self):
        return self._divisor

    def elaborate(self, platform):
        m = Module()
        urx = m.submodules.uart_rx = self._uart_rx
        utx = m.submodules.uart_tx = self._uart_tx
        core = m.submodules.core = self._core
        fifo = m.submodules.rx_fifo = SyncFIFO(width=8, depth=RX_FIFO_DEPTH)
        m.d.comb += [urx.rx.eq(self.rx), self.tx.eq(utx.tx),
                     fifo.w_data.eq(urx.data.payload), fifo.w_en.eq(urx.data.valid),
                     urx.data.ready.eq(fifo.w_rdy),
                     core.rx.payload.eq(fifo.r_data), core.rx.valid.eq(fifo.r_rdy),
                     fifo.r_en.eq(core.rx.ready)]
        wiring.connect(m, core=core.tx, uart=utx.data)
        m.d.comb += [self.busy.eq(core.busy), self.done.eq(core.done),
                     self.error.eq(core.error), self.bad_frame.eq(core.bad_frame)]
        return m
