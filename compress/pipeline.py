"""The Deep Compression pipeline on a PyTorch model: prune → retrain → share → fine-tune.

:func:`compress_model` is what both the digits demo and ``eie compress MODEL`` run; export and
Huffman accounting follow in :mod:`compress.export`. Without training data the pipeline still
prunes and clusters, but nothing is retrained.
"""

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch

from .cnn_model import input_size, is_cnn, split_cnn
from .kmeans import INITS, check_bits
from .model import linear_chain
from .prune import iterative_prune, model_sparsity, prunable_layers, prune_model
from .quantize import quantize_model
from .train import as_tensors, train

__all__ = ["Settings", "check_model", "check_settings", "compress_model"]


@dataclass
class Settings:
    """Compression settings.

    Members
    -------
    sparsity : float or dict
        Fraction of weights pruned, in ``[0, 1)``, for every layer or ``{layer name: value}``.
    bits : int or dict
        Codebook bits per layer (1…8): ``2 ** bits - 1`` shared values plus the zero.
    init : str
        k-means initialisation, ``"linear"`` (default), ``"density"`` or ``"random"``.
    prune_steps : int
        Prune → retrain rounds (geometric schedule to the target).
    prune_groups : int
        1: magnitude pruning. ``N``: load-balance-aware pruning for ``N`` PEs (ESE): every PE
        of EIE's ``i mod N`` interleaving keeps the same number of weights per layer.
    retrain_epochs, finetune_epochs : int
        Epochs of retraining after each pruning round, and of centroid fine-tuning.
    lr, finetune_lr : float
        Adam learning rates for retraining and for fine-tuning the centroids.
    batch_size, seed : int
    """

    sparsity: object = 0.9
    bits: object = 4
    init: str = "linear"
    prune_steps: int = 3
    prune_groups: int = 1
    retrain_epochs: int = 10
    finetune_epochs: int = 10
    lr: float = 1e-3
    finetune_lr: float = 1e-4
    batch_size: int = 64
    seed: int = 0


def check_model(model):
    """Raise ``TypeError``/``ValueError`` unless every layer of ``model`` can run on EIE (or,
    for a CNN, :func:`~compress.cnn_model.split_cnn` accepts it: convolutions on the host, the
    fully connected part on EIE) and every parameter is finite; returns the
    :func:`~compress.model.linear_chain` of the part EIE runs."""
    chain = linear_chain(split_cnn(model)[1] if is_cnn(model) else model)
    for name, param in model.named_parameters():
        if not torch.isfinite(param.detach()).all():
            raise ValueError(f"parameter {name!r} contains NaN or infinite values")
    return chain


def _check_fraction(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"{what} must be a fraction in [0, 1), not {value!r}")


def check_settings(model, settings):
    """Validate ``settings`` against ``model``'s layer names; raise naming the parameter."""
    names = [n for n, _ in prunable_layers(model)]
    for what, value in (("sparsity", settings.sparsity), ("bits", settings.bits)):
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(f"{what} names unknown layer(s) {', '.join(unknown)}; the "
                                 f"model's layers are {', '.join(names)}")
    sparsity = settings.sparsity if isinstance(settings.sparsity, dict) \
        else dict.fromkeys(names, settings.sparsity)
    for name, value in sparsity.items():
        _check_fraction(value, f"sparsity of layer {name!r}")
    bits = settings.bits if isinstance(settings.bits, dict) else dict.fromkeys(names,
                                                                               settings.bits)
    for name, value in bits.items():
        check_bits(value, f"bits of layer {name!r}")
    if settings.init not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, not {settings.init!r}")
    for what in ("prune_steps", "prune_groups", "retrain_epochs", "finetune_epochs",
                 "batch_size"):
        value = getattr(settings, what)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 \
                or (value == 0 and what in ("prune_steps", "prune_groups", "batch_size")):
            raise ValueError(f"{what} must be a positive integer, not {value!r}")


def compress_model(model, settings, data=None, *, progress=True):
    """Compress a copy of ``model``; returns ``(compressed, info)``.

    ``data`` is ``(x, y)`` for retraining (classification, cross-entropy) or ``None``.
    ``compressed`` has :class:`~compress.quantize.SharedLinear` (and, for a CNN,
    :class:`~compress.quantize.SharedConv2d`) layers; ``info`` holds the
    per-layer ``sparsity``, the pruned float ``weights`` before sharing and the training
    ``losses`` of each phase.
    """
    chain = check_model(model)
    check_settings(model, settings)
    model = copy.deepcopy(model).cpu().float()
    if data is not None:
        x, y = as_tensors(*data, input_size(model), what="retraining data")
        with torch.no_grad():
            n_out = chain[-1].module.weight.shape[0]
            if int(y.max()) >= n_out or int(y.min()) < 0:
                raise ValueError(f"retraining data: labels must lie in 0…{n_out - 1} for the "
                                 f"model's {n_out} outputs, not {int(y.min())}…{int(y.max())}")
    losses = {"retrain": [], "finetune": []}
    torch.manual_seed(settings.seed)

    def retrain(m, step):
        if data is not None:
            losses["retrain"] += train(m, x, y, epochs=settings.retrain_epochs, lr=settings.lr,
                                       batch_size=settings.batch_size,
                                       seed=settings.seed + 1 + step, progress=progress,
                                       desc=f"prune round {step + 1}/{settings.prune_steps}")

    if data is not None:
        iterative_prune(model, settings.sparsity, retrain, steps=settings.prune_steps,
                        groups=settings.prune_groups)
    else:
        prune_model(model, settings.sparsity, groups=settings.prune_groups)
    sparsity = model_sparsity(model)
    weights = {n: m.weight.detach().cpu().numpy().copy() for n, m in prunable_layers(model)}
    quantize_model(model, settings.bits, init=settings.init, seed=settings.seed)
    if data is not None:
        losses["finetune"] = train(model, x, y, epochs=settings.finetune_epochs,
                                   lr=settings.finetune_lr, batch_size=settings.batch_size,
                                   seed=settings.seed + 100, progress=progress,
                                   desc="fine-tune centroids")
    for name, w in weights.items():
        if not np.all(np.isfinite(w)):
            raise ValueError(f"layer {name!r}: retraining produced NaN or infinite weights")
    return model, {"sparsity": sparsity, "weights": weights, "losses": losses}
