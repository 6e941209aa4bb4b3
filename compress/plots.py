"""Plots of a compressed network (matplotlib, Agg backend: no display needed).

Every function writes one PNG and returns its path.
"""

import matplotlib

matplotlib.use("Agg")  # before pyplot: headless CI machines and boards have no display

import matplotlib.pyplot as plt  # noqa: E402 - must follow the backend choice
import numpy as np  # noqa: E402

__all__ = ["plot_weight_distributions", "plot_sparsity", "plot_sensitivity"]


def plot_weight_distributions(layers, path):
    """Histogram of each layer's non-zero weights with its shared centroids.

    ``layers``: list of ``(name, weights, centroids)`` (floats; ``weights`` may be the float
    weights before sharing, ``centroids`` the codebook without its reserved zero).
    """
    fig, axes = plt.subplots(len(layers), 1, figsize=(7, 2.4 * len(layers)), squeeze=False)
    for ax, (name, weights, centroids) in zip(axes[:, 0], layers, strict=True):
        weights = np.asarray(weights, dtype=np.float64).ravel()
        nonzero = weights[weights != 0]
        ax.hist(nonzero, bins=80, color="tab:blue", alpha=0.7, label="non-zero weights")
        for i, c in enumerate(np.unique(np.asarray(centroids, dtype=np.float64))):
            ax.axvline(c, color="tab:red", lw=0.8, label="centroids" if i == 0 else None)
        ax.set_title(f"{name}: {len(nonzero)} of {weights.size} weights non-zero")
        ax.set_ylabel("count")
        ax.legend(loc="upper right", fontsize="small")
    axes[-1, 0].set_xlabel("weight value")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_sparsity(names, densities, path):
    """Bar chart of the fraction of weights kept per layer."""
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(names)), 3.2))
    bars = ax.bar(names, [100 * d for d in densities], color="tab:green")
    for bar, d in zip(bars, densities, strict=True):
        ax.annotate(f"{100 * d:.1f}%", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize="small")
    ax.set_ylabel("weights kept (%)")
    ax.set_title("Density per layer after pruning")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_sensitivity(scan, path, *, baseline=None):
    """Accuracy against sparsity, one line per layer (``scan``: ``{name: [(s, acc), ...]}``)."""
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name, points in scan.items():
        s, acc = zip(*points, strict=True)
        ax.plot([100 * v for v in s], [100 * a for a in acc], marker="o", ms=3, label=name)
    if baseline is not None:
        ax.axhline(100 * baseline, color="gray", ls="--", lw=0.8, label="dense")
    ax.set_xlabel("sparsity of the layer (%)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Pruning sensitivity (one layer at a time, no retraining)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
