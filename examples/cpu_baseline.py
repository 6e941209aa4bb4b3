"""The CPU baseline for one Table III layer: its sparse matrix-vector product on this machine.

    python examples/cpu_baseline.py [--layer Alex-7] [--seed 2016]

The layer is the benchmark's synthetic one (``eie bench``: the sizes and densities of Table III,
seed 2016); the product is CSR × dense vector in float32 at batch 1, with PyTorch on one thread
and on all of them, and with SciPy. Prints the median of five runs of 100 products each.
"""

import argparse
import time
import warnings

import numpy as np
import scipy.sparse
import torch

from sim.verify.paper import TABLE_III
from sim.verify.random_layers import synthetic_layer


def median_ms(product, repeats=5, count=100):
    for _ in range(10):
        product()
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            product()
        runs.append((time.perf_counter() - start) / count * 1e3)
    return float(np.median(runs))


def main():
    warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="Alex-7", choices=[l.name for l in TABLE_III])
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    layer = next(l for l in TABLE_III if l.name == args.layer)
    quantized, acts = synthetic_layer(layer, args.seed)
    dense = (quantized.index != 0).astype(np.float32)
    matrix = scipy.sparse.csr_matrix(dense)
    csr = torch.from_numpy(dense).to_sparse_csr()
    x = acts.astype(np.float32)
    column = torch.from_numpy(x)[:, None]
    print(f"{layer.name}: {layer.n_out}×{layer.n_in}, {matrix.nnz} non-zeros, batch 1, float32")
    for threads in sorted({1, torch.get_num_threads()}):
        torch.set_num_threads(threads)
        print(f"  torch {torch.__version__} CSR, {threads} thread(s): "
              f"{median_ms(lambda: csr @ column):.2f} ms")
    print(f"  scipy {scipy.__version__} CSR: {median_ms(lambda: matrix @ x):.2f} ms")


if __name__ == "__main__":
    main()
