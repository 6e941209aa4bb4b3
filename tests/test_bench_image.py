"""`eie bench --image` at a queue depth and broadcast width, and its width sweep, against the
cycle model run on the image itself and the phase formulas of eie_hw/timing.py."""

import json

import numpy as np
import pytest

from eie_hw.config import EIEConfig
from eie_hw.fixedpoint import act_to_fixed
from eie_hw.image import encode_network, save_image
from eie_hw.timing import init_cycles, writeback_cycles
from sim.apps.cli import main
from sim.models.cycle_model import job_timing
from sim.models.timing_result import LayerTiming
from sim.verify.random_layers import random_network


@pytest.fixture
def network(tmp_path, rng):
    """An image of a random 3-layer network on 4 PEs, its file and a file of 3 inputs."""
    config = EIEConfig(n_pes=4)
    image = encode_network(config, random_network(rng, config, [24, 20, 12, 6],
                                                  [0.4, 0.5, 0.6]))
    path, x = tmp_path / "n.eie", tmp_path / "x.npy"
    save_image(image, path)
    np.save(x, rng.uniform(0, 1, (3, 24)))
    return image, path, x


def _cycles(image, x):
    fixed = act_to_fixed(image.config, np.load(x))
    return float(np.mean([job_timing(image, v).total for v in fixed]))


def test_width_sweep_matches_the_cycle_model_of_the_image(network, tmp_path, seed):
    image, path, x = network
    out = tmp_path / "r.json"
    assert main(["bench", "--image", str(path), "--inputs", str(x), "--image-pes", "4",
                 "--sweep", "broadcast", "--plot", str(tmp_path / "w.png"),
                 "--json", str(out)]) == 0
    sweep = json.loads(out.read_text())["sweep"]
    assert [r["broadcast_width"] for r in sweep] == [1, 2, 4], f"seed={seed}"
    rows = [layer.rows_per_pe for layer in image.layers] + [0]
    phases = init_cycles(rows[0]) + sum(writeback_cycles(rows[l], rows[l + 1])
                                        for l in range(len(image.layers)))
    for r in sweep:
        config = image.config.replace(broadcast_width=r["broadcast_width"])
        expected = _cycles(encode_network(config, image.decode()), x)
        assert r["cycles"] == pytest.approx(expected), f"seed={seed} k={r['broadcast_width']}"
        assert r["init_writeback_cycles"] == pytest.approx(phases), f"seed={seed}"
        assert r["compute_cycles"] >= r["bound"], f"seed={seed}"
    assert (tmp_path / "w.png").stat().st_size > 0


def test_image_at_another_queue_depth_and_width(network, tmp_path, seed):
    image, path, x = network
    out = tmp_path / "r.json"
    assert main(["bench", "--image", str(path), "--inputs", str(x), "--image-pes", "4",
                 "--fifo", "4", "--broadcast-width", "2", "--json", str(out)]) == 0
    layers = json.loads(out.read_text())["layers"]
    assert {(r["fifo_depth"], r["broadcast_width"]) for r in layers} == {(4, 2)}
    config = image.config.replace(fifo_depth=4, broadcast_width=2)
    expected = _cycles(encode_network(config, image.decode()), x)
    assert sum(r["imod"]["cycles"] for r in layers) == pytest.approx(expected), f"seed={seed}"


def test_lower_bound_counts_the_broadcast_width():
    def timing(width):
        return LayerTiming(init=0, compute=20, writeback=4, broadcasts=10, broadcast_stalls=0,
                           busy=np.array([3, 4]), blocking=np.zeros(2, dtype=int),
                           broadcast_width=width)
    # Ten broadcasts take 10, 5 and 3 cycles at k = 1, 2, 4; the busiest PE needs 4.
    assert [timing(k).lower_bound for k in (1, 2, 4)] == [10, 5, 4]
