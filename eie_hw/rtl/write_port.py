"""The signature of a host write port of one memory: ``en``, ``addr``, ``data``."""

from amaranth.lib import wiring
from amaranth.lib.wiring import Out

__all__ = ["WritePortSignature"]


class WritePortSignature(wiring.Signature):
    """A memory write from the host's side: write ``data`` at ``addr`` when ``en``.

    Parameters
    ----------
    depth : int
        Rows of the memory (``addr`` holds ``0 … depth - 1``).
    width : int
        Bits of ``data``.
    """

    def __init__(self, depth, width):
        super().__init__({"en": Out(1), "addr": Out(range(depth)), "data": Out(width)})
