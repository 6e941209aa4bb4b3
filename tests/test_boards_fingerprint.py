"""Fingerprints of FPGA builds and ``eie build --check`` (no tool runs)."""

import json
import re
from types import SimpleNamespace

import pytest

import boards.results
from boards.boards import get_board
from boards.fingerprint import PARTS, design_fingerprint, differences, fingerprint
from sim.apps.cli import main

PROJECT = {"top.il": 'module \\top\n  attribute \\src "eie_hw/rtl/pe.py:10"\n  wire \\a\nend\n',
           "top.pcf": "set_io clk 35\n", "top.ys": "read_rtlil top.il\n",
           "build_top.sh": "yosys top.ys\n", "build_top.json": "{}"}


def test_source_locations_do_not_count_but_the_design_does():
    params = {"board": "b", "n_pes": 1}
    base = fingerprint(SimpleNamespace(files=PROJECT), params)
    moved = dict(PROJECT, **{"top.il": PROJECT["top.il"].replace("pe.py:10", "pe.py:99")})
    assert fingerprint(SimpleNamespace(files=moved), params) == base
    changed = dict(PROJECT, **{"top.il": PROJECT["top.il"].replace("\\a", "\\b")})
    assert differences(base, fingerprint(SimpleNamespace(files=changed), params)) == ["rtl"]
    pins = dict(PROJECT, **{"top.pcf": "set_io clk 36\n"})
    assert differences(base, fingerprint(SimpleNamespace(files=pins), params)) == \
        ["constraints"]
    assert differences(base, fingerprint(SimpleNamespace(files=PROJECT), {"n_pes": 2})) == \
        ["config"]
    assert differences(None, base) == list(PARTS)


def test_the_same_design_has_the_same_fingerprint():
    board = get_board("icebreaker")
    first = design_fingerprint(board, board.config(1), baud=115200)
    assert design_fingerprint(board, board.config(1), baud=115200) == first
    other = design_fingerprint(board, board.config(1).replace(fifo_depth=4), baud=115200)
    assert differences(first, other) == ["rtl", "config"]


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setattr(boards.results, "RESULTS_DIR", tmp_path)
    return tmp_path


def test_check_passes_for_a_current_result_and_names_what_changed(results, capsys):
    board = get_board("icebreaker")
    digest = design_fingerprint(board, board.config(1), baud=115200)
    result = {"board": "icebreaker", "n_pes": 1, "fmax_mhz": 30.0, "status": "routed",
              "fingerprint": digest}
    (results / "icebreaker.json").write_text(json.dumps(result))
    assert main(["build", "--board", "icebreaker", "--pes", "1", "--check"]) == 0
    assert "matches the current sources" in capsys.readouterr().out
    assert main(["build", "--board", "icebreaker", "--pes", "2", "--check"]) == 1
    assert re.search(r"is stale: rtl, config changed since it was built; rebuild with: "
                     r"eie build --board icebreaker --json ", capsys.readouterr().out)


def test_check_fails_without_a_fingerprint_or_a_result(results, capsys):
    assert main(["build", "--board", "icebreaker", "--pes", "1", "--check"]) == 1
    assert "no result for icebreaker" in capsys.readouterr().out
    (results / "icebreaker.json").write_text(json.dumps({"board": "icebreaker", "n_pes": 1}))
    assert main(["build", "--board", "icebreaker", "--pes", "1", "--check"]) == 1
    assert "it records no fingerprint" in capsys.readouterr().out


def test_a_placement_seed_is_part_of_the_flow(tmp_path):
    """``eie build --seed N`` passes ``--seed N`` to nextpnr; the build's fingerprint then
    differs from the board's default flow in ``flow`` only, so ``--check`` of the default
    build cannot pass for it."""
    from boards.build import write_project

    board = get_board("icebreaker")
    config = board.config(1)
    root, script, digest = write_project(board, config, tmp_path / "p", seed=7)
    assert "--seed 7" in (root / script).read_text()
    default = design_fingerprint(board, config, baud=115200)
    assert differences(default, digest) == ["flow"]
    _, _, unseeded = write_project(board, config, tmp_path / "q")
    assert differences(default, unseeded) == []


def test_a_placement_seed_replaces_the_boards(tmp_path):
    """A board whose flow names a seed: ``--seed N`` replaces it (nextpnr refuses two), and
    the board's own seed given again is the board's flow."""
    from boards.build import write_project

    board = get_board("ulx3s-85f")
    assert "--seed" in board.nextpnr_opts
    config = board.config(1)
    root, script, _ = write_project(board, config, tmp_path / "p", seed=7)
    text = (root / script).read_text()
    assert text.count("--seed") == 1 and "--seed 7" in text
    own = board.nextpnr_opts.split("--seed")[1].split()[0]
    _, _, digest = write_project(board, config, tmp_path / "q", seed=int(own))
    assert differences(design_fingerprint(board, config, baud=115200), digest) == []
