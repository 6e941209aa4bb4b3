"""Register bits of the elaborated RTL, for the clock and leakage terms of the energy model."""

import re
from functools import lru_cache

from amaranth.back import rtlil

from eie_hw.config import EIEConfig

from .ccu import CCU
from .compat import without_memory_init
from .counters import ActionCounters
from .pe import PE

__all__ = ["register_bits"]

_DFF = re.compile(r"^\s*cell \\?\$\w*dff\w* .*\n((?:\s*parameter .*\n)*)", re.MULTILINE)
_WIDTH = re.compile(r"parameter \\WIDTH (\d+)")


def _flop_bits(component):
    with without_memory_init():
        source = rtlil.convert(component, name="top")
    return sum(int(_WIDTH.search(params).group(1)) for params in _DFF.findall(source))


@lru_cache(maxsize=16)
def register_bits(config):
    """Flip-flop bits of one PE, of the CCU and of the array's action counters
    (:class:`~.counters.ActionCounters`) for ``config``: ``{"pe": int, "ccu": int,
    "counters": int}``.

    Counted on the RTLIL that Amaranth elaborates (its ``$dff`` cells, before any synthesis);
    memories (``$mem`` cells: SRAM or register-file macros, and the registered read ports
    inside them) are not flip-flops here. Takes about a second per configuration.
    """
    if not isinstance(config, EIEConfig):
        raise TypeError(f"config must be an EIEConfig, not {type(config).__name__}")
    return {"pe": _flop_bits(PE(config)), "ccu": _flop_bits(CCU(config)),
            "counters": _flop_bits(ActionCounters(config))}
