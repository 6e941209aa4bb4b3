"""Constructor checks (eie_hw.rtl.checks): a rejected component leaves no "created but never
used" warning behind, and a valid one is still tracked where it was made."""

import gc
import re
import warnings

import pytest
from amaranth import Module
from amaranth.hdl import Fragment, UnusedElaboratable
from amaranth.lib.wiring import Out

from boards.uart import UARTRx, UARTTx
from eie_hw.rtl.checks import CheckedComponent
from eie_hw.rtl.lnzd import LNZD
from eie_hw.rtl.pe import PE


class Counter(CheckedComponent):
    """A minimal checked component: ``width`` must be positive."""

    count: Out(4)

    @classmethod
    def check_args(cls, width, *, name="counter"):
        if width < 1:
            raise ValueError(f"Counter width must be positive, not {width!r}")

    def __init__(self, width, *, name="counter"):
        self.width, self.label = width, name
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        m.d.comb += self.count.eq(self.width)
        return m


def unused_warnings(make):
    """Call ``make``; returns ``(error message or None, UnusedElaboratable warnings)`` after
    every object it made has been collected."""
    # Amaranth reports unused elaboratables only once something has been elaborated.
    Fragment.get(Module(), None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        message = None
        try:
            make()
        except (TypeError, ValueError) as error:
            message = str(error)
        gc.collect()
    return message, [w for w in caught if issubclass(w.category, UnusedElaboratable)]


@pytest.mark.parametrize("make, message", [
    (lambda: UARTRx(1), r"UART divisor must be at least 2, not 1"),
    (lambda: UARTTx(2.0), r"UART divisor must be an integer, not 2\.0"),
    (lambda: Counter(0), r"Counter width must be positive, not 0"),
    (lambda: Counter(width=-1, name="x"), r"Counter width must be positive, not -1"),
    # The RTL's own checks (eie_hw.rtl.checks.ConfigComponent, LNZD).
    (lambda: LNZD(3), r"LNZD: n must be a power of two in 1…256, not 3"),
    (lambda: PE({"n_pes": 4}), r"PE: config must be an EIEConfig, not dict"),
])
def test_rejected_component_is_not_reported_unused(make, message):
    error, unused = unused_warnings(make)
    assert error is not None and re.fullmatch(message, error), error
    assert unused == []


def test_valid_component_is_built_and_tracked_at_the_callers_line():
    def make():
        counter = Counter(3, name="c")
        assert (counter.width, counter.label, len(counter.count)) == (3, "c", 4)

    error, unused = unused_warnings(make)
    assert error is None
    assert [(w.filename, w.lineno) for w in unused] == [(__file__, line_of('Counter(3, name="c")'))]


def line_of(text):
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if text in line and "line_of" not in line)
