"""The fast cycle model against the per-cycle reference, and the documented timing rules."""

import numpy as np
import pytest

from eie_hw.config import EIEConfig
from eie_hw.timing import (
    ARITH_LATENCY,
    BROADCAST_LATENCY,
    IDLE_REPORT_LATENCY,
    PE_REPORT_LATENCY,
    POINTER_LATENCY,
    QUEUE_LATENCY,
    SCAN_LATENCY,
)
from sim.models.actions import CCU_ACTIONS, PE_ACTIONS
from sim.models.cycle_model import job_timing, layer_timing
from sim.models.cycle_reference import reference_layer_timing


def same(a, b):
    return (a.compute, a.broadcasts, a.broadcast_stalls, a.busy.tolist(), a.blocking.tolist(),
            a.ccu_actions, {k: v.tolist() for k, v in a.actions.items()}) \
        == (b.compute, b.broadcasts, b.broadcast_stalls, b.busy.tolist(), b.blocking.tolist(),
            b.ccu_actions, {k: v.tolist() for k, v in b.actions.items()})


@pytest.mark.parametrize("n_pes", [1, 2, 4, 8, 16])
@pytest.mark.parametrize("depth", [1, 2, 3, 8])
def test_fast_equals_reference(rng, seed, n_pes, depth):
    _compare(rng, seed, EIEConfig(n_pes=n_pes, fifo_depth=depth))


@pytest.mark.parametrize("broadcast_width", [2, 4])
@pytest.mark.parametrize("n_pes", [4, 8, 16])
@pytest.mark.parametrize("lanes_of_depth", [1, 2, 4])
def test_fast_equals_reference_broadcast_width(rng, seed, broadcast_width, n_pes,
                                               lanes_of_depth):
    """Up to ``broadcast_width`` broadcasts per cycle, at queue depths of 1, 2 and 4 times
    it (a queue as deep as a cycle's broadcasts stalls the most)."""
    _compare(rng, seed, EIEConfig(n_pes=n_pes, broadcast_width=broadcast_width,
                                  fifo_depth=lanes_of_depth * broadcast_width))


def _compare(rng, seed, config):
    n_pes = config.n_pes
    for trial in range(25):
        n_in = int(rng.integers(1, 70))
        counts = rng.poisson(rng.uniform(0, 5), (n_pes, n_in))
        counts *= rng.random((n_pes, n_in)) < rng.uniform(0, 1)
        acts = (rng.random(n_in) < rng.uniform(0, 1)).astype(int)
        rows = int(rng.integers(1, 9))
        kwargs = {"first": bool(rng.integers(2)), "next_rows_per_pe": int(rng.integers(0, 9)),
                  "entry_base": rng.integers(0, 100, n_pes)}
        fast = layer_timing(config, counts, acts, rows, **kwargs)
        ref = reference_layer_timing(config, counts, acts, rows, **kwargs)
        assert set(fast.actions) == set(PE_ACTIONS) and set(fast.ccu_actions) == set(CCU_ACTIONS)
        assert same(fast, ref), (seed, trial)


def test_single_column_by_hand():
    """One PE, one column of n entries: slot read in cycle 0, current from SCAN_LATENCY (5),
    pushed in 6, the queue's head from 6 + QUEUE_LATENCY (11), entries in 11 … n + 10, last
    accumulator write in n + 9 + ARITH_LATENCY; the PE is idle one cycle later and the CCU sees
    it IDLE_REPORT_LATENCY cycles after that (its idle flag, registered at the CCU); COMPUTE
    ends with that cycle."""
    config = EIEConfig(n_pes=1)
    for n in (1, 5):
        timing = layer_timing(config, np.array([[n]]), np.array([1]), 3)
        push = SCAN_LATENCY + 1
        last_entry = push + QUEUE_LATENCY + n - 1
        assert timing.compute == last_entry + ARITH_LATENCY + 1 + IDLE_REPORT_LATENCY + 1
        assert reference_layer_timing(config, np.array([[n]]), np.array([1]), 3).compute \
            == timing.compute
        # INIT: the CCU's rows 0-2 in cycles 0-2 reach the PE in 1-3 (CONTROL_LATENCY): 3
        # bias reads in cycles 1-3, the last accumulator write in 5.
        # WRITEBACK: 3 accumulator reads in cycles 1-3, the last activation write in 6.
        assert (timing.init, timing.writeback) == (6, 7)


def test_empty_column_is_dropped_at_the_pointers():
    """A column without entries in the PE is dropped when its pointers are registered
    (BROADCAST_LATENCY + POINTER_LATENCY after the push); the PE is idle the cycle after, the
    CCU sees it IDLE_REPORT_LATENCY cycles later, and COMPUTE ends with that cycle."""
    config = EIEConfig(n_pes=1)
    timing = layer_timing(config, np.array([[0]]), np.array([1]), 1)
    push = SCAN_LATENCY + 1
    assert timing.compute == push + BROADCAST_LATENCY + POINTER_LATENCY + 1 \
        + IDLE_REPORT_LATENCY + 1
    assert reference_layer_timing(config, np.array([[0]]), np.array([1]), 1).compute \
        == timing.compute


def test_writeback_loads_the_next_layers_biases():
    """Only the first layer has INIT; WRITEBACK lasts until both its activation writes
    (``rows + 3``) and the next layer's bias writes (``next_rows + 2``) are done, in the PEs,
    which see the CCU's rows one cycle late (``+ 1``)."""
    config = EIEConfig(n_pes=1)
    args = (config, np.array([[1]]), np.array([1]), 3)
    assert layer_timing(*args, first=False).init == 0
    assert layer_timing(*args, next_rows_per_pe=2).writeback == 7
    assert layer_timing(*args, next_rows_per_pe=4).writeback == 7
    assert layer_timing(*args, next_rows_per_pe=7).writeback == 10
    ref = reference_layer_timing(*args, first=False, next_rows_per_pe=7)
    assert (ref.init, ref.writeback) == (0, 10)


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
    dropped in t + BROADCAST_LATENCY + POINTER_LATENCY, and the CCU sees the free place
    PE_REPORT_LATENCY + 1 cycles later."""
    config = EIEConfig(n_pes=1, fifo_depth=1)
    n = 40
    timing = layer_timing(config, np.zeros((1, n), dtype=int), np.ones(n), 1)
    assert timing.broadcast_stalls == \
        (BROADCAST_LATENCY + POINTER_LATENCY + PE_REPORT_LATENCY) * (n - 1)
    ref = reference_layer_timing(config, np.zeros((1, n), dtype=int), np.ones(n), 1)
    assert ref.broadcast_stalls == timing.broadcast_stalls


def test_empty_columns_cost_no_entry_slot(rng):
    """Interleaved empty columns do not slow a PE that has work queued."""
    config = EIEConfig(n_pes=1, fifo_depth=8)
    counts = np.array([[6, 0, 6, 0, 6, 0, 6]])
    full = layer_timing(config, counts, np.ones(7), 1)
    packed = layer_timing(config, np.array([[6, 6, 6, 6]]), np.ones(4), 1)
    assert full.compute == packed.compute


def test_broadcast_width_pushes_a_slot_per_cycle():
    """``k`` PEs' worth of non-zero activations per cycle: a slot of 4 non-zero inputs takes
    one cycle at width 4, two at width 2, four at width 1 (queues deep enough never to
    stall); each PE holds entries for one column, so the last PE's entry is issued the cycle
    its column reaches the queue's head, ``QUEUE_LATENCY`` after the push."""
    counts = np.zeros((4, 4), dtype=int)
    counts[np.arange(4), np.arange(4)] = 1            # PE p: one entry of column p
    for width in (1, 2, 4):
        config = EIEConfig(n_pes=4, fifo_depth=8, broadcast_width=width)
        timing = layer_timing(config, counts, np.ones(4), 1)
        last_push = SCAN_LATENCY + 1 + 4 // width - 1
        assert timing.broadcast_stalls == 0 and timing.broadcasts == 4
        assert timing.compute == last_push + QUEUE_LATENCY + ARITH_LATENCY + 1 \
            + IDLE_REPORT_LATENCY + 1
        assert timing.ccu_actions["lnzd_evaluations"] == 4 // width
        assert reference_layer_timing(config, counts, np.ones(4), 1).compute == timing.compute


def test_broadcast_width_pushes_only_what_every_queue_has_places_for():
    """Depth 2, width 2, one PE holding an entry of every column: the first cycle pushes two
    columns, which take both places until the PE's releases are seen (two pops, the second
    one cycle after the first: the PE streams one entry per cycle); the stream unit pops in
    ``t + QUEUE_LATENCY``, the CCU sees it ``1 + PE_REPORT_LATENCY`` later and pushes one
    column (one place), the next cycle the second: the stall is counted only in cycles that
    push nothing."""
    config = EIEConfig(n_pes=2, fifo_depth=2, broadcast_width=2)
    counts = np.ones((2, 4), dtype=int)
    timing = layer_timing(config, counts, np.ones(4), 1)
    first = SCAN_LATENCY + 1                    # slot 0: both columns, both places taken
    # Slot 1 waits from first + 1: the first pop (first + QUEUE_LATENCY) frees one place,
    # seen 1 + PE_REPORT_LATENCY later (one column pushed), the second pop one more.
    second = first + QUEUE_LATENCY + 1 + PE_REPORT_LATENCY
    third = second + 1
    assert timing.broadcast_stalls == second - (first + 1)
    # One LNZD evaluation per cycle with a winner: three push cycles and the stalls.
    assert timing.ccu_actions["lnzd_evaluations"] == 3 + timing.broadcast_stalls
    assert timing.compute == third + QUEUE_LATENCY + ARITH_LATENCY + 1 + IDLE_REPORT_LATENCY + 1
    ref = reference_layer_timing(config, counts, np.ones(4), 1)
    assert (ref.compute, ref.broadcast_stalls) == (timing.compute, timing.broadcast_stalls)


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
    # 16 rows on 4 PEs, then 8 rows; the PEs see the CCU's rows one cycle late.
    assert first.writeback == max(4 + 3, 2 + 2) + 1


def test_word_reads_are_the_distinct_words_of_each_column(rng, seed):
    """A column streamed from addresses ``start … end - 1`` reads each memory word it touches
    once (oracle: the set of ``address // entries_per_word``); columns of non-broadcast
    (zero) activations are not read at all."""
    for word_bits in (8, 32, 64, 128):
        config = EIEConfig(n_pes=2, spmat_word_bits=word_bits, spmat_depth=256)
        counts = rng.integers(0, 20, (2, 30))
        acts = rng.integers(0, 2, 30)
        base = rng.integers(0, 50, 2)
        per_word = config.entries_per_word
        expected = []
        for k in range(2):
            ptr = base[k] + np.concatenate([[0], np.cumsum(counts[k])])
            expected.append(sum(len({a // per_word for a in range(ptr[j], ptr[j + 1])})
                                for j in range(30) if acts[j]))
        for model in (layer_timing, reference_layer_timing):
            timing = model(config, counts, acts, 3, entry_base=base)
            assert timing.actions["spmat_word_reads"].tolist() == expected, (seed, word_bits)


def test_actions_of_one_layer_by_hand():
    """Two PEs, columns (3, 0) and (0, 2) of entries, both activations non-zero, 4 rows per
    PE, first layer followed by one of 5 rows per PE: each PE reads two pointer pairs, queues
    its non-empty column and drops the other; INIT loads 4 biases and WRITEBACK 5 more."""
    config = EIEConfig(n_pes=2, spmat_word_bits=16, spmat_depth=256)   # 2 entries a word
    counts = np.array([[3, 0], [0, 2]])
    for model in (layer_timing, reference_layer_timing):
        t = model(config, counts, np.array([1, 1]), 4, next_rows_per_pe=5,
                  entry_base=np.array([0, 1]))
        a = t.actions
        assert a["entries"].tolist() == [3, 2]
        assert a["spmat_word_reads"].tolist() == [2, 2]       # words 0, 1 | words 0, 1
        assert a["pointer_reads"].tolist() == [2, 2]
        assert a["queue_pushes"].tolist() == a["queue_pops"].tolist() == [1, 1]
        assert a["dropped_columns"].tolist() == [1, 1]
        assert a["act_reads"].tolist() == [1, 1]              # one slot
        assert a["bias_reads"].tolist() == [9, 9]
        assert a["acc_writes"].tolist() == [3 + 9, 2 + 9]
        assert a["acc_reads"].tolist() == [3 + 4, 2 + 4]
        assert a["act_writes"].tolist() == [4, 4]
        assert t.ccu_actions == {"lnzd_evaluations": 2, "broadcast_loads": 2,
                                 "slot_flag_loads": 1}


def test_job_actions_use_the_layer_placements(rng, seed):
    """job_timing counts word reads at the entries' absolute addresses: a second layer
    that starts mid-word is counted as the RTL reads it."""
    from eie_hw.image import encode_network
    from sim.verify.random_layers import random_activations, random_network
    config = EIEConfig(n_pes=4)
    layers = random_network(rng, config, [24, 20, 12], [0.4, 0.6])
    image = encode_network(config, layers)
    x = random_activations(rng, config, 24, 0.7)
    job = job_timing(image, x)
    from sim.models.golden import GoldenModel
    inputs = [x] + GoldenModel(image).layer_outputs(x)[:-1]
    for l, (layer, place) in enumerate(zip(image.layers, image.placements(), strict=True)):
        words = [sum(len({a // config.entries_per_word for a in range(int(p[j]), int(p[j + 1]))})
                     for j in np.flatnonzero(inputs[l]))
                 for p in (place.entry_base[k] + layer.ptr[k] for k in range(4))]
        assert job.layers[l].actions["spmat_word_reads"].tolist() == words, (seed, l)
    assert job.actions["entries"].tolist() == \
        sum(lt.actions["entries"] for lt in job.layers).tolist()
