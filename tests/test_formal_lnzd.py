"""Formal: the LNZD (eie_hw.rtl.lnzd) reports the lowest set flag and their OR, for every
width the configuration allows (powers of two 1…256), proved for all inputs."""

import pytest
from amaranth import Cat, Const, Module
from amaranth.hdl import Assert
from amaranth.lib import wiring
from amaranth.lib.wiring import In

from eie_hw.rtl.lnzd import LNZD
from sim.verify import formal

WIDTHS = [1 << k for k in range(9)]          # LNZD.check_args: powers of two in 1…256

pytestmark = pytest.mark.skipif(bool(formal.missing_tools()),
                                reason=f"formal tools missing: {formal.missing_tools()}")


class LNZDProperties(wiring.Component):
    """One :class:`LNZD` per width of ``widths``, its flags a free input ``flags<n>``, with the
    contract as assertions: ``valid`` is the OR of the flags; when it is set, ``index`` is
    below ``n``, its flag is set and every flag below it is clear.

    ``swap_low`` wires flags 0 and 1 to the LNZD crossed (a broken variant for the test that
    shows the properties can fail)."""

    def __init__(self, widths, *, swap_low=False):
        self._widths, self._swap = list(widths), swap_low
        super().__init__({f"flags{n}": In(n) for n in self._widths})

    def elaborate(self, platform):
        m = Module()
        for n in self._widths:
            dut = m.submodules[f"lnzd{n}"] = LNZD(n)
            flags = getattr(self, f"flags{n}")
            wired = Cat(flags[1], flags[0], flags[2:]) if self._swap and n >= 2 else flags
            below = (Const(1, n + 1) << dut.index)[:n] - 1      # the flags under `index`
            m.d.comb += [dut.flags.eq(wired), Assert(dut.valid == flags.any())]
            with m.If(dut.valid):
                m.d.comb += [Assert(dut.index < n),
                             Assert(flags.bit_select(dut.index, 1)),
                             Assert((flags & below) == 0)]
        return m


def test_lnzd_lowest_set_flag_all_widths(tmp_path):
    """All nine widths in one job. Combinational: induction of depth 1 is a proof for every
    input (2**256 patterns at the largest width)."""
    result = formal.check(LNZDProperties(WIDTHS), tmp_path, mode="prove", depth=1,
                          name="lnzd")
    print(f"proved widths {WIDTHS} in {result.seconds:.1f} s")


def test_broken_lnzd_is_refused(tmp_path):
    """Flags 0 and 1 crossed: the prover finds the input that shows it, with a trace."""
    with pytest.raises(formal.FormalFailure) as failure:
        formal.check(LNZDProperties([4], swap_low=True), tmp_path, mode="prove", depth=1,
                     name="lnzd_broken")
    assert failure.value.status == "FAIL"
    assert failure.value.traces and all(t.exists() for t in failure.value.traces)
