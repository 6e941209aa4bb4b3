"""The board link on the native engine: :class:`~boards.link.EIELink` (frame engine, array and
UART) exported as Verilog and Verilated with ``link_harness.cpp``, which toggles the clock and
drives and samples the UART pins in C++; :class:`NativeLinkTransport` is the
:class:`~boards.transport.Transport` of it, so :class:`~boards.host.EIEDevice` and the host
session run on it unchanged (``eie run --sim``).

A build lives in ``build/native/link-<config hash>-d<divisor>/`` (under ``$EIE_NATIVE_CACHE``
if set) and is reused while its fingerprint matches: the configuration, the divisor, Amaranth's
version and every source of ``eie_hw`` and ``boards``. The harness drives any design with the
link's ports (``clk``, ``rst``, ``rx``, ``tx``, ``busy``, ``done``, ``error``, ``bad_frame``):
:func:`link_library` builds one from given Verilog sources, such as a synthesized netlist.
"""

import ctypes
import hashlib
import json
import time
from pathlib import Path

import amaranth
import numpy as np
from amaranth.back import verilog

from eie_hw.config import EIEConfig
from eie_hw.rtl.compat import without_memory_init
from sim.verify.cocotb_bench.runner import config_hash, exclusive
from sim.verify.native.build import cache_dir
from sim.verify.native.verilated import verilated_library

from .link import EIELink
from .transport import Transport

__all__ = ["TOP", "HARNESS", "DEFAULT_DIVISOR", "link_verilog", "build_link", "link_library",
           "NativeLinkTransport"]

#: Module name of the link's top level in the Verilog the harness drives.
TOP = "eie_link"
HARNESS = Path(__file__).with_name("link_harness.cpp")
#: Clock cycles per UART bit in simulation (the UART's minimum is 2; 4 samples each bit
#: clearly off its edges).
DEFAULT_DIVISOR = 4
_ROOT = Path(__file__).resolve().parent.parent
# As for the array (sim/verify/native/build.py): ``ctrl`` split per bit, else Verilator
# sees a false combinational loop through it and iterates every eval.
_CONTROL = (f'`verilator_config\nsplit_var -module "{TOP}.core.eie" -var "ctrl"\n'
            f'split_var -module "{TOP}.core.eie.ccu" -var "ctrl"\n')

_u64, _i64, _int, _ptr = ctypes.c_uint64, ctypes.c_int64, ctypes.c_int, ctypes.c_void_p
_SIGNATURES = {
    "link_new": ([_int], _ptr),
    "link_free": ([_ptr], None),
    "link_cycles": ([_ptr], _u64),
    "link_reset": ([_ptr, _int], None),
    "link_send": ([_ptr, _ptr, _i64], None),
    "link_run": ([_ptr, _u64, _u64, _ptr, _i64], _i64),
    "link_status": ([_ptr, _ptr], None),
}
_libraries = {}


def link_verilog(config, divisor):
    """Verilog of :class:`~boards.link.EIELink` of ``config`` at ``divisor`` cycles per bit,
    top module :data:`TOP`, memories without initial contents (as ``eie verilog``)."""
    with without_memory_init():
        return verilog.convert(EIELink(config, divisor=divisor), name=TOP)


def _fingerprint(config, divisor):
    digest = hashlib.sha256()
    digest.update(json.dumps(config.to_dict(), sort_keys=True).encode())
    digest.update(f"divisor {divisor} amaranth {amaranth.__version__}".encode())
    for path in sorted([*(_ROOT / "eie_hw").rglob("*.py"), *(_ROOT / "boards").glob("*.py")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _check(config, divisor):
    if not isinstance(config, EIEConfig):
        raise TypeError(f"config must be an EIEConfig, not {type(config).__name__}")
    if isinstance(divisor, bool) or not isinstance(divisor, int) or divisor < 2:
        raise ValueError(f"divisor must be an integer of at least 2, not {divisor!r}")


def build_link(config, *, divisor=DEFAULT_DIVISOR, log=print):
    """Export and build the native link of ``config`` at ``divisor`` unless a build of the same
    fingerprint exists; the :class:`~sim.verify.native.verilated.VerilatedLibrary`.

    Raises ``TypeError``/``ValueError`` for a bad ``config``/``divisor`` and
    :class:`~sim.verify.native.verilated.NativeBuildError` when a tool is missing or fails.
    """
    _check(config, divisor)
    start = time.perf_counter()
    directory = cache_dir() / f"link-{config_hash(config)}-d{divisor}"
    fingerprint = _fingerprint(config, divisor)
    source = directory / "src" / f"{TOP}.v"
    stamp = source.with_name("fingerprint")
    with exclusive(source.parent):
        if not (source.exists() and stamp.exists() and stamp.read_text() == fingerprint):
            source.parent.mkdir(parents=True, exist_ok=True)
            stamp.unlink(missing_ok=True)
            source.write_text(link_verilog(config, divisor))
            stamp.write_text(fingerprint)
    built = link_library(directory, [source], fingerprint=fingerprint, control=_CONTROL)
    if built.seconds:
        log(f"built native link n_pes={config.n_pes} divisor={divisor} in "
            f"{time.perf_counter() - start:.1f} s: {built.library}")
    return built


def link_library(directory, sources, *, fingerprint, control="", verilator_args=(),
                 optimize=True):
    """The harness linked with any design of the link's ports (``sources``, top module
    :data:`TOP`), built in ``directory``
    (:func:`~sim.verify.native.verilated.verilated_library`)."""
    return verilated_library(directory, sources, TOP, HARNESS, fingerprint=fingerprint,
                             control=control, verilator_args=verilator_args,
                             optimize=optimize)


def _load(path):
    key = str(path)
    if key not in _libraries:
        library = ctypes.CDLL(key)
        for name, (args, result) in _SIGNATURES.items():
            function = getattr(library, name)
            function.argtypes, function.restype = args, result
        _libraries[key] = library
    return _libraries[key]


class NativeLinkTransport(Transport):
    """The board link's UART pins, Verilated, as a byte transport.

    Time only passes inside :meth:`read`, as in :class:`~boards.transport.SimulationTransport`:
    ``timeout`` seconds of the driver become ``timeout * cycles_per_second`` simulated cycles.
    A :meth:`read` returns once bytes have come and the line has then been quiet for two
    byte times (a whole response), or when its cycles ran out.

    Parameters
    ----------
    library : VerilatedLibrary
        A build of :func:`build_link` or :func:`link_library`.
    divisor : int
        Clock cycles per UART bit of that build.
    cycles_per_second : int
    """

    def __init__(self, library, *, divisor, cycles_per_second=200_000):
        self._lib = _load(library.library)
        self._divisor = divisor
        self._rate = cycles_per_second
        self._handle = self._lib.link_new(divisor)
        if not self._handle:
            raise RuntimeError(f"the simulation of {library.library} stopped as it started "
                               "(a $fatal of the design or of a cell model; its message is on "
                               "standard output)")
        self._buffer = np.zeros(1 << 16, dtype=np.uint8)
        self.seconds = 0.0
        self._lib.link_reset(self._handle, 4)

    @classmethod
    def for_config(cls, config, *, divisor=DEFAULT_DIVISOR, cycles_per_second=200_000,
                   log=print):
        """The transport of the RTL of ``config`` (built on first use, then cached)."""
        return cls(build_link(config, divisor=divisor, log=log), divisor=divisor,
                   cycles_per_second=cycles_per_second)

    @property
    def cycles(self):
        """Clock cycles simulated so far (reset included)."""
        return int(self._lib.link_cycles(self._handle))

    def clock(self):
        return self.cycles / self._rate

    def write(self, data):
        data = bytes(data)
        self._lib.link_send(self._handle, data, len(data))

    def read(self, timeout):
        budget = max(1, int(timeout * self._rate))
        start = time.perf_counter()
        n = self._lib.link_run(self._handle, budget, 20 * self._divisor,
                               self._buffer.ctypes.data, len(self._buffer))
        self.seconds += time.perf_counter() - start
        if n < 0:
            raise RuntimeError(f"the simulation stopped after {self.cycles} cycles (a $fatal "
                               "of the design or of a cell model; its message is on standard "
                               "output)")
        return self._buffer[:n].tobytes()

    def status(self):
        """``{"busy", "done", "error", "bad_frame"}``: the link's status pins now."""
        out = np.zeros(4, dtype=np.uint64)
        self._lib.link_status(self._handle, out.ctypes.data)
        return dict(zip(("busy", "done", "error", "bad_frame"), (int(v) for v in out),
                        strict=True))

    def close(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            self._lib.link_free(handle)

    __del__ = close
