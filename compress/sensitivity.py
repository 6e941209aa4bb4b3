"""Per-layer pruning sensitivity (Han et al. NIPS'15, Fig. 5): accuracy against sparsity.

Each layer is pruned alone, on a copy of the model and without retraining, at each sparsity;
the curve shows how much a layer tolerates and guides the per-layer targets.
"""

import copy

from .prune import magnitude_prune, prunable_layers

__all__ = ["sensitivity_scan", "DEFAULT_SPARSITIES"]

DEFAULT_SPARSITIES = (0.0, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99)


def sensitivity_scan(model, evaluate, sparsities=DEFAULT_SPARSITIES):
    """``{layer name: [(sparsity, evaluate(pruned copy)), ...]}`` for every ``nn.Linear``.

    ``evaluate(model) -> float`` is typically accuracy on held-out (validation) data. The
    model itself is not modified.
    """
    result = {}
    for name, _ in prunable_layers(model):
        points = []
        for s in sparsities:
            trial = copy.deepcopy(model)
            magnitude_prune(trial.get_submodule(name), "weight", float(s),
                            what=f"layer {name!r}")
            points.append((float(s), float(evaluate(trial))))
        result[name] = points
    return result
