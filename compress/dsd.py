"""Dense-Sparse-Dense training (Han et al., ICLR'17) as a reusable routine.

1. **Dense** — ordinary training (done by the caller, or ``dense_epochs`` here).
2. **Sparse** — prune each layer to its sparsity ``s`` (keep the top ``N·(1−s)`` ``|W|``) and
   retrain with the mask held.
3. **Re-dense** — drop the masks; pruned weights restart at 0 and everything is retrained at
   ``lr_scale`` (1/10) of the learning rate.

Steps 2–3 repeat ``cycles`` times. The result is a dense model (DSD is a training method, not a
compression); compress it afterwards as usual.
"""

from .prune import prune_model, remove

__all__ = ["dsd"]


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
