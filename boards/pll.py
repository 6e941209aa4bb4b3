"""PLL settings of the supported FPGA families: the divider values that make a clock.

Each function returns the dividers and the clock they make, the closest to the one asked for
within the PLL's limits; :func:`pll_clock` is the clock alone, for any family.
"""

__all__ = ["ecp5_pll_params", "ice40_pll_params", "pll_clock"]


def ecp5_pll_params(f_in, f_out):
    """``(CLKI_DIV, CLKFB_DIV, CLKOP_DIV, achieved)`` of an EHXPLLL with CLKOP feedback:
    ``f_out = f_in * CLKFB_DIV / CLKI_DIV``, VCO = ``f_out * CLKOP_DIV`` in 400–800 MHz,
    PFD ``f_in / CLKI_DIV`` at least 3.125 MHz. The closest setting wins."""
    best = None
    for clki in range(1, 129):
        if f_in / clki < 3.125e6:
            break
        for clkfb in range(1, 81):
            f = f_in * clkfb / clki
            for clkop in range(1, 129):
                if 400e6 <= f * clkop <= 800e6:
                    err = abs(f - f_out)
                    if best is None or err < best[0]:
                        best = (err, clki, clkfb, clkop, f)
                    break
    if best is None:
        raise ValueError(f"no ECP5 PLL setting for {f_out / 1e6:g} MHz from {f_in / 1e6:g} MHz")
    return best[1:]


def ice40_pll_params(f_in, f_out):
    """``(DIVR, DIVF, DIVQ, FILTER_RANGE, achieved)`` of an SB_PLL40 with SIMPLE feedback
    (iCE40 sysCLOCK PLL user guide, TN1251): ``f_out = f_in * (DIVF + 1) / ((DIVR + 1) *
    2 ** DIVQ)``, PFD ``f_in / (DIVR + 1)`` in 10–133 MHz, VCO ``PFD * (DIVF + 1)`` in
    533–1066 MHz, output 16–275 MHz; ``FILTER_RANGE`` follows from the PFD. The closest
    setting wins."""
    best = None
    for divr in range(16):
        pfd = f_in / (divr + 1)
        if not 10e6 <= pfd <= 133e6:
            continue
        for divf in range(128):
            vco = pfd * (divf + 1)
            if not 533e6 <= vco <= 1066e6:
                continue
            for divq in range(1, 7):
                f = vco / 2 ** divq
                if not 16e6 <= f <= 275e6:
                    continue
                err = abs(f - f_out)
                if best is None or err < best[0]:
                    best = (err, divr, divf, divq, _ice40_filter_range(pfd), f)
    if best is None:
        raise ValueError(f"no iCE40 PLL setting for {f_out / 1e6:g} MHz from "
                         f"{f_in / 1e6:g} MHz")
    return best[1:]


def _ice40_filter_range(pfd):
    """The loop filter setting for a PFD frequency (as IceStorm's ``icepll`` chooses it)."""
    for limit, setting in ((17e6, 1), (26e6, 2), (44e6, 3), (66e6, 4), (101e6, 5)):
        if pfd < limit:
            return setting
    return 6


def pll_clock(family, f_in, f_out):
    """The clock the ``family``'s PLL (``"ecp5"`` or ``"ice40"``) makes from ``f_in`` for
    ``f_out`` (Hz)."""
    if family == "ecp5":
        return ecp5_pll_params(f_in, f_out)[-1]
    if family == "ice40":
        return ice40_pll_params(f_in, f_out)[-1]
    raise ValueError(f"no PLL support for the {family} family")
