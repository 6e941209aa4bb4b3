"""Dense-Sparse-Dense training (Han et al., ICLR'17) as a reusable routine.

1. **Dense** — ordinary training (done by the caller, or ``dense_epochs`` here).
2. **Sparse** — prune each layer to its sparsity ``s`` (keep the top ``N·(1−s)`` ``|W|``) and
   retrain with the mask held.
3. **Re-dense** — drop the masks; pruned weights restart at 0 and everything is retrained at
   ``lr_scale`` (1/10) of the learning rate.

Steps 2–3 repeat ``cycles`` times. The result is a dense model (DSD is a training method, not a
compression); compress it afterwards as usual.

:func:`dsd` takes any training callback; :func:`dsd_classifier` runs it on a classification
data set with :func:`compress.train.train` and :class:`DSDSettings`. With ``sparsity=0`` the
same schedule runs without pruning: the control that separates DSD's effect from that of the
extra epochs and the lowered learning rate.
"""

import itertools
import math
from dataclasses import dataclass

from .prune import prune_model, remove
from .train import as_tensors, train

__all__ = ["dsd", "DSDSettings", "dsd_classifier"]


def dsd(model, train, sparsity=0.3, *, cycles=1, lr=1e-3, lr_scale=0.1, dense_epochs=0,
        sparse_epochs=10, redense_epochs=10):
    """Run DSD on ``model`` in place and return it.

    ``train(model, epochs, lr, phase)`` trains for ``epochs`` at ``lr``; ``phase`` is
    ``"dense"``, ``"sparse"`` or ``"redense"``. ``sparsity`` is one fraction in ``[0, 1)`` or
    ``{layer name: fraction}``.
    """
    if not isinstance(cycles, int) or cycles < 1:
        raise ValueError(f"cycles must be a positive integer, not {cycles!r}")
    if dense_epochs:
        train(model, dense_epochs, lr, "dense")
    for _ in range(cycles):
        prune_model(model, sparsity)
        train(model, sparse_epochs, lr, "sparse")
        remove(model)
        train(model, redense_epochs, lr * lr_scale, "redense")
    return model


@dataclass(frozen=True)
class DSDSettings:
    """DSD's schedule after dense training.

    Members
    -------
    sparsity : float
        Fraction of every layer's weights pruned in the sparse phase, in ``[0, 1)`` (the DSD
        paper uses 0.25–0.5); 0 runs the same schedule without pruning.
    sparse_epochs, redense_epochs : int
        Epochs of the sparse and the re-dense phase.
    lr, lr_scale : float
        Adam learning rate of the sparse phase; the re-dense phase runs at ``lr × lr_scale``.
    cycles : int
        Sparse → re-dense rounds.
    batch_size : int
    """

    sparsity: float = 0.3
    sparse_epochs: int = 20
    redense_epochs: int = 20
    lr: float = 1e-3
    lr_scale: float = 0.1
    cycles: int = 1
    batch_size: int = 64

    def __post_init__(self):
        if isinstance(self.sparsity, bool) or not isinstance(self.sparsity, (int, float)) \
                or not math.isfinite(self.sparsity) or not 0 <= self.sparsity < 1:
            raise ValueError(f"DSD sparsity must be a fraction in [0, 1), not "
                             f"{self.sparsity!r}")
        for name in ("sparse_epochs", "redense_epochs", "cycles", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0 \
                    or (value == 0 and name in ("cycles", "batch_size")):
                kind = "positive" if name in ("cycles", "batch_size") else "non-negative"
                raise ValueError(f"DSD {name} must be a {kind} integer, not {value!r}")
        for name in ("lr", "lr_scale"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not math.isfinite(value) or value <= 0:
                raise ValueError(f"DSD {name} must be a positive number, not {value!r}")


def dsd_classifier(model, data, settings=None, *, seed=0, progress=True):
    """DSD on a trained classifier, in place: cross-entropy on ``data = (x, y)`` with
    :class:`DSDSettings` (defaults if ``None``); returns ``(model, losses)`` with the mean
    training loss of every epoch per phase (``{"sparse": [...], "redense": [...]}``)."""
    settings = settings or DSDSettings()
    n_in = next(m for m in model.modules() if hasattr(m, "in_features")).in_features
    x, y = as_tensors(*data, n_in, what="DSD training data")
    losses = {"sparse": [], "redense": []}
    calls = itertools.count(1)

    def fit(m, epochs, lr, phase):
        losses[phase] += train(m, x, y, epochs=epochs, lr=lr, batch_size=settings.batch_size,
                               seed=seed + 1000 + next(calls), progress=progress,
                               desc=f"DSD {phase}")

    dsd(model, fit, settings.sparsity, cycles=settings.cycles, lr=settings.lr,
        lr_scale=settings.lr_scale, sparse_epochs=settings.sparse_epochs,
        redense_epochs=settings.redense_epochs)
    return model, losses
