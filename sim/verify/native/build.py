"""Build the native engine of one configuration: the exported Verilog of ``EIETop`` Verilated
with ``harness.cpp`` into a shared library, once per configuration.

A build lives in ``build/native/<config hash>/`` under the project root (or under
``$EIE_NATIVE_CACHE``) and is reused while its fingerprint matches: the exported Verilog's
fingerprint (:func:`sim.verify.cocotb_bench.runner.export`: configuration, every ``eie_hw``
source, Amaranth's version), the harness source and the flow's flags
(:func:`.verilated.verilated_library`, which also holds the directory's lock).
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

from eie_hw.config import EIEConfig
from sim.verify.cocotb_bench.runner import config_hash, export, project_root

from .verilated import NativeBuildError, tools, verilated_library

__all__ = ["NativeBuild", "NativeBuildError", "build_native", "cache_dir", "ctrl_split",
           "HARNESS"]

TOP = "eie_top"
HARNESS = Path(__file__).with_name("harness.cpp")


def ctrl_split(array):
    """The Verilator control file that splits the control (``ctrl`` in the array whose module
    is named ``array``, ``eie_top`` or its path inside a larger top, and ``ctrl_next`` in its
    CCU) per bit, as the cocotb build does. It was needed when PE outputs reached the CCU's
    ``ctrl`` through its push logic (UNOPTFLAT); ``ctrl_next`` is computed from CCU registers
    only, and Verilator reported no UNOPTFLAT without the split at 1, 2 and 8 PEs, so it is a
    precaution now."""
    return (f'`verilator_config\nsplit_var -module "{array}" -var "ctrl"\n'
            f'split_var -module "{array}.ccu" -var "ctrl_next"\n')


@dataclass(frozen=True)
class NativeBuild:
    """A built native engine: ``library`` is the shared library of ``config``; ``seconds`` the
    time spent building (0 when the cached build was reused)."""

    config: EIEConfig
    directory: Path
    library: Path
    seconds: float


def cache_dir():
    """Where native builds live: ``$EIE_NATIVE_CACHE``, else ``build/native`` of the project."""
    return Path(os.environ.get("EIE_NATIVE_CACHE", project_root() / "build" / "native"))


def build_native(config, *, log=print):
    """Export and build the native engine of ``config`` unless a build of the same fingerprint
    exists; a :class:`NativeBuild`.

    Raises
    ------
    TypeError
        ``config`` is not an :class:`~eie_hw.config.EIEConfig`.
    NativeBuildError
        ``verilator``, ``g++`` or ``make`` is missing, or a build step failed (its log named).
    """
    if not isinstance(config, EIEConfig):
        raise TypeError(f"config must be an EIEConfig, not {type(config).__name__}")
    tools()
    start = time.perf_counter()
    source, rtl_fingerprint = export(config, log=log)
    built = verilated_library(cache_dir() / config_hash(config), [source], TOP, HARNESS,
                              fingerprint=rtl_fingerprint, control=ctrl_split(TOP))
    if not built.seconds:
        return NativeBuild(config, built.directory, built.library, 0.0)
    seconds = time.perf_counter() - start
    log(f"built native n_pes={config.n_pes} fifo_depth={config.fifo_depth} in {seconds:.1f} s: "
        f"{built.library}")
    return NativeBuild(config, built.directory, built.library, seconds)
