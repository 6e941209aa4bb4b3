"""The Python API (sim.apps.api.EIEModel) against the golden and cycle models."""

import re

import numpy as np
import pytest
import torch
from helpers import timing_with_extra_action
from torch import nn

from compress.pipeline import Settings
from eie_hw.config import EIEConfig
from eie_hw.fixedpoint import act_from_fixed
from eie_hw.image.fileformat import image_to_bytes
from eie_hw.image.network import encode_network
from sim import EIEModel
from sim.apps import api
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.random_layers import random_activations, random_network

CONFIG = EIEConfig(n_pes=4, fifo_depth=2, act_depth=16, spmat_depth=256, ptr_depth=256,
                   bias_depth=64, max_layers=4)


@pytest.fixture
def model(rng):
    layers = random_network(rng, CONFIG, [20, 24, 9], [0.4, 0.5])
    return EIEModel(encode_network(CONFIG, layers))


def inputs(rng, n=3):
    return np.stack([random_activations(rng, CONFIG, 20, 0.6) for _ in range(n)])


def test_predict_is_the_golden_model_in_float(model, rng, seed):
    x = inputs(rng)
    golden = GoldenModel(model.image)
    np.testing.assert_array_equal(model.predict(act_from_fixed(CONFIG, x)),
                                  act_from_fixed(CONFIG, golden.run(x)), err_msg=f"seed={seed}")
    assert model.cycles(x).tolist() == [job_timing(model.image, v).total for v in x]


def test_simulate_matches_the_models(model, rng, seed):
    x = inputs(rng)
    result = model.simulate(x, backend="amaranth", check=True)
    np.testing.assert_array_equal(result.outputs, GoldenModel(model.image).run(x),
                                  err_msg=f"seed={seed}")
    assert result.cycles.tolist() == model.cycles(x).tolist()


def test_simulate_check_fails_on_a_cycle_mismatch(model, rng, monkeypatch):
    """``check`` compares with the cycle model: a model one cycle off must be caught."""
    real = api.job_timing

    class OffByOne:
        def __init__(self, timing):
            self.total = timing.total + 1

    monkeypatch.setattr(api, "job_timing", lambda *a: OffByOne(real(*a)))
    with pytest.raises(RuntimeError, match=r"^amaranth: input 0 took \d+ cycles, the cycle "
                                           r"model says \d+$"):
        model.simulate(inputs(rng, 1), backend="amaranth")


def test_simulate_check_fails_on_a_counter_mismatch(model, rng, monkeypatch):
    """``check`` compares the action counters too: one multiply more in the model is caught."""
    real = api.job_timing
    monkeypatch.setattr(api, "job_timing",
                        lambda *a: timing_with_extra_action(real(*a), "multiplies"))
    with pytest.raises(RuntimeError, match=r"^amaranth: input 0: RTL multiplies = (\d+), the "
                                           r"cycle model says \d+$") as caught:
        model.simulate(inputs(rng, 1), backend="amaranth")
    got, want = map(int, re.findall(r"\d+", str(caught.value))[1:3])
    assert want == got + 1


def test_save_load_and_reencode(model, rng, tmp_path, seed):
    x = inputs(rng, 2)
    assert model.save(tmp_path / "net.eie") > 0
    loaded = EIEModel.load(tmp_path / "net.eie")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x), err_msg=f"seed={seed}")
    other = model.for_config(CONFIG.replace(n_pes=2, act_depth=32, bias_depth=128))
    assert other.config.n_pes == 2
    np.testing.assert_array_equal(other.predict(x), model.predict(x), err_msg=f"seed={seed}")


def test_save_compressed_and_load(model, rng, tmp_path, seed):
    """The .eiz file loads back to the same image, bit for bit, through the same ``load``."""
    size = model.save_compressed(tmp_path / "net.eiz")
    assert size == (tmp_path / "net.eiz").stat().st_size
    model.save(tmp_path / "net.eie")
    loaded = EIEModel.load(tmp_path / "net.eiz")
    assert image_to_bytes(loaded.image) == (tmp_path / "net.eie").read_bytes(), f"seed={seed}"
    assert model.report()["compression"]["file_bytes"] == size


def test_report(model, rng):
    x = inputs(rng, 2)
    report = model.report(x)
    entries = [sum(counts) for counts in report["pe_entries"].values()]
    assert entries == [int(layer.entry_counts.sum()) for layer in model.image.layers]
    assert report["compression"]["entries"] == sum(entries)
    assert report["compression"]["ratio"] > report["compression"]["ratio_with_pointers"] > 1
    assert report["compression"]["ratio_file"] == pytest.approx(
        sum(32 * (layer.n_in * layer.n_out + layer.n_out) for layer in model.image.layers)
        / (8 * report["compression"]["file_bytes"]), rel=1e-12)
    assert report["cycles"]["per_input"] == model.cycles(x).tolist()
    assert 0 < report["cycles"]["load_efficiency"] <= 1


def test_run_on_the_simulated_board(model, rng, seed):
    x = inputs(rng, 2)
    result = model.run_on_board(x, sim=True)
    np.testing.assert_array_equal(result.outputs, GoldenModel(model.image).run(x),
                                  err_msg=f"seed={seed}")
    assert result.cycles.tolist() == model.cycles(x).tolist()
    with pytest.raises(ValueError, match=re.escape("run_on_board needs a serial port, or "
                                                   "sim=True")):
        model.run_on_board(x)


def test_compress_a_torch_model(seed):
    torch.manual_seed(seed % 1000)
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (64, 12)).astype(np.float32)
    y = (x[:, :6].sum(axis=1) > x[:, 6:].sum(axis=1)).astype(np.int64)
    net = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 2))
    settings = Settings(sparsity=0.5, prune_steps=1, retrain_epochs=1, finetune_epochs=1)
    eie = EIEModel.compress(net, CONFIG, (x, y), settings)
    assert eie.model is not None and eie.image.n_inputs == 12
    density = eie.report()["compression"]["density"]
    assert 0.4 <= density <= 0.6, f"seed={seed}: density {density}"
    eie.simulate(x[:2], backend="amaranth", check=True)
