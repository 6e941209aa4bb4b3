"""Pruning: exact fractions, masks through retraining, thresholds, schedules, sensitivity, DSD."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from compress.dsd import dsd
from compress.prune import (
    geometric_schedule,
    iterative_prune,
    magnitude_prune,
    model_sparsity,
    prune_model,
    remove,
    threshold_prune,
)
from compress.sensitivity import sensitivity_scan
from compress.train import train


def _mlp(seed, sizes=(12, 20, 5)):
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:], strict=False)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 30), cols=st.integers(1, 30), fraction=st.floats(0, 0.999),
       seed=st.integers(0, 2 ** 31 - 1))
def test_fraction_is_exact_and_keeps_the_largest(rows, cols, fraction, seed):
    torch.manual_seed(seed)
    layer = nn.Linear(cols, rows)
    before = layer.weight.detach().clone()
    magnitude_prune(layer, amount=fraction)
    n = rows * cols
    expected = min(int(round(fraction * n)), n - 1)
    zeros = layer.weight == 0
    assert int(zeros.sum()) == expected, f"seed={seed}"
    # Oracle: every kept weight is at least as large as every pruned one.
    if 0 < expected < n:
        assert before[~zeros].abs().min() >= before[zeros].abs().max()
    assert torch.equal(layer.weight[~zeros], before[~zeros])


def test_int_amount_is_a_count(seed):
    torch.manual_seed(seed)
    layer = nn.Linear(10, 7)
    magnitude_prune(layer, amount=13)
    assert int((layer.weight == 0).sum()) == 13


def test_pruning_is_monotone_and_absolute(seed):
    torch.manual_seed(seed)
    layer = nn.Linear(16, 16)
    magnitude_prune(layer, amount=0.25)
    first = layer.weight == 0
    magnitude_prune(layer, amount=0.5)
    second = layer.weight == 0
    assert int(second.sum()) == 128  # half of all 256, not half of the survivors
    assert bool((second | ~first).all()), "a pruned weight came back"
    with pytest.raises(ValueError, match=r"already has 128 pruned weights"):
        magnitude_prune(layer, amount=0.1)


def test_masks_survive_retraining(seed):
    model = _mlp(seed)
    prune_model(model, 0.7)
    masks = {n: (m.weight == 0).clone() for n, m in model.named_modules()
             if isinstance(m, nn.Linear)}
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.normal(size=(64, 12)), dtype=torch.float32)
    y = torch.tensor(rng.integers(0, 5, 64))
    losses = train(model, x, y, epochs=5, lr=1e-2, weight_decay=1e-3, seed=seed,
                   progress=False)
    assert losses[-1] < losses[0]
    for n, m in model.named_modules():
        if isinstance(m, nn.Linear):
            assert bool((m.weight[masks[n]] == 0).all()), n
            assert int((m.weight == 0).sum()) == int(masks[n].sum()), n
    remove(model)
    for n, m in model.named_modules():
        if isinstance(m, nn.Linear):
            assert not hasattr(m, "weight_mask") and bool((m.weight[masks[n]] == 0).all())


def test_threshold_prune_matches_quality_times_std(seed):
    torch.manual_seed(seed)
    layer = nn.Linear(40, 30)
    w = layer.weight.detach().numpy().copy()
    threshold_prune(layer, quality=0.8)
    oracle = np.abs(w) < 0.8 * w.std(ddof=1)
    assert np.array_equal(layer.weight.detach().numpy() == 0, oracle)


def test_schedule_and_iterative_prune(seed):
    plan = geometric_schedule(0.9, 3)
    assert plan[-1] == pytest.approx(0.9) and plan == sorted(plan)
    keep = [1 - s for s in [0.0, *plan]]
    assert np.allclose(np.diff(np.log(keep)), np.log(0.1) / 3)
    model = _mlp(seed)
    calls = []
    result = iterative_prune(model, {"0": 0.9, "2": 0.5}, lambda m, step: calls.append(
        model_sparsity(m)), steps=3)
    assert len(calls) == 3 and calls[0]["0"] < calls[1]["0"] < calls[2]["0"]
    assert result["0"] == pytest.approx(round(0.9 * 240) / 240)
    assert result["2"] == pytest.approx(0.5)


@pytest.mark.parametrize("amount", [1.0, -0.1, float("nan"), 1.5])
def test_bad_fraction(amount):
    with pytest.raises(ValueError, match=r"^layer '0': sparsity must be a fraction in \[0, 1\)"):
        prune_model(_mlp(0), {"0": amount})


def test_bad_arguments():
    layer = nn.Linear(3, 3)
    with pytest.raises(ValueError, match=r"^Linear.weight: amount must be a count in 0…8, not 9$"):
        magnitude_prune(layer, amount=9)
    with pytest.raises(TypeError, match=r"amount must be an int"):
        magnitude_prune(layer, amount="half")
    with pytest.raises(ValueError, match=r"names unknown layer\(s\) fc9"):
        prune_model(_mlp(0), {"fc9": 0.5})
    with torch.no_grad():
        layer.weight[1, 1] = float("nan")
    with pytest.raises(ValueError, match=r"^layer 'x' contains NaN or infinite values$"):
        magnitude_prune(layer, amount=0.5, what="layer 'x'")


def test_sensitivity_scan_leaves_the_model_alone(seed):
    model = _mlp(seed)
    before = [p.detach().clone() for p in model.parameters()]
    seen = []

    def evaluate(m):
        seen.append(float((m[0].weight == 0).float().mean()))
        return 0.5

    scan = sensitivity_scan(model, evaluate, (0.0, 0.5, 0.9))
    assert set(scan) == {"0", "2"} and all(len(v) == 3 for v in scan.values())
    assert seen[:3] == pytest.approx([0.0, 0.5, 0.9], abs=1 / 240)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_dsd_phases(seed):
    model = _mlp(seed)
    rng = np.random.default_rng(seed)
    x = torch.tensor(rng.normal(size=(64, 12)), dtype=torch.float32)
    y = torch.tensor(rng.integers(0, 5, 64))
    log = []

    def fit(m, epochs, lr, phase):
        log.append((phase, lr, {n: s for n, s in model_sparsity(m).items()}))
        train(m, x, y, epochs=epochs, lr=lr, seed=seed, progress=False)

    dsd(model, fit, 0.5, lr=1e-2, sparse_epochs=2, redense_epochs=2)
    (p1, lr1, s1), (p2, lr2, s2) = log
    assert (p1, p2) == ("sparse", "redense") and lr2 == pytest.approx(lr1 / 10)
    assert s1["0"] == pytest.approx(0.5) and s2["0"] == pytest.approx(0.5)
    assert not any(hasattr(m, "weight_mask") for m in model.modules())
    assert model_sparsity(model)["0"] < 0.05, "re-dense should revive the pruned weights"
    with pytest.raises(ValueError, match=r"^cycles must be a positive integer, not 0$"):
        dsd(model, fit, cycles=0)


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 40), cols=st.integers(1, 20), groups=st.integers(1, 9),
       fraction=st.floats(0, 0.999), seed=st.integers(0, 2 ** 31 - 1))
def test_grouped_pruning_balances_the_pes(rows, cols, groups, fraction, seed):
    """ESE: every PE (rows i mod N) keeps the same count to within one, its own largest."""
    torch.manual_seed(seed)
    groups = min(groups, rows)
    layer = nn.Linear(cols, rows)
    before = layer.weight.detach().abs().numpy().copy()
    magnitude_prune(layer, amount=fraction, groups=groups)
    kept = layer.weight.detach().numpy() != 0
    assert kept.size - kept.sum() == min(int(round(fraction * kept.size)), kept.size - 1)
    counts = np.array([kept[g::groups].sum() for g in range(groups)])
    sizes = np.array([kept[g::groups].size for g in range(groups)])
    # Even split: a group below the largest count is either full or at most one short.
    assert np.all((counts >= counts.max() - 1) | (counts == sizes)), (seed, counts, sizes)
    for g in range(groups):
        mags, alive = before[g::groups], kept[g::groups]
        if alive.any() and (~alive).any():
            assert mags[alive].min() >= mags[~alive].max()


def test_grouped_pruning_in_a_model_and_errors(seed):
    model = _mlp(seed, sizes=(12, 20, 5))
    prune_model(model, 0.6, groups=8)          # the 5-row layer is balanced over 5 groups
    for layer in (model[0], model[2]):
        kept = (layer.weight.detach() != 0).numpy()
        n = min(8, kept.shape[0])
        counts = [int(kept[g::n].sum()) for g in range(n)]
        assert max(counts) - min(counts) <= 1, (seed, counts)
    with pytest.raises(ValueError, match="groups must be a positive integer"):
        magnitude_prune(nn.Linear(4, 4), amount=0.5, groups=0)
    with pytest.raises(ValueError, match="5 groups for 4 rows"):
        magnitude_prune(nn.Linear(4, 4), amount=0.5, groups=5)
    plain = nn.Linear(10, 8)
    with torch.no_grad():
        plain.weight.copy_(torch.arange(80, dtype=torch.float32).reshape(8, 10) + 1)
    magnitude_prune(plain, amount=50)          # rows 0-4 gone: group 0 keeps only row 6
    with pytest.raises(ValueError, match="group 0 has only 10 unpruned weights"):
        magnitude_prune(plain, amount=0.7, groups=2)   # 12 survivors per group
