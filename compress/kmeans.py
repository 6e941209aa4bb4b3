"""One-dimensional k-means for weight sharing (Deep Compression §3), NumPy only.

Initialisations (Deep Compression §3.2):

* ``"linear"`` (default): centroids evenly spaced over ``[min, max]`` of the weights; keeps the
  rare large weights, which the paper found best except at 3 bits;
* ``"density"``: centroids at evenly spaced quantiles (the CDF spaced linearly in ``y``);
* ``"random"`` (Forgy): ``k`` distinct weights drawn at random (seeded).

In EIE, codebook index 0 is the reserved zero, so a ``bits``-bit codebook clusters the
non-zero weights into ``2 ** bits - 1`` centroids (:func:`shared_codebook`).
"""

import numpy as np

__all__ = ["INITS", "kmeans_1d", "shared_codebook", "check_bits"]

INITS = ("linear", "density", "random")


def check_bits(bits, what="bits"):
    """Raise unless ``bits`` is an integer in 1…8."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)):
        raise TypeError(f"{what} must be an integer, not {bits!r}")
    if not 1 <= bits <= 8:
        raise ValueError(f"{what} must be between 1 and 8, not {bits!r}")
    return int(bits)


def _init(values, k, init, rng):
    if init == "linear":
        return np.linspace(values.min(), values.max(), k)
    if init == "density":
        return np.quantile(values, (np.arange(k) + 0.5) / k)
    if init == "random":
        unique = np.unique(values)
        return np.sort(rng.choice(unique, size=min(k, len(unique)), replace=False))
    raise ValueError(f"init must be one of {', '.join(INITS)}, not {init!r}")


def _assign(values, centroids):
    """Index of the nearest centroid (centroids sorted ascending)."""
    if len(centroids) == 1:
        return np.zeros(len(values), dtype=np.int64)
    mids = (centroids[1:] + centroids[:-1]) / 2
    return np.searchsorted(mids, values, side="left").astype(np.int64)


def kmeans_1d(values, k, *, init="linear", seed=0, max_iter=100, tol=1e-9):
    """Cluster ``values`` into at most ``k`` centroids with Lloyd's algorithm.

    Returns ``(centroids, labels)``: ``centroids`` sorted ascending (length ``k``, fewer only
    for ``"random"`` with fewer than ``k`` distinct values), ``labels[i]`` the centroid of
    ``values[i]``. A centroid that loses all its members keeps its position.
    """
    values = np.asarray(values, dtype=np.float64).ravel()
    if not np.all(np.isfinite(values)):
        raise ValueError("k-means values contain NaN or infinite values")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, not {k!r}")
    if init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, not {init!r}")
    if values.size == 0:
        return np.zeros(k), np.zeros(0, dtype=np.int64)
    centroids = np.sort(_init(values, k, init, np.random.default_rng(seed)).astype(np.float64))
    labels = _assign(values, centroids)
    for _ in range(max_iter):
        sums = np.bincount(labels, weights=values, minlength=len(centroids))
        counts = np.bincount(labels, minlength=len(centroids))
        new = np.where(counts > 0, sums / np.maximum(counts, 1), centroids)
        order = np.argsort(new, kind="stable")
        new = new[order]
        moved = np.abs(new - centroids[order]).max()
        centroids = new
        labels = _assign(values, centroids)
        if moved <= tol:
            break
    return centroids, labels


def shared_codebook(weights, bits, *, init="linear", seed=0):
    """Weight sharing of one layer with index 0 reserved for the zero.

    Returns ``(codebook, index)``: ``codebook`` has ``2 ** bits`` float entries with
    ``codebook[0] == 0``; ``index`` has the shape of ``weights``, 0 where the weight is zero
    and ``1 … 2 ** bits - 1`` elsewhere. Unused entries repeat the last used centroid.
    """
    bits = check_bits(bits)
    weights = np.asarray(weights, dtype=np.float64)
    if not np.all(np.isfinite(weights)):
        raise ValueError("weights contain NaN or infinite values")
    size = 2 ** bits
    index = np.zeros(weights.shape, dtype=np.int64)
    codebook = np.zeros(size)
    nonzero = weights != 0
    if size == 1 or not nonzero.any():
        return codebook, index
    centroids, labels = kmeans_1d(weights[nonzero], size - 1, init=init, seed=seed)
    codebook[1:1 + len(centroids)] = centroids
    codebook[1 + len(centroids):] = centroids[-1]
    index[nonzero] = labels + 1
    return codebook, index
