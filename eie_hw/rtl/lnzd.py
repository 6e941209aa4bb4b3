"""Leading non-zero detection (LNZD) over the PEs' non-zero flags: a tree of 4-input nodes."""

from amaranth import Cat, Module, Mux, Signal
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from .checks import CheckedComponent

__all__ = ["LNZD"]


def _node(m, children):
    """One tree node over 2…4 ``(valid, index)`` children: the first valid child wins."""
    fan = len(children)
    valid = Signal()
    sel = Signal(ceil_log2(fan))
    m.d.comb += valid.eq(Cat(v for v, _ in children).any())
    # Priority: the lowest valid child (default: the last one, irrelevant when none is valid).
    choice = fan - 1
    for i in reversed(range(fan - 1)):
        choice = Mux(children[i][0], i, choice)
    m.d.comb += sel.eq(choice)
    width = len(children[0][1])
    index = Signal(width + len(sel))
    if width:
        low = children[fan - 1][1]
        for i in reversed(range(fan - 1)):
            low = Mux(sel == i, children[i][1], low)
        m.d.comb += index.eq(Cat(low, sel))
    else:
        m.d.comb += index.eq(sel)
    return valid, index


class LNZD(CheckedComponent):
    """The lowest set bit of ``flags`` (the paper's leading non-zero detector).

    A quadtree of 4-input nodes; when ``log2(n)`` is odd the root has 2 inputs.

    Parameters
    ----------
    n : int
        Number of flags, a power of two in 1…256 (the PE count).

    Ports
    -----
    flags : In(n)
    valid : Out(1)
        Some flag is set.
    index : Out(range(n))
        The lowest set flag (meaningless when none is: ``n - 1``; use it with ``valid``).
    """

    @classmethod
    def check_args(cls, n):
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"LNZD: n must be an integer, not {n!r}")
        if not 1 <= n <= 256 or n & (n - 1):
            raise ValueError(f"LNZD: n must be a power of two in 1…256, not {n!r}")

    def __init__(self, n):
        self._n = n
        super().__init__({
            "flags": In(n),
            "valid": Out(1),
            "index": Out(max(1, ceil_log2(n))),
        })

    def elaborate(self, platform):
        m = Module()
        nodes = [(self.flags[i], Signal(0)) for i in range(self._n)]
        while len(nodes) > 1:
            fan = 4 if len(nodes) % 4 == 0 else 2
            nodes = [_node(m, nodes[i:i + fan]) for i in range(0, len(nodes), fan)]
        valid, index = nodes[0]
        m.d.comb += [self.valid.eq(valid), self.index.eq(index)]
        return m
