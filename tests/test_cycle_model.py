"""The fast cycle model against the per-cycle reference, and the documented timing rules."""

import numpy as np
import pytest

from eie_hw.config import EIEConfig
from eie_hw.timing import (
    ARITH_LATENCY,
    BROADCAST_LATENCY,
    POINTER_LATENCY,
    QUEUE_LATENCY,
    SCAN_LATENCY,
)
from sim.models.cycle_model import job_timing, layer_timing
from sim.models.cycle_reference import reference_layer_timing


def same(a, b):
    return (a.compute, a.broadcasts, a.broadcast_stalls, a.busy.tolist(), a.blocking.tolist()) \
        == (b.compute, b.broadcasts, b.broadcast_stalls, b.busy.tolist(), b.blocking.tolist())


@pytest.mark.parametrize("n_pes", [1, 2, 4, 8, 16])
@pytest.mark.parametrize("depth", [1, 2, 3, 8])
def test_fast_equals_reference(rng, seed, n_pes, depth):
    config = EIEConfig(n_pes=n_pes, fifo_depth=depth)
    for trial in range(25):
        n_in = int(rng.integers(1, 70))
        counts = rng.poisson(rng.uniform(0, 5), (n_pes, n_in))
        counts *= rng.random((n_pes, n_in)) < rng.uniform(0, 1)
        acts = (rng.random(n_in) < rng.uniform(0, 1)).astype(int)
        rows = int(rng.integers(1, 9))
        fast = layer_timing(config, counts, acts, rows)
        ref = reference_layer_timing(config, counts, acts, rows)
        assert same(fast, ref), (seed, trial)


def test_single_column_by_hand():
    """One PE, one column of n entries: slot read in cycle 0, current from SCAN_LATENCY (3),
    pushed in 4, the queue's head from 4 + QUEUE_LATENCY (9), entries in 9 … n + 8, last
    accumulator write in n + 8 + ARITH_LATENCY, done one cycle later; COMPUTE ends with the
    done cycle."""
    config = EIEConfig(n_pes=1)
    for n in (1, 5):
        timing = layer_timing(config, np.array([[n]]), np.array([1]), 3)
        push = SCAN_LATENCY + 1
        last_entry = push + QUEUE_LATENCY + n - 1
        assert timing.compute == last_entry + ARITH_LATENCY + 1 + 1
        assert reference_layer_timing(config, np.array([[n]]), np.array([1]), 3).compute \
            == timing.compute
        # INIT: 3 bias reads in cycles 0-2, the last accumulator write in 4.
        # WRITEBACK: 3 accumulator reads in cycles 0-2, the last activation write in 5.
        assert (timing.init, timing.writeback) == (5, 6)


def test_empty_column_is_dropped_at_the_pointers():
    """A column without entries in the PE is dropped when its pointers are registered
    (BROADCAST_LATENCY + POINTER_LATENCY after the push): COMPUTE ends the cycle after."""
    config = EIEConfig(n_pes=1)
    timing = layer_timing(config, np.array([[0]]), np.array([1]), 1)
    push = SCAN_LATENCY + 1
    assert timing.compute == push + BROADCAST_LATENCY + POINTER_LATENCY + 1 + 1
    assert reference_layer_timing(config, np.array([[0]]), np.array([1]), 1).compute \
        == timing.compute


def test_writeback_loads_the_next_layers_biases():
    """Only the first layer has INIT; WRITEBACK lasts until both its activation writes
    (``rows + 3``) and the next layer's bias writes (``next_rows + 2``) are done."""
    config = EIEConfig(n_pes=1)
    args = (config, np.array([[1]]), np.array([1]), 3)
    assert layer_timing(*args, first=False).init == 0
    assert layer_timing(*args, next_rows_per_pe=2).writeback == 6
    assert layer_timing(*args, next_rows_per_pe=4).writeback == 6
    assert layer_timing(*args, next_rows_per_pe=7).writeback == 9
    ref = reference_layer_timing(*args, first=False, next_rows_per_pe=7)
    assert (ref.init, ref.writeback) == (0, 9)


def test_no_nonzero_input_scans_every_slot():
    """Slot s (read in cycle s) is current in SCAN_LATENCY + s, one all-zero slot per cycle;
    the scan is exhausted the cycle after the last, which ends COMPUTE."""
    config = EIEConfig(n_pes=4)
    timing = layer_timing(config, np.ones((4, 10), dtype=int), np.zeros(10), 2)
    slots = 3
    assert timing.compute == slots + SCAN_LATENCY + 1 and timing.broadcasts == 0
    ref = reference_layer_timing(config, np.ones((4, 10), dtype=int), np.zeros(10), 2)
    assert ref.compute == timing.compute


def test_depth_one_broadcasts_once_per_drop():
    """A queue of depth 1 holds one item from its push (t) to its release: an empty column is
    dropped in t + BROADCAST_LATENCY + POINTER_LATENCY, so the next push waits one cycle
    more."""
    config = EIEConfig(n_pes=1, fifo_depth=1)
    n = 40
    timing = layer_timing(config, np.zeros((1, n), dtype=int), np.ones(n), 1)
    assert timing.broadcast_stalls == (BROADCAST_LATENCY + POINTER_LATENCY) * (n - 1)
    ref = reference_layer_timing(config, np.zeros((1, n), dtype=int), np.ones(n), 1)
    assert ref.broadcast_stalls == timing.broadcast_stalls


def test_empty_columns_cost_no_entry_slot(rng):
    """Interleaved empty columns do not slow a PE that has work queued."""
    config = EIEConfig(n_pes=1, fifo_depth=8)
    counts = np.array([[6, 0, 6, 0, 6, 0, 6]])
    full = layer_timing(config, counts, np.ones(7), 1)
    packed = layer_timing(config, np.array([[6, 6, 6, 6]]), np.ones(4), 1)
    assert full.compute == packed.compute


def test_job_timing_chains_layers(rng):
    from eie_hw.image import encode_network
    from sim.verify.random_layers import random_activations, random_network
    config = EIEConfig(n_pes=4)
    layers = random_network(rng, config, [20, 16, 8], [0.5, 0.5])
    image = encode_network(config, layers)
    x = random_activations(rng, config, 20, 0.6)
    job = job_timing(image, x)
    assert len(job.layers) == 2
    assert job.total == sum(t.init + t.compute + t.writeback for t in job.layers)
    first, second = job.layers
    assert second.init == 0
    assert first.writeback == max(4 + 3, 2 + 2)     # 16 rows on 4 PEs, then 8 rows
