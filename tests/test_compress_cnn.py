"""CNNs: shared-weight convolutions, the host/EIE split, Deep Compression's accounting of a
convolution against plain-loop oracles, and the LeNet-5 demo end to end (quick)."""

from collections import Counter

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import optimal_prefix_code_bits
from torch import nn
from torch.nn import functional as F

from compress.cnn import LENET5_BITS, host_features, load_lenet5_host, run_lenet5_demo
from compress.cnn_model import input_size, is_cnn, split_cnn
from compress.conv_accounting import conv_accounting, conv_entries
from compress.huffman import huffman_code, table_bits
from compress.pipeline import Settings, compress_model
from compress.quantize import SharedConv2d, quantize_model
from compress.storage import load_compressed
from eie_hw.config import EIEConfig
from eie_hw.fixedpoint import act_to_fixed
from eie_hw.image import load_image
from eie_hw.image.fileformat import image_to_bytes
from sim.models.golden import GoldenModel


def _cnn(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Unflatten(1, (1, 6, 6)), nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Conv2d(4, 5, 2, stride=1), nn.ReLU(), nn.Flatten(),
                         nn.Linear(20, 12), nn.ReLU(), nn.Linear(12, 3))


def test_split_and_shared_convolutions(rng, seed):
    model = _cnn(seed)
    assert is_cnn(model) and input_size(model) == 36
    host, eie = split_cnn(model)
    assert [type(m).__name__ for m in eie] == ["Linear", "ReLU", "Linear"]
    assert host[1] is model[1]                                  # the model's own modules
    x = torch.as_tensor(rng.random((5, 36)), dtype=torch.float32)
    with torch.no_grad():
        expected = model(x)
        quantize_model(model, {"1": 8, "4": 3, "7": 4, "9": 4}, seed=seed)
    conv = model[4]
    assert isinstance(conv, SharedConv2d) and conv.bits == 3
    assert conv.index.shape == (5, 4, 2, 2) and int(conv.index.max()) <= 7
    codebook = conv.codebook().detach()
    with torch.no_grad():
        inner = model[:4](x)
        # The shared convolution is F.conv2d with the codebook's values.
        assert torch.allclose(conv(inner), F.conv2d(inner, codebook[conv.index], conv.bias))
        assert torch.allclose(model[1](x.view(5, 1, 6, 6)),
                              F.conv2d(x.view(5, 1, 6, 6), model[1].weight, model[1].bias,
                                       padding=1))
        assert (model(x) - expected).abs().max() < 0.5, f"seed={seed}"


@pytest.mark.parametrize("model, message", [
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2)), None),
    (nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2),
                   nn.Flatten(), nn.Linear(8, 2)),
     r"^layer '2' \(BatchNorm2d\) cannot run in the host part of a CNN"),
    (nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 2, 3), nn.Flatten()),
     r"^the CNN has no Linear layer for EIE to run$"),
    (nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 2, 3), nn.Flatten(),
                   nn.Linear(8, 2), nn.Sigmoid()),
     r"^layer '4' \(Sigmoid\) cannot run on EIE"),
])
def test_refusals(model, message):
    if message is None:      # no Unflatten first: not a CNN, refused as a chain
        assert not is_cnn(model)
        with pytest.raises(TypeError, match=r"^layer '0' \(Conv2d\) cannot run on EIE"):
            compress_model(model, Settings())
        return
    with pytest.raises(TypeError, match=message):
        split_cnn(model)
    with pytest.raises(TypeError, match=message):
        compress_model(model, Settings())


def _entries_by_loop(flat, rel_bits):
    """Oracle: walk the flattened tensor, emitting a filler every 2**rel_bits zeros."""
    weights, rels, run = [], [], 0
    for v in flat:
        if v == 0:
            run += 1
            if run == 1 << rel_bits:           # a full span of zeros: a filler stands for it
                weights.append(0)
                rels.append((1 << rel_bits) - 1)
                run = 0
            continue
        weights.append(int(v))
        rels.append(run)
        run = 0
    # Fillers after the last non-zero are not stored.
    while weights and weights[-1] == 0:
        weights.pop()
        rels.pop()
    return weights, rels


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([0] * 12 + [1, 2, 255]), max_size=400), st.integers(1, 6))
def test_conv_entries_match_the_loop(flat, rel_bits):
    weight, rel = conv_entries(np.array(flat, dtype=np.int64), rel_bits)
    assert (weight.tolist(), rel.tolist()) == _entries_by_loop(flat, rel_bits)


def test_conv_accounting(rng, seed):
    index = np.where(rng.random((6, 4, 3, 3)) < 0.2, rng.integers(1, 256, (6, 4, 3, 3)), 0)
    conv = SharedConv2d(index, rng.normal(size=256), torch.zeros(6), padding=1)
    a = conv_accounting(conv, name="c", rel_bits=5)
    weight, rel = _entries_by_loop(index.ravel().tolist(), 5)
    assert a["entries"] == len(weight) and a["nonzeros"] == np.count_nonzero(index)
    assert a["dense_bits"] == 32 * (index.size + 6)
    assert a["pq"] == {"weight_bits": 8 * len(weight), "index_bits": 5 * len(weight),
                       "codebook_bits": 256 * 32, "bias_bits": 6 * 32}
    assert a["pqh"]["weight_bits"] == optimal_prefix_code_bits(Counter(weight)) + table_bits(
        huffman_code(weight), 256), f"seed={seed}"
    assert a["pqh"]["index_bits"] == optimal_prefix_code_bits(Counter(rel)) + table_bits(
        huffman_code(rel), 32), f"seed={seed}"
    assert a["ratio_pqh"] == a["dense_bits"] / sum(a["pqh"].values())


def test_lenet5_demo_quick(tmp_path):
    config = EIEConfig(n_pes=2)
    report = run_lenet5_demo(tmp_path, config, quick=True, progress=False)
    files = report["files"]
    image = load_image(tmp_path / files["image"])
    assert image_to_bytes(load_compressed(tmp_path / files["compressed"])) \
        == (tmp_path / files["image"]).read_bytes()
    # Accuracy recomputed from the files on disk: host convolutions, then the golden model.
    from compress.demo import digits_data

    x, y = digits_data(report["seed"])["test"]
    host = load_lenet5_host(tmp_path / files["host"])
    assert [m.bits for m in host if isinstance(m, SharedConv2d)] == [LENET5_BITS["conv1"],
                                                                     LENET5_BITS["conv2"]]
    golden = GoldenModel(image).run(act_to_fixed(config, host_features(host, x))).argmax(axis=1)
    assert report["accuracy"]["compressed_golden_test"] == np.mean(golden == y)
    assert report["accuracy"]["compressed_golden_test"] > 0.8
    assert report["accuracy"]["golden_pytorch_agreement"] >= 0.98
    # Sizes recomputed from the per-layer figures.
    layers = report["host_layers"] + report["eie_layers"]
    dense = sum(a["dense_bits"] for a in layers)
    coded = sum(a["pqh"][k] for a in layers
                for k in ("weight_bits", "index_bits", "codebook_bits", "bias_bits"))
    assert report["sizes"]["ratio_pqh"] == pytest.approx(dense / coded, rel=1e-12)
    assert report["sizes"]["eiz_file"] == (tmp_path / files["compressed"]).stat().st_size
    for a, name in zip(layers, ("conv1", "conv2", "fc1", "fc2"), strict=True):
        assert a["name"] == name
    assert "LeNet-5 (digits) compressed" in (tmp_path / "report.txt").read_text()


def test_convolutions_with_other_padding_are_refused():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding="same"))
    with pytest.raises(ValueError, match=r"^layer '0': only numeric zero padding is supported, "
                                         r"not padding='same', padding_mode='zeros'$"):
        quantize_model(model, 4)
