"""The native engine: the exported Verilog of ``EIETop`` Verilated with a C++ harness that
toggles the clock itself (``harness.cpp``), built once per configuration into a shared
library (:mod:`.build`), driven through ``ctypes`` (:mod:`.library`) by the host session's
:class:`~.port.NativeHostPort`, and checked by the scoreboard (:mod:`.bench`, :mod:`.regress`).
"""

from .bench import NativeBench
from .build import NativeBuild, NativeBuildError, build_native
from .library import NativeArray, NativeTimeout
from .port import NativeHostPort, complete, simulate

__all__ = ["NativeBench", "NativeBuild", "NativeBuildError", "build_native", "NativeArray",
           "NativeTimeout", "NativeHostPort", "complete", "simulate"]
