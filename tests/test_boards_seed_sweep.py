"""``eie build --seeds``: the seed list, the choice of the best route, the sweep's scheduling,
and the CLI with the tools replaced by a fake that reads each project's own nextpnr seed."""

import json
import re
import threading
import time
from argparse import ArgumentTypeError
from pathlib import Path

import pytest

from boards.results import MET, MISSED
from boards.seed_sweep import best_result, parse_seeds, run_sweep
from sim.apps.cli import main


@pytest.mark.parametrize("text, seeds", [("1-4", [1, 2, 3, 4]), ("2,3,7", [2, 3, 7]),
                                         ("5,1-3,2", [5, 1, 2, 3]), (" 0 - 1 ", [0, 1])])
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize("text, message", [
    ("3", "at least two seeds"), ("2,2", "at least two seeds"), ("a,b", "such as 1-4"),
    ("4-2", "ranges low-high"), ("1,-1", "such as 1-4"), ("", "such as 1-4")])
def test_parse_seeds_refuses(text, message):
    with pytest.raises(ArgumentTypeError, match=message):
        parse_seeds(text)


def _routed(fmax, constraint=50.0):
    return {"fmax_mhz": fmax, "constraint_mhz": constraint,
            "status": MET if fmax >= constraint else MISSED}


def test_best_result_prefers_a_met_clock_then_the_highest_fmax():
    reports = {1: _routed(49.9), 2: _routed(55.0), 3: _routed(52.0),
               4: {"status": "failed", "error": "does not fit"}}
    assert best_result(reports) == (2, reports[2])
    # A missed clock with a higher Fmax than the met one's cannot happen with one
    # constraint, but a sweep may mix results: the met one is kept.
    mixed = {1: _routed(60.0, constraint=65.0), 2: _routed(51.0)}
    assert best_result(mixed)[0] == 2
    missed = {1: _routed(40.0), 2: _routed(45.0), 3: {"status": "failed"}}
    assert best_result(missed)[0] == 2
    assert best_result({1: {"status": "failed"}}) is None
    assert best_result({}) is None


def test_run_sweep_runs_jobs_at_a_time_and_reports_each():
    lock, running, peak = threading.Lock(), [0], [0]

    def route(seed):
        def run():
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1
            return _routed(40.0 + seed)
        return run

    lines = []
    seeds = [7, 3, 5, 1, 2]
    reports = run_sweep({s: route(s) for s in seeds}, jobs=2, progress=lines.append)
    assert list(reports) == seeds
    assert all(reports[s]["fmax_mhz"] == 40.0 + s for s in seeds)
    assert peak[0] == 2
    assert lines[0].startswith("routing 5 seeds (7, 3, 5, 1, 2), 2 at a time")
    assert sorted(int(re.match(r"seed (\d+):", line).group(1)) for line in lines[1:]) == \
        sorted(seeds)
    assert lines[-1].endswith("(5/5 done)")
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        run_sweep({1: route(1)}, jobs=0)


def test_build_cli_sweep_keeps_the_best_seed(tmp_path, monkeypatch, capsys):
    """Every seed's project is written in its own directory with its own ``--seed``; the fake
    tool reads that seed from the project's script (so a project written into another's
    directory, or with the board's seed, would show) and routes each at a different Fmax."""
    import boards.build

    fmax_of_seed = {2: 58.0, 3: 68.11, 4: 70.86, 5: 49.0}

    def fake_tools(root, script):
        text = (Path(root) / script).read_text()
        seed = int(re.search(r"--seed (\d+)", text).group(1))
        assert Path(root).name == f"seed{seed}"
        fmax = fmax_of_seed[seed]
        (Path(root) / "top.report.json").write_text(json.dumps(
            {"fmax": {"clk": {"achieved": fmax, "constraint": 55.0}}, "utilization": {}}))
        if fmax < 55.0:
            raise RuntimeError(f"build failed: Max frequency {fmax} MHz (FAIL at 55.00 MHz)")
        return boards.build.parse_report(Path(root) / "top.report.json")

    monkeypatch.setattr(boards.build, "run_project", fake_tools)
    monkeypatch.setattr(boards.build, "missing_tools", lambda board: [])
    out = tmp_path / "best.json"
    status = main(["build", "--board", "ulx3s-85f", "--pes", "2", "--freq", "55",
                   "--seeds", "2-5", "--jobs", "2", "--build-dir", str(tmp_path / "b"),
                   "--json", str(out)])
    assert status == 0
    report = json.loads(out.read_text())
    assert report["fmax_mhz"] == max(fmax_of_seed.values())
    assert "--seed 4 " in report["command"]
    assert {s["seed"]: s["fmax_mhz"] for s in report["sweep"]} == fmax_of_seed
    assert {s["seed"]: s["status"] for s in report["sweep"]}[5] == MISSED
    printed = capsys.readouterr().out
    assert "best: seed 4" in printed and "seed 5: 49.00 MHz" in printed


@pytest.mark.parametrize("argv, message", [
    (["--seeds", "1,2", "--seed", "3"], "--seed and --seeds exclude each other"),
    (["--jobs", "2"], "--jobs needs --seeds")])
def test_build_cli_sweep_refuses(argv, message, capsys):
    assert main(["build", "--board", "icebreaker"] + argv) != 0
    assert message in capsys.readouterr().err
