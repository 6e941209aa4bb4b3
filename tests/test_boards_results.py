"""The checked-in FPGA results are where their readers look for them."""

from boards.boards import BOARDS
from boards.results import load_result, result_path
from eie_hw.config import EIEConfig
from eie_hw.image.network import encode_network
from sim.apps.demo import board_time
from sim.models.cycle_model import job_timing
from sim.verify.random_layers import random_activations, random_network


def test_every_board_has_a_result():
    for board in BOARDS:
        result = load_result(board)
        assert result is not None, f"no {result_path(board)}"
        assert result["board"] == board and result["n_pes"] >= 1
        assert all(clock["achieved"] > 0 for clock in result["fmax"].values())


def test_the_demo_times_a_network_on_the_ulx3s_build(rng, seed):
    """The demo's board time: the network re-encoded for the build's own configuration, its
    cycles by the cycle model, divided by that build's routed Fmax."""
    result = load_result("ulx3s-85f")
    config = EIEConfig.from_dict(result["config"])
    small = config.replace(n_pes=4, act_depth=64)
    image = encode_network(small, random_network(rng, small, [40, 60, 10], [0.2, 0.3]))
    inputs = [random_activations(rng, small, 40, 0.5) for _ in range(3)]
    timed = board_time(image, inputs)
    on_board = encode_network(config, image.decode())
    cycles = sum(job_timing(on_board, x).total for x in inputs) / 3
    assert timed["n_pes"] == result["n_pes"] and timed["cycles"] == cycles, f"seed={seed}"
    assert timed["us"] == cycles / result["fmax_mhz"]
