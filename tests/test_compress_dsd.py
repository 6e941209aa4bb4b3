"""DSD on a classifier (compress.dsd.dsd_classifier, DSDSettings) and ``eie compress --dsd``."""

import json
import re

import numpy as np
import pytest
import torch
from torch import nn

import compress.dsd as dsd_module
from compress.cli import main
from compress.dsd import DSDSettings, dsd_classifier
from compress.prune import model_sparsity


def _mlp(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(10, 30), nn.ReLU(), nn.Linear(30, 4))


def _data(rng, n=120):
    x = rng.random((n, 10)).astype(np.float32)
    return x, x[:, :4].argmax(axis=1).astype(np.int64)


@pytest.mark.parametrize("sparsity", [0.0, 0.6])
def test_phases_follow_the_settings(rng, seed, monkeypatch, sparsity):
    """The sparse phase trains with the layers pruned to the settings' sparsity, the re-dense
    phase at lr × lr_scale with every weight free again; each phase's epochs are trained."""
    seen, real = [], dsd_module.train

    def spy(m, x, y, *, epochs, lr, **kwargs):
        seen.append((epochs, lr, model_sparsity(m), hasattr(m[0], "weight_mask")))
        return real(m, x, y, epochs=epochs, lr=lr, **kwargs)

    monkeypatch.setattr(dsd_module, "train", spy)
    settings = DSDSettings(sparsity=sparsity, sparse_epochs=3, redense_epochs=2, lr=2e-3,
                           lr_scale=0.5, cycles=2)
    model, losses = dsd_classifier(_mlp(seed), _data(rng), settings, seed=seed, progress=False)
    assert [(e, lr, masked) for e, lr, _, masked in seen] \
        == [(3, 2e-3, True), (2, 1e-3, False)] * 2, f"seed={seed}"
    for _, _, pruned, _ in seen[0::2]:
        assert pruned == pytest.approx({"0": sparsity, "2": sparsity}, abs=1 / 120)
    assert [len(losses["sparse"]), len(losses["redense"])] == [6, 4]
    assert not any(hasattr(m, "weight_mask") for m in model.modules())
    # Re-dense revives the pruned weights (but for those without gradient, e.g. of dead units).
    assert all(v <= sparsity / 2 for v in model_sparsity(model).values()), f"seed={seed}"


@pytest.mark.parametrize("changes, message", [
    ({"sparsity": 1.0}, r"DSD sparsity must be a fraction in \[0, 1\), not 1.0"),
    ({"sparsity": True}, r"DSD sparsity must be a fraction in \[0, 1\), not True"),
    ({"sparse_epochs": -1}, r"DSD sparse_epochs must be a non-negative integer, not -1"),
    ({"cycles": 0}, r"DSD cycles must be a positive integer, not 0"),
    ({"lr": 0}, r"DSD lr must be a positive number, not 0"),
    ({"lr_scale": float("nan")}, r"DSD lr_scale must be a positive number, not nan"),
])
def test_settings_are_checked(changes, message):
    with pytest.raises(ValueError, match=rf"^{message}$"):
        DSDSettings(**changes)


@pytest.fixture
def files(tmp_path, rng, seed):
    torch.save(_mlp(seed).state_dict(), tmp_path / "mlp.pt")
    x, y = _data(rng)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    return tmp_path


def _compress(files, *extra):
    return main(["compress", str(files / "mlp.pt"), "--out", str(files / "out"), "--pes", "2",
                 "--sparsity", "0.5", "--epochs", "1", "--prune-steps", "1",
                 "--finetune-epochs", "1", "--no-progress",
                 "--train-x", str(files / "x.npy"), "--train-y", str(files / "y.npy"),
                 "--test-x", str(files / "x.npy"), "--test-y", str(files / "y.npy"), *extra])


def test_compress_with_dsd(files, capsys):
    assert _compress(files, "--dsd", "--dsd-sparsity", "0.4", "--dsd-epochs", "3") == 0, \
        capsys.readouterr().err
    report = json.loads((files / "out" / "report.json").read_text())
    assert report["dsd"]["settings"]["sparsity"] == 0.4
    assert len(report["dsd"]["losses"]["sparse"]) == len(report["dsd"]["losses"]["redense"]) == 3
    assert 0 <= report["dsd"]["plain_float_test"] <= 1
    assert _compress(files) == 0
    assert json.loads((files / "out" / "report.json").read_text())["dsd"] is None


@pytest.mark.parametrize("argv, message", [
    (["mlp.pt", "--dsd-sparsity", "0.3"], r"--dsd-sparsity needs --dsd"),
    (["mlp.pt", "--dsd-sparsity", "0.3", "--dsd-epochs", "2"],
     r"--dsd-sparsity, --dsd-epochs need --dsd"),
    (["mlp.pt", "--dsd"], r"--dsd needs training data \(--train-x and --train-y\)"),
    (["mlp.pt", "--dsd", "--dsd-sparsity", "1"],
     r"argument --dsd-sparsity: must be a fraction in \[0, 1\), not 1"),
])
def test_dsd_options_are_checked(files, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(files)
    try:
        status = main(["compress", *argv, "--out", "out", "--no-progress"])
    except SystemExit as e:
        status = e.code
    assert status == 2
    assert re.fullmatch(rf"eie compress: error: {message}", capsys.readouterr().err
                        .splitlines()[-1])
    assert not (files / "out").exists()
