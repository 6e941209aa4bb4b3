"""Magnitude pruning (Han et al., NIPS'15) on top of :mod:`torch.nn.utils.prune`.

The shape follows ``torch.nn.utils.prune``: functional one-liners that re-parametrize
``module.<name>`` as ``<name>_orig * <name>_mask`` (a forward pre-hook recomputes the product,
so a mask keeps holding through any amount of retraining: the gradient of a pruned weight is
zero and its value is re-multiplied by 0 on every forward).

* :func:`magnitude_prune` — keep the largest ``|w|``; ``amount`` int = number of weights pruned,
  float in ``[0, 1)`` = fraction of the *whole* tensor pruned (not of the survivors, unlike
  repeated ``prune.l1_unstructured``), so an iterative schedule states absolute sparsities.
* :func:`threshold_prune` — prune ``|w| < quality × std`` (the paper's quality parameter).
* ``groups=N`` (:class:`Magnitude`, :func:`magnitude_prune`, :func:`prune_model`,
  :func:`iterative_prune`): load-balance-aware pruning (ESE, Han et al. FPGA'17). Rows are
  dealt to ``N`` PEs as EIE does (row ``i`` to PE ``i mod N``) and every PE keeps the same
  number of weights (to within one), each PE's the largest of its own rows.
* :func:`prune_model`, :func:`sparsity`, :func:`remove`, :func:`iterative_prune`,
  :func:`geometric_schedule`.

Weights pruned earlier are never revived by a later call (pruning is monotone); reviving is
:func:`remove` followed by retraining, which is what DSD's re-dense step does.
"""

import math

import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

__all__ = ["Magnitude", "magnitude_prune", "threshold_prune", "prune_model", "prunable_layers",
           "is_pruned", "sparsity", "model_sparsity", "remove", "geometric_schedule",
           "iterative_prune"]


def _count(amount, numel, what):
    """``amount`` (int count or float fraction) → number of weights to prune."""
    if isinstance(amount, bool) or not isinstance(amount, (int, float)):
        raise TypeError(f"{what}: amount must be an int (count) or a float (fraction), "
                        f"not {amount!r}")
    if isinstance(amount, int):
        if not 0 <= amount <= max(numel - 1, 0):
            raise ValueError(f"{what}: amount must be a count in 0…{max(numel - 1, 0)}, "
                             f"not {amount!r}")
        return amount
    if not (math.isfinite(amount) and 0.0 <= amount < 1.0):
        raise ValueError(f"{what}: sparsity must be a fraction in [0, 1), not {amount!r}")
    return min(int(round(amount * numel)), max(numel - 1, 0))


class Magnitude(torch_prune.BasePruningMethod):
    """Prune exactly ``amount`` weights of smallest magnitude (already-pruned ones first).

    Parameters
    ----------
    amount : int or float
        Count (int) or fraction of the whole tensor (float in ``[0, 1)``) pruned in total.
    groups : int
        1: one global ranking. ``N > 1``: rows ``g, g + N, …`` form group ``g`` (the rows PE
        ``g`` holds under EIE's interleaving); the survivors are split evenly over the groups
        (group sizes permitting) and each group keeps its own largest weights.
    """

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount, what="tensor", groups=1):
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{what}: groups must be a positive integer, not {groups!r}")
        self.amount = amount
        self.what = what
        self.groups = groups

    def compute_mask(self, t, default_mask):
        k = _count(self.amount, t.numel(), self.what)
        already = int((default_mask == 0).sum())
        if k < already:
            raise ValueError(f"{self.what}: already has {already} pruned weights, more than the "
                             f"{k} requested (pruning never revives weights; remove() first)")
        if self.groups == 1:
            return _prune_smallest(t, default_mask, k)
        if t.dim() != 2:
            raise ValueError(f"{self.what}: grouped pruning needs a 2-D weight, not "
                             f"{tuple(t.shape)}")
        n_rows = t.shape[0]
        if self.groups > n_rows:
            raise ValueError(f"{self.what}: {self.groups} groups for {n_rows} rows; a group "
                             f"(PE) without rows cannot keep its share")
        sizes = [len(range(g, n_rows, self.groups)) * t.shape[1] for g in range(self.groups)]
        keep = _even_split(t.numel() - k, sizes)
        mask = default_mask.clone()
        for g, (size, kept) in enumerate(zip(sizes, keep, strict=True)):
            alive = int(default_mask[g::self.groups].sum())
            if alive < kept:
                raise ValueError(f"{self.what}: group {g} has only {alive} unpruned weights, "
                                 f"fewer than its {kept} (pruning never revives weights)")
            mask[g::self.groups] = _prune_smallest(t[g::self.groups],
                                                   default_mask[g::self.groups], size - kept)
        return mask


def _prune_smallest(t, default_mask, k):
    """``default_mask`` with the ``k`` smallest ``|t|`` (already-pruned first) set to 0."""
    score = (t.detach() * default_mask).abs().flatten()
    score[default_mask.flatten() == 0] = -1.0
    mask = default_mask.clone().contiguous()
    if k:
        drop = torch.topk(score, k, largest=False).indices
        mask.view(-1)[drop] = 0
    return mask


def _even_split(total, sizes):
    """``total`` split over bins of capacity ``sizes`` as evenly as possible (water-filling:
    equal shares, to within one, except bins too small for theirs, which are filled)."""
    share = [0] * len(sizes)
    left = total
    open_bins = sorted(range(len(sizes)), key=lambda b: sizes[b])
    while open_bins:
        each, extra = divmod(left, len(open_bins))
        small = sizes[open_bins[0]]
        if small < each + (extra > 0):
            share[open_bins[0]] = small
            left -= small
            open_bins.pop(0)
            continue
        for i, b in enumerate(sorted(open_bins)):
            share[b] = each + (i < extra)
        break
    return share


def is_pruned(module, name="weight"):
    return hasattr(module, f"{name}_mask")


def magnitude_prune(module, name="weight", amount=0.5, *, what=None, groups=1):
    """Prune ``module.<name>`` to exactly ``amount`` pruned weights (see :class:`Magnitude`;
    ``groups`` > 1 balances the survivors over that many PEs).

    A module pruned before keeps its re-parametrization; only its mask is updated (monotone).
    Returns ``module``.
    """
    what = what or f"{type(module).__name__}.{name}"
    if is_pruned(module, name):
        orig, mask = getattr(module, f"{name}_orig"), getattr(module, f"{name}_mask")
        new = Magnitude(amount, what, groups).compute_mask(orig, mask)
        with torch.no_grad():
            mask.copy_(new)
        setattr(module, name, orig * mask)
        return module
    weight = getattr(module, name)
    _check_finite(weight, what)
    mask = Magnitude(amount, what, groups).compute_mask(weight, torch.ones_like(weight))
    torch_prune.custom_from_mask(module, name, mask)
    return module


def threshold_prune(module, name="weight", quality=1.0, *, what=None):
    """Prune weights with ``|w| < quality × std`` of the layer's surviving weights.

    The threshold is turned into a count and applied with :func:`magnitude_prune`, so ties
    and already-pruned weights are handled the same way. Returns ``module``.
    """
    what = what or f"{type(module).__name__}.{name}"
    if isinstance(quality, bool) or not isinstance(quality, (int, float)) \
            or not math.isfinite(quality) or quality < 0:
        raise ValueError(f"{what}: quality must be a non-negative number, not {quality!r}")
    weight = getattr(module, name).detach()
    _check_finite(weight, what)
    alive = weight[weight != 0] if is_pruned(module, name) else weight.flatten()
    std = float(alive.std()) if alive.numel() > 1 else 0.0
    below = int((weight.abs() < quality * std).sum())
    k = min(below, weight.numel() - 1)
    return magnitude_prune(module, name, k, what=what)


def _check_finite(weight, what):
    if not torch.isfinite(weight).all():
        raise ValueError(f"{what} contains NaN or infinite values")


def prunable_layers(model):
    """``(name, module)`` of every ``nn.Linear`` and ``nn.Conv2d`` of ``model`` in
    registration order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


def _per_layer(value, names, what):
    """A scalar or a ``{layer name: value}`` mapping → ``{name: value}`` for ``names``."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"{what} names unknown layer(s) {', '.join(unknown)}; the model "
                             f"has {', '.join(names)}")
        return {n: value[n] for n in names if n in value}
    return {n: value for n in names}


def prune_model(model, amount, *, groups=1):
    """Magnitude-prune every ``nn.Linear`` and ``nn.Conv2d`` weight of ``model``.

    ``amount`` is one value for every layer or ``{layer name: amount}`` (layers left out are
    not pruned); ``groups`` > 1 is load-balance-aware pruning for that many PEs of the
    ``nn.Linear`` layers (a layer with fewer rows is balanced over one group per row; a
    convolution, which runs on the host, is pruned without groups). Returns
    ``{layer name: sparsity}``.
    """
    layers = dict(prunable_layers(model))
    for name, value in _per_layer(amount, list(layers), "amount").items():
        n_rows = layers[name].weight.shape[0]
        linear = isinstance(layers[name], nn.Linear)
        magnitude_prune(layers[name], "weight", value, what=f"layer {name!r}",
                        groups=min(groups, n_rows) if linear else 1)
    return {name: sparsity(m) for name, m in layers.items()}


def sparsity(module, name="weight"):
    """Fraction of zero weights of ``module.<name>``."""
    weight = getattr(module, name).detach()
    return float((weight == 0).sum()) / max(weight.numel(), 1)


def model_sparsity(model):
    """``{layer name: sparsity}`` of every ``nn.Linear`` and ``nn.Conv2d`` of ``model``."""
    return {name: sparsity(m) for name, m in prunable_layers(model)}


def remove(model_or_module, name="weight"):
    """Make pruning permanent: drop the re-parametrization, keep the zeros in ``<name>``."""
    modules = ([model_or_module] if is_pruned(model_or_module, name)
               else [m for _, m in prunable_layers(model_or_module)])
    for m in modules:
        if is_pruned(m, name):
            torch_prune.remove(m, name)
    return model_or_module


def geometric_schedule(target, steps):
    """Sparsities of ``steps`` pruning rounds reaching ``target``, keeping the same fraction of
    the survivors each round: ``1 - (1 - target) ** (i / steps)`` for ``i = 1 … steps``."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, not {steps!r}")
    _count(float(target), 1 << 20, "target")
    return [1.0 - (1.0 - target) ** (i / steps) for i in range(1, steps + 1)]


def iterative_prune(model, targets, retrain, *, steps=3, groups=1):
    """Prune → retrain, ``steps`` times, to the per-layer ``targets`` (float or dict);
    ``groups`` as in :func:`prune_model`.

    ``retrain(model, step)`` is called after each pruning round with the masks in place
    (``step`` counts from 0). Returns the per-layer sparsities after the last round.
    """
    names = [n for n, _ in prunable_layers(model)]
    targets = _per_layer(targets, names, "targets")
    plans = {n: geometric_schedule(t, steps) for n, t in targets.items()}
    result = {}
    for step in range(steps):
        result = prune_model(model, {n: plan[step] for n, plan in plans.items()},
                             groups=groups)
        retrain(model, step)
    return result
