"""Gate-level simulation of the board builds (boards/gate_level.py): the link synthesized by
each board's own Yosys command, simulated with the FPGA cell models and driven through its
UART pins by the board's host driver, checked against the golden and cycle models."""

import re
import shutil

import numpy as np
import pytest
from helpers import RTL_LAYER, demo_sized_layers, random_input

from boards.boards import get_board
from eie_hw.image import save_image
from eie_hw.image.network import encode_network
from sim.apps.cli import main
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.random_layers import random_layer

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("g++") is None or shutil.which("make") is None,
                                 reason="the gate-level simulation needs g++ and make")]


def _network(rng, config):
    return encode_network(config, [random_layer(rng, config, 20, 24, 0.3, **RTL_LAYER),
                                   random_layer(rng, config, 9, 20, 0.3, **RTL_LAYER)])


def _demo_sized_network(rng, config):
    return encode_network(config, demo_sized_layers(rng, config))


def _cells(stats):
    return dict((name, int(n)) for n, name in re.findall(r"(\d+)\s+([A-Z]\w+|\$\w+)", stats))


def test_ice40_netlist_has_the_board_cells(seed, rng):
    """The iCEBreaker build's netlist (synth_ice40 -dsp) holds the cells the build places —
    SB_LUT4, SB_CARRY, SB_DFF*, SB_RAM40_4K, SB_SPRAM256KA, SB_MAC16 — and only cells with a
    model."""
    from boards.gate_level import build_gates, netlist_stats

    stats = netlist_stats(build_gates(get_board("icebreaker")))
    cells = _cells(stats)
    for cell in ("SB_LUT4", "SB_CARRY", "SB_RAM40_4K", "SB_SPRAM256KA", "SB_MAC16"):
        assert cells.get(cell), f"no {cell} in the netlist: {stats}"
    assert any(name.startswith("SB_DFF") for name in cells)
    assert not [name for name in cells if name.startswith("$") and name != "$scopeinfo"]


def _run_through_eie(tmp_path, capsys, seed, rng, board, pes=None, network=_network,
                     n_inputs=5):
    """``eie run --sim --engine gates --board <board>`` on ``n_inputs`` inputs of a random
    network (default: two layers): outputs checked against the golden model, cycles against
    the cycle model."""
    config = get_board(board).config(pes)
    image = network(rng, config)
    xs = np.stack([random_input(rng, config, image.n_inputs) for _ in range(n_inputs)])
    save_image(image, tmp_path / "net.eie")
    np.save(tmp_path / "x.npy", xs)
    assert main(["run", "--sim", "--engine", "gates", "--board", board,
                 *(["--pes", str(pes)] if pes else []), str(tmp_path / "net.eie"), "--input",
                 str(tmp_path / "x.npy"), "--output", str(tmp_path / "y.npy")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"simulated [\d,]+ clock cycles of the link \(gates engine, UART on\)", out)
    golden = GoldenModel(image)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"),
                                  np.stack([golden.run(x) for x in xs]), err_msg=f"seed={seed}")
    cycles = [job_timing(image, x, golden).total for x in xs]
    assert f"cycles per input: {np.array(cycles)}" in out, f"seed={seed}"


def test_ice40_netlist_through_eie_run(tmp_path, capsys, seed, rng):
    """``eie run --sim --engine gates --board icebreaker``: the iCEBreaker build's netlist
    (synth_ice40 -dsp: SB_LUT4, SB_CARRY, SB_DFF*, SB_RAM40_4K, SB_SPRAM256KA, SB_MAC16),
    five inputs."""
    _run_through_eie(tmp_path, capsys, seed, rng, "icebreaker")


def test_ice40_netlist_runs_a_network_of_the_demos_sizes(tmp_path, capsys, seed, rng):
    """The iCEBreaker's netlist holds and runs a network of the digits demo's sizes (64 →
    300 → 100 → 10, its sparse matrix in SPRAM), two inputs."""
    _run_through_eie(tmp_path, capsys, seed, rng, "icebreaker", network=_demo_sized_network,
                     n_inputs=2)


def test_ecp5_netlist_through_eie_run(tmp_path, capsys, seed, rng):
    """``eie run --sim --engine gates --board ulx3s-85f --pes 2``: the ULX3S build's netlist
    (synth_ecp5) at 2 PEs, with Yosys' ECP5 logic-cell models and the project's DP16KD and
    MULT18X18D models (boards/cells/), five inputs; the netlist holds the cells the build
    places and only cells with a model."""
    from boards.gate_level import build_gates, netlist_stats

    _run_through_eie(tmp_path, capsys, seed, rng, "ulx3s-85f", pes=2)
    board = get_board("ulx3s-85f")
    stats = netlist_stats(build_gates(board, board.config(2)))      # the build just run
    cells = _cells(stats)
    for cell in ("LUT4", "TRELLIS_FF", "DP16KD", "MULT18X18D"):
        assert cells.get(cell), f"no {cell} in the netlist: {stats}"
    assert not [name for name in cells if name.startswith("$") and name != "$scopeinfo"]


def test_gates_need_a_board(tmp_path, capsys, rng):
    config = get_board("icebreaker").config()
    save_image(_network(rng, config), tmp_path / "net.eie")
    np.save(tmp_path / "x.npy", random_input(rng, config, 24))
    assert main(["run", "--sim", "--engine", "gates", str(tmp_path / "net.eie"), "--input",
                 str(tmp_path / "x.npy")]) == 2
    assert "--engine gates needs --board" in capsys.readouterr().err


def test_a_family_without_a_flow_is_refused():
    from boards.gate_level import family_models

    with pytest.raises(ValueError, match=r"no gate-level flow for family 'gowin' "
                                         r"\(families: ice40, ecp5\)"):
        family_models("gowin")
