"""The compiled harness (``harness.cpp``) of one configuration through ``ctypes``: one
:class:`NativeArray` is one simulated ``eie_top`` whose clock runs in C++.

Payloads cross as little-endian arrays of 32-bit words (``stride`` per payload, from the port
widths of :mod:`eie_hw.protocol`; :mod:`.encode` packs them), so payloads wider than 64 bits
need no special case here.
"""

import ctypes
import time
from dataclasses import dataclass

import numpy as np

from eie_hw.protocol import COUNTED_ACTIONS, read_req_layout, write_layout

from .encode import stride
from .verilated import load_library

__all__ = ["NativeArray", "NativeTimeout", "RawStatus"]

_u64, _i64, _int, _ptr = ctypes.c_uint64, ctypes.c_int64, ctypes.c_int, ctypes.c_void_p
_SIGNATURES = {
    "eie_new": ([_int], _ptr),
    "eie_free": ([_ptr], None),
    "eie_cycles": ([_ptr], _u64),
    "eie_reset": ([_ptr, _int], None),
    "eie_write": ([_ptr, _ptr, _i64, _int, _u64], _i64),
    "eie_wait_done": ([_ptr, _u64], _int),
    "eie_read": ([_ptr, _ptr, _i64, _int, _ptr, _u64], _i64),
    "eie_status": ([_ptr, _ptr], None),
    "eie_idle": ([_ptr, _u64], None),
}


class NativeTimeout(TimeoutError):
    """A stream or ``done`` did not move within its cycle budget."""


@dataclass(frozen=True)
class RawStatus:
    """The status outputs and ``read_data.valid``, as read after the last clock edge;
    ``counters`` maps every action of :data:`~eie_hw.protocol.COUNTED_ACTIONS` to its count."""

    busy: bool
    done: bool
    error: int
    cycles: int
    broadcasts: int
    stalls: int
    read_valid: bool
    counters: dict


class NativeArray:
    """One ``eie_top`` of ``build`` (a :class:`~.build.NativeBuild`), in reset until
    :meth:`reset`. Every method clocks the array in C++ and returns when its operation ended
    or its cycle budget ran out (:class:`NativeTimeout`). ``seconds`` adds up the wall time
    spent inside the compiled harness."""

    def __init__(self, build):
        self.config = build.config
        self._lib = load_library(build.library, _SIGNATURES)
        self._write_stride = stride(write_layout(self.config))
        self._read_stride = stride(read_req_layout(self.config))
        self._handle = self._lib.eie_new(self.config.act_width)
        self.seconds = 0.0

    def _call(self, name, *args):
        start = time.perf_counter()
        try:
            return getattr(self._lib, name)(self._handle, *args)
        finally:
            self.seconds += time.perf_counter() - start

    def __del__(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            self._lib.eie_free(handle)

    @property
    def cycles(self):
        """Clock cycles simulated so far (reset cycles included)."""
        return int(self._lib.eie_cycles(self._handle))

    def reset(self, cycles=3):
        """Synchronous reset for ``cycles`` cycles; every stream idle afterwards."""
        self._call("eie_reset", int(cycles))

    def idle(self, cycles):
        """Clock ``cycles`` cycles with every stream idle."""
        self._call("eie_idle", int(cycles))

    def write(self, payloads, budget):
        """Send ``write`` payloads (an ``(n, stride)`` ``uint32`` array of
        :func:`~.encode.encode_writes`) in order, honouring ``ready``; at most ``budget``
        cycles. Raises :class:`NativeTimeout` if not all were taken."""
        data = self._words(payloads, self._write_stride)
        sent = self._call("eie_write", data.ctypes.data, len(data),
                                   self._write_stride, int(budget))
        if sent != len(data):
            raise NativeTimeout(f"timeout after {budget} cycles waiting for write "
                                f"({sent} of {len(data)} words taken)")

    def wait_done(self, budget):
        """Clock until ``done`` is high, at most ``budget`` cycles (else
        :class:`NativeTimeout`)."""
        if not self._call("eie_wait_done", int(budget)):
            raise NativeTimeout(f"timeout after {budget} cycles waiting for done")

    def read(self, payloads, budget):
        """Send ``read_req`` payloads (an ``(n, stride)`` ``uint32`` array of
        :func:`~.encode.encode_reads`) with ``read_data`` always ready; the signed answers (a
        list of ``int``) in order. At most ``budget`` cycles (else :class:`NativeTimeout`)."""
        data = self._words(payloads, self._read_stride)
        out = np.zeros(len(data), dtype=np.int64)
        got = self._call("eie_read", data.ctypes.data, len(data),
                                 self._read_stride, out.ctypes.data, int(budget))
        if got != len(data):
            raise NativeTimeout(f"timeout after {budget} cycles waiting for read-back "
                                f"({got} of {len(data)} answers)")
        return out.tolist()

    @staticmethod
    def _words(payloads, width):
        data = np.ascontiguousarray(payloads, dtype="<u4")
        if data.ndim != 2 or data.shape[1] != width:
            raise ValueError(f"payloads must be an (n, {width}) uint32 array, not "
                             f"{data.shape}")
        return data

    def status(self):
        """The :class:`RawStatus` now."""
        out = np.zeros(7 + len(COUNTED_ACTIONS), dtype=np.uint64)
        self._call("eie_status", out.ctypes.data)
        busy, done, error, cycles, broadcasts, stalls, valid, *counts = (int(v) for v in out)
        return RawStatus(bool(busy), bool(done), error, cycles, broadcasts, stalls, bool(valid),
                         dict(zip(COUNTED_ACTIONS, counts, strict=True)))
