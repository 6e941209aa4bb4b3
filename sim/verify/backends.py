"""One entry point for every RTL simulation backend: the Amaranth simulator, the exported
Verilog on the native engine (Verilated, clock in C++: :mod:`sim.verify.native`), or under
Verilator or Icarus Verilog (cocotb bench)."""

import numpy as np

__all__ = ["BACKENDS", "simulate_rtl"]

#: The RTL backends, fastest to build first.
BACKENDS = ("amaranth", "native", "verilator", "icarus")


def simulate_rtl(image, inputs, backend="amaranth", *, progress=None):
    """Every fixed-point input of ``inputs`` (``(batch, n_in)`` or ``(n_in,)``, original order)
    through ``image`` on ``backend``, the image loaded once: a
    :class:`~eie_hw.host.session.BatchResult`. ``progress(i)`` is called after input ``i``.

    The cocotb backends check every job against the golden and cycle models on the way and
    raise ``RuntimeError`` on a mismatch; the Amaranth and native backends return what the RTL
    computed (the native one raises :class:`~sim.verify.scoreboard.JobFailure` if a job never
    ends).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    inputs = np.asarray(inputs)
    if backend == "amaranth":
        from .amaranth_host import simulate
        return simulate(image, inputs, progress=progress)
    if backend == "native":
        from .native import simulate
        return simulate(image, inputs, progress=progress)
    from .cocotb_bench.batch import run_batch
    return run_batch(image, np.atleast_2d(inputs), simulator=backend, progress=progress)
