"""A CNN on EIE: its convolutions run on the host, its fully connected part on EIE.

A CNN here is an ``nn.Sequential`` whose first module is ``nn.Unflatten`` (inputs stay flat
``(N, n_in)`` vectors, as for an MLP) and whose prefix up to the first ``Linear`` layer — the
*host part* — holds only convolutions (``nn.Conv2d`` or
:class:`~compress.quantize.SharedConv2d`), ReLU, max or average pooling, ``Flatten``,
``Dropout`` and ``Identity``. The rest — the *EIE part* — must be a chain EIE runs
(:func:`~compress.model.linear_chain`). :func:`split_cnn` returns both parts as
``nn.Sequential`` of the model's own modules (not copies) under the model's layer names, so the
compressor prunes and quantizes the whole network and the exporter writes the EIE part.
"""

import math
from collections import OrderedDict

from torch import nn

from .model import linear_chain
from .quantize import SharedConv2d, SharedLinear

__all__ = ["HOST_MODULES", "is_cnn", "split_cnn", "input_size"]

HOST_MODULES = (nn.Unflatten, nn.Conv2d, SharedConv2d, nn.ReLU, nn.MaxPool2d, nn.AvgPool2d,
                nn.Flatten, nn.Dropout, nn.Identity)


def is_cnn(model):
    """Whether ``model`` is meant as a CNN: an ``nn.Sequential`` that starts with
    ``nn.Unflatten`` and has a convolution (it must then have the form :func:`split_cnn`
    accepts; any other model is a chain EIE runs whole, or is refused as one)."""
    children = list(model.children()) if isinstance(model, nn.Sequential) else []
    return bool(children) and isinstance(children[0], nn.Unflatten) and any(
        isinstance(m, (nn.Conv2d, SharedConv2d)) for m in model.modules())


def split_cnn(model):
    """``(host, eie)``: the host part and the EIE part of a CNN, each an ``nn.Sequential``.

    Raises ``TypeError`` naming the layer if ``model`` is not an ``nn.Sequential`` of that
    form (see the module documentation).
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"a CNN for EIE must be an nn.Sequential, not {type(model).__name__}")
    items = list(model.named_children())
    first = next((i for i, (_, m) in enumerate(items)
                  if isinstance(m, (nn.Linear, SharedLinear))), None)
    if first is None:
        raise TypeError("the CNN has no Linear layer for EIE to run")
    if not isinstance(items[0][1], nn.Unflatten):
        raise TypeError("a CNN for EIE starts with nn.Unflatten (inputs are flat vectors)")
    for name, module in items[:first]:
        if not isinstance(module, HOST_MODULES):
            raise TypeError(f"layer {name!r} ({type(module).__name__}) cannot run in the host "
                            f"part of a CNN: only Unflatten, Conv2d, ReLU, max/avg pooling, "
                            f"Flatten, Dropout and Identity come before the first Linear layer")
    host, eie = nn.Sequential(OrderedDict(items[:first])), nn.Sequential(OrderedDict(items[first:]))
    linear_chain(eie)
    return host, eie


def input_size(model):
    """Length of one flat input of ``model``: a CNN's ``nn.Unflatten`` size, else the first
    ``Linear`` layer's inputs."""
    if is_cnn(model):
        unflatten = split_cnn(model)[0][0]
        return math.prod(unflatten.unflattened_size)
    return linear_chain(model)[0].module.weight.shape[1]
