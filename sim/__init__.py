"""Models, verification and applications of the EIE engine (docs/architecture.md):
:mod:`sim.models` (golden and cycle models), :mod:`sim.verify` (stimulus, the Amaranth host
port, the cocotb bench) and :mod:`sim.apps` (the ``eie`` command and the Python API).

``from sim import EIEModel`` gives the Python API (:class:`sim.apps.api.EIEModel`); it is
imported on first use, so ``import sim.models`` stays light.
"""

__all__ = ["EIEModel"]


def __getattr__(name):
    if name == "EIEModel":
        from sim.apps.api import EIEModel
        return EIEModel
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
