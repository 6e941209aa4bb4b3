"""Export to .eie: fidelity against PyTorch, refusals and bad input, no partial images."""

import warnings

import numpy as np
import pytest
import torch
from torch import nn

import compress.export as export_module
from compress.export import export_model
from compress.model import linear_chain, load_model
from compress.pipeline import Settings, compress_model
from compress.storage import load_compressed
from eie_hw.config import EIEConfig
from eie_hw.fixedpoint import act_to_fixed, from_fixed
from eie_hw.image import ImageError, load_image
from eie_hw.image.fileformat import image_to_bytes
from sim.models.golden import GoldenModel


def _mlp(seed, sizes=(12, 24, 6)):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.ReLU(), nn.Linear(sizes[1], sizes[2]))


def _data(rng, n=80, n_in=12, classes=6):
    return (rng.random((n, n_in)).astype(np.float32), rng.integers(0, classes, n))


def test_exported_image_computes_what_pytorch_computes(rng, seed, tmp_path):
    x, y = _data(rng)
    model, _ = compress_model(_mlp(seed), Settings(sparsity=0.6, bits=4, prune_steps=2,
                                                   retrain_epochs=2, finetune_epochs=2,
                                                   seed=seed), (x, y), progress=False)
    config = EIEConfig(n_pes=4)
    result = export_model(model, config, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.eie", "model.eiz",
                                                          "sparsity.png", "weights.png"]
    image = load_image(tmp_path / "model.eie")
    assert image_to_bytes(load_compressed(tmp_path / "model.eiz")) == image_to_bytes(image)
    assert result["compressed_bytes"] == (tmp_path / "model.eiz").stat().st_size \
        == result["accounting"]["total"]["eiz_file_bytes"]
    chain = linear_chain(model)
    for q, layer in zip(image.decode(), chain, strict=True):
        assert np.array_equal(q.index, layer.module.index.numpy())
        assert np.allclose(from_fixed(q.codebook, q.w_frac),
                           layer.module.codebook().detach().numpy(),
                           atol=2.0 ** -(q.w_frac + 1) + 1e-7)
        assert q.relu == layer.relu
    # Golden (fixed point) against PyTorch (float) on inputs exact in fixed point: each layer
    # adds at most half an output LSB of rounding plus the codebook rounding it amplifies.
    xq = from_fixed(act_to_fixed(config, x), config.act_frac_bits).astype(np.float32)
    with torch.no_grad():
        ref = model(torch.tensor(xq)).numpy()
    out = from_fixed(GoldenModel(image).run(act_to_fixed(config, xq)), config.act_frac_bits)
    assert np.abs(out - ref).max() < 0.05
    assert np.mean(GoldenModel(image).predict(xq) == ref.argmax(axis=1)) >= 0.95
    assert result["image_bytes"] == (tmp_path / "model.eie").stat().st_size


@pytest.mark.parametrize("module, why", [
    (nn.Conv2d(1, 2, 3), "convolution"),
    (nn.MultiheadAttention(8, 2), "attention"),
    (nn.Tanh(), "EIE applies only ReLU"),
    (nn.BatchNorm1d(8), "fold it into"),
    (nn.LSTM(8, 8), "recurrent"),
])
def test_unsupported_layers_are_refused_by_name(module, why):
    model = nn.Sequential(nn.Linear(8, 8), module, nn.Linear(8, 3))
    with pytest.raises(TypeError, match=rf"^layer '1' \({type(module).__name__}\) cannot run "
                                        rf"on EIE: .*{why}"):
        linear_chain(model)
    with pytest.raises(TypeError, match=r"^layer '1'"):
        compress_model(model, Settings())


def test_traced_models_and_other_refusals():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(8, 8), nn.Linear(8, 2)

        def forward(self, x):
            return torch.sigmoid(self.fc2(torch.relu(self.fc1(x))))

    with pytest.raises(TypeError, match=r"^operation 'sigmoid' \(sigmoid\) cannot run on EIE"):
        linear_chain(Net())
    Net.forward = lambda self, x: self.fc2(torch.relu(self.fc1(x.flatten(1))))
    chain = linear_chain(Net())
    assert [(c.name, c.relu) for c in chain] == [("fc1", True), ("fc2", False)]
    with pytest.raises(TypeError, match=r"^Sequential has no Linear layer EIE could run$"):
        linear_chain(nn.Sequential(nn.Flatten(), nn.Dropout()))
    with pytest.raises(TypeError, match=r"^layer '0' \(ReLU\) cannot run on EIE: it acts on "
                                        r"the network inputs"):
        linear_chain(nn.Sequential(nn.ReLU(), nn.Linear(3, 3)))
    with pytest.raises(ValueError, match=r"^layer '1' has 5 inputs but the layer before it, "
                                         r"'0', has 4 outputs$"):
        linear_chain(nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2)))


def test_bad_values_name_the_parameter(rng):
    model = _mlp(0)
    with torch.no_grad():
        model[2].weight[0, 0] = float("inf")
    with pytest.raises(ValueError, match=r"^parameter '2.weight' contains NaN or infinite"):
        compress_model(model, Settings())
    with pytest.raises(ValueError, match=r"^bits of layer '2' must be between 1 and 8, not 9$"):
        compress_model(_mlp(0), Settings(bits={"2": 9}))
    with pytest.raises(ValueError, match=r"^sparsity of layer '0' must be a fraction in "
                                         r"\[0, 1\), not 1.0$"):
        compress_model(_mlp(0), Settings(sparsity=1.0))
    with pytest.raises(ValueError, match=r"^sparsity names unknown layer\(s\) fc1"):
        compress_model(_mlp(0), Settings(sparsity={"fc1": 0.5}))
    x, y = _data(rng, n_in=11)
    with pytest.raises(ValueError, match=r"^retraining data: inputs must have shape \(N, 12\) "
                                         r"for the model's first layer, not \(80, 11\)$"):
        compress_model(_mlp(0), Settings(), (x, y))
    x, y = _data(rng)
    with pytest.raises(ValueError, match=r"^retraining data: labels must have shape \(80,\)"):
        compress_model(_mlp(0), Settings(), (x, y[:-1]))
    with pytest.raises(ValueError, match=r"^retraining data: labels must lie in 0…5"):
        compress_model(_mlp(0), Settings(), (x, y + 6))


def test_unquantized_model_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"^layer 0 \('0'\) is a plain Linear; quantize"):
        export_model(_mlp(0), EIEConfig(n_pes=4), tmp_path)
    assert not list(tmp_path.iterdir())


def test_too_large_layer_leaves_no_image(tmp_path):
    model, _ = compress_model(_mlp(0, (12, 40, 6)), Settings(sparsity=0.5), progress=False)
    small = EIEConfig(n_pes=2, act_depth=16)
    with pytest.raises(ImageError, match=r"^layer 0 \('0'\): 40 outputs exceed the 32"):
        export_model(model, small, tmp_path)
    tight = EIEConfig(n_pes=1, spmat_depth=8)  # 64 entries: the image cannot fit
    with pytest.raises(ImageError, match=r"^the network \('0', '2'\) does not fit the "
                                         r"configuration: PE 0 needs \d+ sparse entries"):
        export_model(model, tight, tmp_path)
    with pytest.raises(ValueError, match=r"^layer 0 \('0'\): a 32-entry codebook"):
        export_model(compress_model(_mlp(0), Settings(bits=5), progress=False)[0],
                     EIEConfig(n_pes=2), tmp_path)
    assert not list(tmp_path.iterdir())


def test_failure_after_writing_removes_the_image(tmp_path, monkeypatch):
    model, _ = compress_model(_mlp(0), Settings(sparsity=0.5), progress=False)

    def broken(*args, **kwargs):
        raise RuntimeError("plotting failed")

    monkeypatch.setattr(export_module, "plot_weight_distributions", broken)
    with pytest.raises(RuntimeError, match="plotting failed"):
        export_model(model, EIEConfig(n_pes=2), tmp_path)
    assert not list(tmp_path.glob("*.eie")) and not list(tmp_path.glob("*.eiz"))


def test_load_model_state_dict_and_torchscript(tmp_path, seed):
    model = _mlp(seed)
    torch.save(model.state_dict(), tmp_path / "sd.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript is deprecated
        torch.jit.script(model).save(str(tmp_path / "ts.pt"))
    x = torch.rand(5, 12)
    for name in ("sd.pt", "ts.pt"):
        loaded = load_model(tmp_path / name)
        assert torch.allclose(loaded(x), model(x)), name
    conv = {"conv.weight": torch.zeros(2, 1, 3, 3), "fc.weight": torch.zeros(3, 2)}
    torch.save(conv, tmp_path / "conv.pt")
    with pytest.raises(TypeError, match=r"^layer 'conv': weight 'conv.weight' has shape "
                                        r"\(2, 1, 3, 3\); only 2-D"):
        load_model(tmp_path / "conv.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(ValueError, match=r"junk.pt is neither a TorchScript module nor a state"):
        load_model(tmp_path / "junk.pt")
