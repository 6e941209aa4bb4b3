"""The LeNet-5 demo: a LeNet-5-style CNN on the 8×8 digits, convolutions on the host and the
fully connected part on EIE, reported like Deep Compression's Table 1 (and Table 3 per layer).

``run_lenet5_demo`` trains :func:`digits_lenet5` (Caffe's LeNet-5 layout — two convolutions
with 20 and 50 filters, each followed by ReLU and 2×2 max pooling, then 500 hidden units and
10 outputs — with 3×3 kernels padded to keep the 8×8 digits' size until pooling), prunes every
layer iteratively to Deep Compression's LeNet-5 densities (66 %, 12 %, 8 %, 19 % kept), shares
weights per layer with 8-bit codebooks for the convolutions and 4-bit codebooks for the fully
connected layers (the EIE entry's weight index), fine-tunes the centroids, and exports the
fully connected part as an EIE image (``.eie`` and ``.eiz``). The convolutions, with their
shared weights, are saved as a PyTorch state dict and run on the host.

Test accuracy is measured three ways: the float model, the compressed PyTorch model, and the
host convolutions followed by the bit-exact golden model of the image read back from disk
(the host's features are converted to the activation fixed point, as the RTL would get them).
The data split is the MLP demo's (:func:`compress.demo.digits_data`).
"""

import copy
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from eie_hw.fixedpoint import act_to_fixed
from eie_hw.image import load_image
from sim.models.golden import GoldenModel

from .cnn_model import split_cnn
from .cnn_report import cnn_tables, network_bytes
from .conv_accounting import conv_accounting
from .demo import digits_data, torch_threads
from .export import export_model
from .pipeline import Settings, compress_model
from .quantize import SharedConv2d
from .report import write_report
from .train import accuracy, predict, train

__all__ = ["LENET5_SPARSITY", "LENET5_BITS", "digits_lenet5", "lenet5_settings",
           "load_lenet5_host", "host_features", "run_lenet5_demo"]

#: Deep Compression's LeNet-5 (Table 3) keeps 66 %, 12 %, 8 % and 19 % of the weights.
LENET5_SPARSITY = {"conv1": 0.34, "conv2": 0.88, "fc1": 0.92, "fc2": 0.81}
#: Codebook bits per layer: 8 for the convolutions (Deep Compression §3), 4 for the fully
#: connected layers (EIE's weight index).
LENET5_BITS = {"conv1": 8, "conv2": 8, "fc1": 4, "fc2": 4}
_DENSE = {"epochs": 40, "lr": 1e-3, "batch_size": 32}
_DENSE_QUICK = {"epochs": 15, "lr": 2e-3, "batch_size": 32}


def digits_lenet5(seed=0):
    """The LeNet-5-style CNN for flat 64-pixel digits (``nn.Unflatten`` first)."""
    torch.manual_seed(seed)
    return nn.Sequential(OrderedDict([
        ("unflatten", nn.Unflatten(1, (1, 8, 8))),
        ("conv1", nn.Conv2d(1, 20, 3, padding=1)), ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(20, 50, 3, padding=1)), ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(200, 500)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(500, 10)),
    ]))


def lenet5_settings(quick=False, seed=0):
    """The compression :class:`~compress.pipeline.Settings` of the demo."""
    if quick:
        return Settings(sparsity=dict(LENET5_SPARSITY), bits=dict(LENET5_BITS), prune_steps=3,
                        retrain_epochs=5, finetune_epochs=5, lr=1e-3, finetune_lr=1e-4,
                        batch_size=32, seed=seed)
    return Settings(sparsity=dict(LENET5_SPARSITY), bits=dict(LENET5_BITS), prune_steps=5,
                    retrain_epochs=15, finetune_epochs=15, lr=1e-3, finetune_lr=1e-4,
                    batch_size=32, seed=seed)


def load_lenet5_host(path):
    """The host part (shared-weight convolutions) of :func:`digits_lenet5` from the state
    dict ``run_lenet5_demo`` saves (``lenet5-host.pt``)."""
    host, _ = split_cnn(digits_lenet5())
    for name, module in list(host.named_children()):
        if isinstance(module, nn.Conv2d):
            setattr(host, name, SharedConv2d(
                torch.zeros(module.weight.shape, dtype=torch.long),
                torch.zeros(1 << LENET5_BITS[name]), module.bias.detach(),
                stride=module.stride, padding=module.padding, dilation=module.dilation,
                groups=module.groups))
    host.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return host.eval()


@torch.no_grad()
def host_features(host, x):
    """The host part's outputs for flat inputs ``x`` (float32 array ``(N, n_features)``)."""
    host.eval()
    return host(torch.as_tensor(np.asarray(x), dtype=torch.float32)).numpy()


def run_lenet5_demo(out_dir, config, quick=False, *, seed=0, progress=True, threads=1):
    """Run the demo; write ``out_dir/{lenet5.eie, lenet5.eiz, lenet5-host.pt, report.json,
    report.txt}`` and return the report dictionary.

    ``config`` is the :class:`~eie_hw.config.EIEConfig` of the fully connected part's image.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with torch_threads(threads):
        data = digits_data(seed)
        (x_train, y_train), (x_test, y_test) = data["train"], data["test"]
        dense = digits_lenet5(seed)
        hyper = _DENSE_QUICK if quick else _DENSE
        train(dense, torch.as_tensor(x_train), torch.as_tensor(y_train), epochs=hyper["epochs"],
              lr=hyper["lr"], batch_size=hyper["batch_size"], seed=seed, progress=progress,
              desc="dense training")
        settings = lenet5_settings(quick, seed)
        compressed, info = compress_model(copy.deepcopy(dense), settings, data["train"],
                                          progress=progress)
        host, fc = split_cnn(compressed)
        result = export_model(fc, config, out_dir, stem="lenet5",
                              float_weights=info["weights"], plots=False)
        torch.save(host.state_dict(), out_dir / "lenet5-host.pt")
        image = load_image(result["image_path"])  # the golden model runs what is on disk
        features = host_features(host, x_test)
        golden = GoldenModel(image).run(act_to_fixed(config, features,
                                                     what="host features")).argmax(axis=-1)
        torch_pred = predict(compressed, x_test)
    float_acc = accuracy(dense, x_test, y_test)
    golden_acc = float(np.mean(golden == y_test))
    convs = [conv_accounting(m, name=n) for n, m in host.named_children()
             if isinstance(m, SharedConv2d)]
    fcs = result["accounting"]
    for a, q in zip(fcs["layers"], result["layers"], strict=True):
        a["w_frac"], a["relu"] = q.w_frac, q.relu
    sizes = network_bytes(convs, fcs)
    report = {
        "demo": "lenet5", "quick": quick, "seed": seed, "config": config.to_dict(),
        "architecture": str(dense), "settings": asdict(settings), "sparsity": info["sparsity"],
        "data": {k: len(v[1]) for k, v in data.items()},
        "accuracy": {
            "float_test": float_acc,
            "compressed_pytorch_test": float(np.mean(torch_pred == y_test)),
            "compressed_golden_test": golden_acc,
            "golden_pytorch_agreement": float(np.mean(golden == torch_pred)),
            "test_samples": int(len(y_test)),
        },
        "host_layers": convs, "eie_layers": fcs["layers"], "eie_total": fcs["total"],
        "sizes": sizes,
        "files": {"image": result["image_path"].name,
                  "compressed": result["compressed_path"].name, "host": "lenet5-host.pt",
                  "table": "report.txt"},
    }
    write_report(out_dir, report, table=cnn_tables(report))
    return report
