"""The CPU baseline for one Table III layer: its sparse matrix-vector product on this machine.

    python examples/cpu_baseline.py [--layer Alex-7] [--seed 2016]

The layer is the benchmark's synthetic one (``eie bench``: the sizes and densities of Table III,
seed 2016); the product is CSR × dense vector in float32 at batch 1, with PyTorch on one thread
and on all of them, and with SciPy. Prints the median of repeated runs after a warm-up
(``sim.apps.baselines.median_seconds``; ``eie bench --baselines`` runs every layer, dense and
CSR, beside EIE's time).
"""

import argparse

import scipy.sparse
import torch

from sim.apps.baselines import cpu_products, median_seconds
from sim.verify.paper import TABLE_III
from sim.verify.random_layers import synthetic_layer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="Alex-7", choices=[l.name for l in TABLE_III])
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    layer = next(l for l in TABLE_III if l.name == args.layer)
    quantized, acts = synthetic_layer(layer, args.seed)
    dense, csr, x = cpu_products(quantized, acts)
    matrix = scipy.sparse.csr_matrix(dense.numpy())
    column = x[:, None]
    print(f"{layer.name}: {layer.n_out}×{layer.n_in}, {matrix.nnz} non-zeros, batch 1, float32")
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        print(f"  torch {torch.__version__} CSR, {threads} thread(s): "
              f"{median_seconds(lambda: csr @ column) * 1e3:.2f} ms")
    x_np = x.numpy()
    print(f"  scipy {scipy.__version__} CSR: {median_seconds(lambda: matrix @ x_np) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
