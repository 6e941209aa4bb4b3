"""Board tops: clock (optional PLL), reset, UART pins, status LEDs and :class:`EIELink`."""

from amaranth import ClockDomain, ClockSignal, Elaboratable, Instance, Module, ResetSignal, Signal
from amaranth.lib import io
from amaranth.lib.cdc import AsyncFFSynchronizer, ResetSynchronizer

from .link import EIELink
from .pll import ecp5_pll_params, ice40_pll_params
from .uart import divisor_for

__all__ = ["BoardTop"]


class BoardTop(Elaboratable):
    """The whole design of one board.

    Parameters
    ----------
    config : EIEConfig
        The array's configuration (a board configuration, :mod:`boards.boards`).
    baud : int
        UART baud rate.
    freq : float or None
        Clock of the design in Hz. ``None`` runs from the board's oscillator; otherwise the
        device's PLL makes it from the oscillator (an ECP5 EHXPLLL, an iCE40 SB_PLL40_PAD).
    """

    def __init__(self, config, *, baud=115200, freq=None):
        self.config = config
        self.baud = baud
        self.freq = freq

    def clock_frequency(self, platform):
        return self.freq or platform.default_clk_frequency

    def elaborate(self, platform):
        m = Module()
        freq = self.clock_frequency(platform)
        # Section: clock and reset: the PLL's output clocks the design, held in reset until
        # the PLL locks; nextpnr derives the output's constraint from the oscillator's.
        if self.freq is not None:
            family = platform.family.lower()
            if family not in ("ice40", "ecp5"):
                raise ValueError(f"a PLL clock is only supported on ECP5 and iCE40, not "
                                 f"{platform.family}")
            clk_in = platform.request(platform.default_clk, dir="-")
            f_in = platform.default_clk_frequency
            lock, clk = Signal(), Signal()
            m.domains.sync = ClockDomain("sync")
            if family == "ice40":
                divr, divf, divq, filter_range, freq = ice40_pll_params(f_in, self.freq)
                # The oscillator's pad feeds the PLL directly (SB_PLL40_PAD: the
                # iCEBreaker's 12 MHz input, pin 35, is the PLL's pad).
                m.submodules.pll = Instance(
                    "SB_PLL40_PAD", p_FEEDBACK_PATH="SIMPLE", p_PLLOUT_SELECT="GENCLK",
                    p_DIVR=divr, p_DIVF=divf, p_DIVQ=divq, p_FILTER_RANGE=filter_range,
                    io_PACKAGEPIN=clk_in.io, i_RESETB=1, i_BYPASS=0,
                    o_PLLOUTGLOBAL=clk, o_LOCK=lock)
            else:
                m.submodules.clk_buf = clk_buf = io.Buffer("i", clk_in)
                clki, clkfb, clkop, freq = ecp5_pll_params(f_in, self.freq)
                m.submodules.pll = Instance(
                    "EHXPLLL",
                    p_PLLRST_ENA="DISABLED", p_INTFB_WAKE="DISABLED", p_STDBY_ENABLE="DISABLED",
                    p_DPHASE_SOURCE="DISABLED", p_OUTDIVIDER_MUXA="DIVA", p_CLKI_DIV=clki,
                    p_CLKFB_DIV=clkfb, p_CLKOP_ENABLE="ENABLED", p_CLKOP_DIV=clkop,
                    p_CLKOP_CPHASE=clkop - 1, p_CLKOP_FPHASE=0, p_FEEDBK_PATH="CLKOP",
                    a_FREQUENCY_PIN_CLKI=f"{f_in / 1e6:g}",
                    a_FREQUENCY_PIN_CLKOP=f"{freq / 1e6:g}",
                    a_ICP_CURRENT="12", a_LPF_RESISTOR="8", a_MFG_ENABLE_FILTEROPAMP="1",
                    a_MFG_GMCREF_SEL="2",
                    i_CLKI=clk_buf.i, i_CLKFB=clk, i_RST=0, i_STDBY=0, i_PHASESEL0=0,
                    i_PHASESEL1=0, i_PHASEDIR=0, i_PHASESTEP=0, i_PHASELOADREG=0,
                    i_PLLWAKESYNC=0, i_ENCLKOP=0, o_CLKOP=clk, o_LOCK=lock)
            m.d.comb += ClockSignal("sync").eq(clk)
            if family == "ecp5":
                # The reset reaches every flip-flop of the design: on the fabric's routing
                # it crosses the die from one register (19 ns in an anchored 16-PE build), so
                # it goes through a DCCA onto a global network, as the clock does.
                rst_local, rst_global = Signal(), Signal()
                m.submodules.reset_sync = AsyncFFSynchronizer(~lock, rst_local,
                                                              o_domain="sync")
                m.submodules.reset_buf = Instance("DCCA", i_CLKI=rst_local, i_CE=1,
                                                  o_CLKO=rst_global)
                m.d.comb += ResetSignal("sync").eq(rst_global)
            else:
                m.submodules.reset_sync = ResetSynchronizer(~lock, domain="sync")

        # Section: UART and the array.
        link = m.submodules.link = EIELink(self.config, divisor=divisor_for(freq, self.baud))
        uart = platform.request("uart", 0, dir="-")
        m.submodules.uart_rx_buf = rx_buf = io.Buffer("i", uart.rx)
        m.submodules.uart_tx_buf = tx_buf = io.Buffer("o", uart.tx)
        m.d.comb += [link.rx.eq(rx_buf.i), tx_buf.o.eq(link.tx)]

        # Section: LEDs 0…3: error or bad frame (held ~0.1 s), done, busy, heartbeat.
        bad_hold = Signal(range(int(freq // 10) + 1))
        with m.If(link.bad_frame):
            m.d.sync += bad_hold.eq(int(freq // 10))
        with m.Elif(bad_hold != 0):
            m.d.sync += bad_hold.eq(bad_hold - 1)
        beat = Signal(range(int(freq) + 1))
        m.d.sync += beat.eq(beat + 1)
        with m.If(beat == int(freq) - 1):
            m.d.sync += beat.eq(0)
        leds = [link.error.any() | (bad_hold != 0), link.done, link.busy, beat < int(freq // 8)]
        for k, value in enumerate(leds):
            if ("led", k) not in platform.resources:
                break
            pin = platform.request("led", k, dir="-")
            buf = m.submodules[f"led{k}_buf"] = io.Buffer("o", pin)
            m.d.comb += buf.o.eq(value)
        return m
