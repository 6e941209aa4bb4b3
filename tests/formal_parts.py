"""Reaching inside an elaborated design, for formal property harnesses.

A harness states properties about a block's internals (a PE's queue, the CCU's slot scan)
without changing the RTL: it elaborates the block itself (:func:`open_design`), reads the
ports of its submodules (:func:`part`) and, where a property or an induction needs it, a
register or a wire of a submodule (:func:`driven`), and adds the elaborated fragment to its
own module in place of the block. Reading a signal never drives it, so the block behaves
exactly as when it is used unopened.

Also :func:`small_config`: the smallest :class:`~eie_hw.config.EIEConfig` the checks use, with
the fields a property depends on given explicitly.
"""

from amaranth.hdl import Fragment

from eie_hw.config import EIEConfig

__all__ = ["driven", "open_design", "part", "small_config"]


def small_config(**fields):
    """An :class:`EIEConfig` with the narrowest widths and shallowest memories it allows
    (2-bit activations and weights, 2-bit pointers: columns of at most three entries, one
    entry per sparse-matrix word), overridden by ``fields``."""
    base = dict(n_pes=1, fifo_depth=3, weight_index_bits=1, rel_index_bits=1, act_width=2,
                act_frac_bits=0, weight_width=2, weight_frac_bits=0, spmat_word_bits=2,
                ptr_width=2, act_depth=2, spmat_depth=4, ptr_depth=4, bias_depth=1,
                max_layers=1)
    base.update(fields)
    return EIEConfig(**base)


def open_design(design, platform=None):
    """``design`` elaborated into its :class:`~amaranth.hdl.Fragment` (add that fragment as a
    submodule instead of ``design``; elaborating it twice would drive its ports twice)."""
    return Fragment.get(design, platform)


def _subfragment(fragment, name):
    for sub, sub_name, _src_loc in fragment.subfragments:
        if sub_name == name:
            return sub
    names = [n for _s, n, _l in fragment.subfragments]
    raise LookupError(f"no submodule {name!r} (there are {names})")


def part(fragment, path):
    """The fragment and the elaboratable (its ports) of submodule ``path`` (dotted:
    ``"pe0.queue"``) of ``fragment``."""
    for name in path.split("."):
        fragment = _subfragment(fragment, name)
    return fragment, fragment.origins[0]


def driven(fragment, name, domain="sync"):
    """The signal named ``name`` that ``fragment``'s own statements drive in ``domain``
    (``"sync"``: a register local to its ``elaborate``; ``"comb"``: a local wire)."""
    found = {id(s): s for st in fragment.statements.get(domain, ()) for s in st._lhs_signals()
             if s.name == name}
    if len(found) != 1:
        raise LookupError(f"{len(found)} {domain} signals named {name!r}")
    return next(iter(found.values()))
