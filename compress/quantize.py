"""Trained quantization: weight sharing with fine-tuned centroids (Deep Compression §3).

:class:`SharedLinear` replaces an ``nn.Linear``: its weight is ``codebook[index]`` where
``codebook = [0, c_1, …, c_{K-1}]`` and only ``c_1 … c_{K-1}`` are parameters. Autograd of the
gather is a scatter-add, so the gradient of centroid ``k`` is the sum of the gradients of the
weights that share it, ``∂L/∂C_k = Σ_ij ∂L/∂W_ij · 1(I_ij = k)``, exactly the paper's update;
weights stay shared and pruned weights (index 0) stay exactly zero through fine-tuning.

:meth:`eie_hw.image.QuantizedLayer.from_codebook` converts one layer to the fixed-point
form of an :class:`~eie_hw.config.EIEConfig`.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .kmeans import check_bits, shared_codebook
from .prune import remove

__all__ = ["SharedLinear", "quantize_model", "shared_layers"]


class SharedLinear(nn.Module):
    """A linear layer whose weights index a shared codebook whose entry 0 is a fixed zero.

    Parameters
    ----------
    index : (out_features, in_features) integer tensor
        Codebook index of every weight, 0 for a pruned weight.
    codebook : (2 ** bits,) float tensor
        Shared values; ``codebook[0]`` is ignored and taken as 0.
    bias : (out_features,) float tensor or None

    Members
    -------
    centroids : Parameter ``(2 ** bits - 1,)``
        The trainable shared values ``codebook[1:]``.
    index : buffer
    bias : Parameter or None
    """

    def __init__(self, index, codebook, bias=None):
        super().__init__()
        index = torch.as_tensor(index, dtype=torch.long)
        codebook = torch.as_tensor(codebook, dtype=torch.float32)
        if index.ndim != 2:
            raise ValueError(f"index must be 2-D, not shape {tuple(index.shape)}")
        if index.numel() and (index.min() < 0 or index.max() >= len(codebook)):
            raise ValueError(f"index must lie in 0…{len(codebook) - 1}")
        self.register_buffer("index", index.clone())
        self.centroids = nn.Parameter(codebook[1:].clone())
        self.bias = None if bias is None else nn.Parameter(torch.as_tensor(
            bias, dtype=torch.float32).detach().clone())

    @property
    def in_features(self):
        return self.index.shape[1]

    @property
    def out_features(self):
        return self.index.shape[0]

    @property
    def bits(self):
        return int(round(np.log2(len(self.centroids) + 1)))

    def codebook(self):
        """The full codebook ``[0, c_1, …]`` (a differentiable tensor)."""
        return torch.cat([self.centroids.new_zeros(1), self.centroids])

    @property
    def weight(self):
        return self.codebook()[self.index]

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, " \
               f"bits={self.bits}, bias={self.bias is not None}"


def shared_layers(model):
    """``(name, SharedLinear)`` of ``model`` in registration order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, SharedLinear)]


def _replace(model, name, new):
    parent, _, child = name.rpartition(".")
    owner = model.get_submodule(parent) if parent else model
    setattr(owner, child, new)


def quantize_model(model, bits=4, *, init="linear", seed=0):
    """Replace every ``nn.Linear`` of ``model`` (in place) by a k-means :class:`SharedLinear`.

    ``bits`` (1…8) is one value or ``{layer name: bits}``; pruning masks are made permanent
    first, and zero weights stay zero (index 0). Returns ``model``.
    """
    linears = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("the model has no nn.Linear layer to quantize")
    names = [n for n, _ in linears]
    per = bits if isinstance(bits, dict) else {n: bits for n in names}
    unknown = sorted(set(per) - set(names))
    if unknown:
        raise ValueError(f"bits names unknown layer(s) {', '.join(unknown)}")
    for name, module in linears:
        if name not in per:
            continue
        b = check_bits(per[name], f"bits of layer {name!r}")
        remove(module)
        weight = module.weight.detach().cpu().numpy()
        if not np.all(np.isfinite(weight)):
            raise ValueError(f"layer {name!r}: weight contains NaN or infinite values")
        codebook, index = shared_codebook(weight, b, init=init, seed=seed)
        bias = None if module.bias is None else module.bias.detach()
        shared = SharedLinear(index, codebook, bias).to(module.weight.device)
        _replace(model, name, shared)
    return model
