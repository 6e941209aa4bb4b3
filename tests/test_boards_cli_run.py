"""``eie run --sim`` with a batch of inputs: every row runs on the simulated board and matches
the golden and cycle models; a wrong shape is a clear error."""

import re

import numpy as np
import pytest
from helpers import RTL_LAYER, random_input

from eie_hw.image import save_image
from eie_hw.image.network import encode_network
from sim.apps.cli import main
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.configs import small_config
from sim.verify.random_layers import random_layer


@pytest.fixture
def image_file(tmp_path, rng):
    cfg = small_config(n_pes=2, fifo_depth=2, act_depth=16)
    image = encode_network(cfg, [random_layer(rng, cfg, 6, 8, 0.3, **RTL_LAYER)])
    save_image(image, tmp_path / "net.eie")
    return image, tmp_path / "net.eie"


def _rows(text):
    """The integer rows of a printed 2-D NumPy array."""
    return [[int(v) for v in row.split()] for row in re.findall(r"\[([-\d\s]+)\]", text)]


def test_batch(image_file, tmp_path, capsys, seed, rng):
    image, path = image_file
    x = np.stack([random_input(rng, image.config, 8) for _ in range(3)])
    np.save(tmp_path / "x.npy", x)
    assert main(["run", "--sim", str(path), "--input", str(tmp_path / "x.npy"),
                 "--output", str(tmp_path / "y.npy")]) == 0
    out = capsys.readouterr().out
    expected = GoldenModel(image).run(x)
    assert "outputs (3 × 6, fixed point, one input per row):" in out
    np.testing.assert_array_equal(_rows(out.split("cycles")[0]), expected, err_msg=f"seed={seed}")
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected, err_msg=f"seed={seed}")
    cycles = [job_timing(image, row).total for row in x]
    assert f"cycles per input: [{' '.join(str(c) for c in cycles)}]" in out, f"seed={seed}"
    assert "error flags per input: [0 0 0]" in out


def test_wrong_shape(image_file, tmp_path, capsys):
    _, path = image_file
    np.save(tmp_path / "x.npy", np.zeros((3, 7)))
    assert main(["run", "--sim", str(path), "--input", str(tmp_path / "x.npy")]) == 2
    assert capsys.readouterr().err == (
        f"eie run: error: --input {tmp_path / 'x.npy'} holds an array of shape (3, 7); the "
        f"network takes one input of shape (8,) or a batch of shape (N, 8)\n")


def test_integers_out_of_range(image_file, tmp_path, capsys):
    _, path = image_file
    np.save(tmp_path / "x.npy", np.full((2, 8), 40000))
    assert main(["run", "--sim", str(path), "--input", str(tmp_path / "x.npy")]) == 2
    assert capsys.readouterr().err == (
        f"eie run: error: --input {tmp_path / 'x.npy'}: fixed-point inputs must lie in "
        f"-32768…32767 (16-bit activations), not 40000…40000\n")
