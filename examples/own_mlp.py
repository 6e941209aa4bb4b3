"""Compress your own PyTorch MLP and run it on the EIE RTL: ``python examples/own_mlp.py [DIR]``.

Replace the model and the data with yours: any chain of ``nn.Linear`` / ``nn.ReLU`` layers.
The script exits non-zero if the RTL disagrees with the golden or cycle model.
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from compress.pipeline import Settings
from compress.train import accuracy, as_tensors, train
from eie_hw.config import EIEConfig
from sim import EIEModel


def main(out_dir):
    # Section: your model and data (here: which half of a 32-vector has the larger sum)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (800, 32)).astype(np.float32)
    y = (x[:, :16].sum(axis=1) > x[:, 16:].sum(axis=1)).astype(np.int64)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 48), nn.ReLU(), nn.Linear(48, 2))
    train(model, *as_tensors(x[:600], y[:600], 32), epochs=40, lr=3e-3, progress=False)

    # Section: Deep Compression for a small 4-PE array, and its .eie image
    config = EIEConfig(n_pes=4, act_depth=16, spmat_depth=256, ptr_depth=256, bias_depth=32)
    settings = Settings(sparsity=0.7, prune_steps=2, retrain_epochs=5, finetune_epochs=5)
    eie = EIEModel.compress(model, config, (x[:600], y[:600]), settings)
    eie.save(Path(out_dir) / "mlp.eie")
    print(f"accuracy: float {accuracy(model, x[600:], y[600:]):.3f}, "
          f"golden model {eie.accuracy(x[600:], y[600:]):.3f}; "
          f"compression {eie.report()['compression']['ratio']:.1f}x")

    # Section: the RTL (Amaranth simulator), checked against the golden and cycle models
    result = eie.simulate(x[600:606], backend="amaranth", check=True)
    print(f"RTL = golden model on 6 inputs; cycles {result.cycles.tolist()}")
    return 0


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else tmp))
