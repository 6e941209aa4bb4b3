"""Trained quantization: weight sharing with fine-tuned centroids (Deep Compression §3).

:class:`SharedLinear` replaces an ``nn.Linear`` (and :class:`SharedConv2d` an ``nn.Conv2d``,
for the part of a CNN that runs on the host): its weight is ``codebook[index]`` where
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

__all__ = ["SharedLinear", "SharedConv2d", "quantize_model", "shared_layers"]


class _Shared(nn.Module):
    """Weights ``codebook[index]`` with a fixed zero at ``codebook[0]``; ``ndim`` is the
    number of dimensions ``index`` must have."""

    ndim = 2

    def __init__(self, index, codebook, bias=None):
        super().__init__()
        index = torch.as_tensor(index, dtype=torch.long)
        codebook = torch.as_tensor(codebook, dtype=torch.float32)
        if index.ndim != self.ndim:
            raise ValueError(f"index must be {self.ndim}-D, not shape {tuple(index.shape)}")
        if index.numel() and (index.min() < 0 or index.max() >= len(codebook)):
            raise ValueError(f"index must lie in 0…{len(codebook) - 1}")
        self.register_buffer("index", index.clone())
        self.centroids = nn.Parameter(codebook[1:].clone())
        self.bias = None if bias is None else nn.Parameter(torch.as_tensor(
            bias, dtype=torch.float32).detach().clone())

    @property
    def bits(self):
        return int(round(np.log2(len(self.centroids) + 1)))

    def codebook(self):
        """The full codebook ``[0, c_1, …]`` (a differentiable tensor)."""
        return torch.cat([self.centroids.new_zeros(1), self.centroids])

    @property
    def weight(self):
        return self.codebook()[self.index]


class SharedLinear(_Shared):
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

    @property
    def in_features(self):
        return self.index.shape[1]

    @property
    def out_features(self):
        return self.index.shape[0]

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, " \
               f"bits={self.bits}, bias={self.bias is not None}"


class SharedConv2d(_Shared):
    """A 2-D convolution whose weights index a shared codebook (entry 0 a fixed zero).

    Parameters
    ----------
    index : (out_channels, in_channels / groups, kh, kw) integer tensor
        Codebook index of every weight, 0 for a pruned weight.
    codebook, bias :
        As in :class:`SharedLinear`.
    stride, padding, dilation, groups :
        As in ``nn.Conv2d`` (zero padding only).
    """

    ndim = 4

    def __init__(self, index, codebook, bias=None, *, stride=1, padding=0, dilation=1,
                 groups=1):
        super().__init__(index, codebook, bias)
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups

    @property
    def in_channels(self):
        return self.index.shape[1] * self.groups

    @property
    def out_channels(self):
        return self.index.shape[0]

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, kernel_size=" \
               f"{tuple(self.index.shape[2:])}, stride={self.stride}, padding={self.padding}, " \
               f"bits={self.bits}, bias={self.bias is not None}"


def shared_layers(model):
    """``(name, SharedLinear or SharedConv2d)`` of ``model`` in registration order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, _Shared)]


def _replace(model, name, new):
    parent, _, child = name.rpartition(".")
    owner = model.get_submodule(parent) if parent else model
    setattr(owner, child, new)


def _shared(module, index, codebook):
    """The shared-weight replacement of an ``nn.Linear`` or ``nn.Conv2d``."""
    bias = None if module.bias is None else module.bias.detach()
    if isinstance(module, nn.Linear):
        return SharedLinear(index, codebook, bias)
    if module.padding_mode != "zeros" or isinstance(module.padding, str):
        raise ValueError(f"only numeric zero padding is supported, not "
                         f"padding={module.padding!r}, padding_mode={module.padding_mode!r}")
    return SharedConv2d(index, codebook, bias, stride=module.stride, padding=module.padding,
                        dilation=module.dilation, groups=module.groups)


def quantize_model(model, bits=4, *, init="linear", seed=0):
    """Replace every ``nn.Linear`` and ``nn.Conv2d`` of ``model`` (in place) by a k-means
    :class:`SharedLinear` or :class:`SharedConv2d`.

    ``bits`` (1…8) is one value or ``{layer name: bits}``; pruning masks are made permanent
    first, and zero weights stay zero (index 0). Returns ``model``.
    """
    linears = [(n, m) for n, m in model.named_modules()
               if isinstance(m, (nn.Linear, nn.Conv2d))]
    if not linears:
        raise ValueError("the model has no nn.Linear or nn.Conv2d layer to quantize")
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
        try:
            shared = _shared(module, index, codebook).to(module.weight.device)
        except ValueError as e:
            raise ValueError(f"layer {name!r}: {e}") from None
        _replace(model, name, shared)
    return model
