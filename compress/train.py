"""Small, deterministic training and evaluation loops for classification MLPs.

Pruning masks (:mod:`compress.prune`) and shared weights (:mod:`compress.quantize`) are
re-parametrizations, so plain training respects them; nothing here knows about compression.
"""

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

__all__ = ["as_tensors", "train", "accuracy", "predict"]


def as_tensors(x, y, n_in, *, what="data"):
    """Check and convert a classification data set: ``x`` ``(N, n_in)`` finite floats,
    ``y`` ``(N,)`` integer labels. Raises ``ValueError`` naming ``what`` on a mismatch."""
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    y = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y)
    if x.ndim != 2 or x.shape[1] != n_in:
        raise ValueError(f"{what}: inputs must have shape (N, {n_in}) for the model's first "
                         f"layer, not {tuple(x.shape)}")
    if y.ndim != 1 or y.shape[0] != x.shape[0]:
        raise ValueError(f"{what}: labels must have shape ({x.shape[0]},), not "
                         f"{tuple(y.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{what}: the data set is empty")
    if y.dtype.is_floating_point or y.dtype == torch.bool:
        if not torch.equal(y, y.round()):
            raise ValueError(f"{what}: labels must be integer class numbers")
    x = x.to(torch.float32)
    if not torch.isfinite(x).all():
        raise ValueError(f"{what}: inputs contain NaN or infinite values")
    return x, y.to(torch.long)


def train(model, x, y, *, epochs, lr=1e-3, batch_size=64, weight_decay=0.0, seed=0,
          progress=True, desc="train"):
    """Train ``model`` with Adam on cross-entropy for ``epochs`` epochs (seeded shuffling).

    Returns the list of mean training losses per epoch.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if not params or epochs <= 0:
        return []
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    losses = []
    model.train()
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=False, unit="epoch")
    for _ in bar:
        order = torch.randperm(len(x), generator=gen)
        total = 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(batch)
        losses.append(total / len(x))
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    model.eval()
    return losses


@torch.no_grad()
def predict(model, x):
    model.eval()
    return model(torch.as_tensor(x, dtype=torch.float32)).argmax(dim=1).numpy()


def accuracy(model, x, y):
    """Top-1 accuracy of ``model`` on ``(x, y)`` as a fraction."""
    return float(np.mean(predict(model, x) == np.asarray(y)))
