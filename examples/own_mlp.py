"""Compress your own PyTorch MLP and run it on the EIE RTL in simulation.

    .venv/bin/python examples/own_mlp.py [OUT_DIR]

Replace the model and the data below with yours: any chain of ``nn.Linear`` / ``nn.ReLU``
layers works. The script prunes, quantizes (4-bit shared weights) and fine-tunes the model,
writes an ``.eie`` image, and runs a few inputs through the golden model and through the RTL
(Amaranth simulator); it exits non-zero if the RTL and the golden model disagree.
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from compress.export import export_model
from compress.pipeline import Settings, compress_model
from compress.train import accuracy, as_tensors, train
from eie_hw.config import EIEConfig
from eie_hw.fixedpoint import act_to_fixed
from eie_hw.image import load_image
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.amaranth_host import simulate_batch


def main(out_dir):
    # Section: your model and data (here: which half of a 32-vector has the larger sum)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (800, 32)).astype(np.float32)
    y = (x[:, :16].sum(axis=1) > x[:, 16:].sum(axis=1)).astype(np.int64)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(32, 48), nn.ReLU(), nn.Linear(48, 2))
    train(model, *as_tensors(x[:600], y[:600], 32), epochs=40, lr=3e-3, progress=False)
    print(f"float accuracy {accuracy(model, x[600:], y[600:]):.3f}")

    # Section: Deep Compression (prune → retrain → share weights → fine-tune centroids)
    settings = Settings(sparsity=0.7, prune_steps=2, retrain_epochs=5, finetune_epochs=5)
    compressed, _ = compress_model(model, settings, (x[:600], y[:600]), progress=False)
    print(f"compressed accuracy {accuracy(compressed, x[600:], y[600:]):.3f}")

    # Section: the EIE image for a small 4-PE array
    config = EIEConfig(n_pes=4, act_depth=16, spmat_depth=256, ptr_depth=256, bias_depth=32,
                       max_layers=4)
    export_model(compressed, config, out_dir, stem="mlp", plots=False)
    image = load_image(Path(out_dir) / "mlp.eie")

    # Section: golden model and RTL on a few test inputs
    inputs = act_to_fixed(config, x[600:606])
    golden = GoldenModel(image)
    physical, cycles, errors = simulate_batch(image, inputs)
    rtl = image.restore_outputs(physical)
    expected = golden.run(inputs)
    model_cycles = [job_timing(image, v, golden).total for v in inputs]
    print(f"RTL outputs equal the golden model's: {np.array_equal(rtl, expected)}")
    print(f"RTL cycles {cycles.tolist()} / cycle model {model_cycles}")
    ok = np.array_equal(rtl, expected) and cycles.tolist() == model_cycles and not errors.any()
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(main(sys.argv[1]))
    with tempfile.TemporaryDirectory() as tmp:
        sys.exit(main(tmp))
