"""The project's only use of Amaranth internals, where no public way exists.

Checked with Amaranth 0.5.10 (:data:`CHECKED_WITH`); ``tests/test_compat_pins.py`` fails when
the installed or pinned version differs, so that an upgrade revisits every item here:

* :func:`without_memory_init` — Amaranth 0.5's RTLIL backend emits a ``$meminit_v2`` cell for
  every memory, its contents built bit by bit in Python, whatever ``init`` the memory was
  given (``Memory(init=[])`` means all-zero contents, not none), and no option leaves them
  out. For the default 64-PE array RTLIL conversion takes 133 s with the contents and 8 s
  without, and the Verilog written from it initialises every word of every memory.
"""

import contextlib
import threading

from amaranth.back import rtlil

__all__ = ["CHECKED_WITH", "without_memory_init"]

#: Distribution versions this module was written against.
CHECKED_WITH = {"amaranth": "0.5.10"}

_patch_lock = threading.Lock()


@contextlib.contextmanager
def without_memory_init():
    """While active, RTLIL (and so Verilog) conversion emits no memory initial contents.

    Memories keep their declarations, ports and names; only the ``$meminit_v2`` cells are
    left out, so in Verilog every memory is an array without an ``initial`` block. Other
    threads converting at the same time are affected too; conversions inside the block are
    serialised by a lock, and the backend is restored on exit.
    """
    with _patch_lock:
        emitter = rtlil.ModuleEmitter
        original = emitter.emit_memory
        emitter.emit_memory = lambda self, cell_idx, cell: None
        try:
            yield
        finally:
            emitter.emit_memory = original

