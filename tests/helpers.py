"""Helpers of several test modules: the shared configurations and layer options, random inputs
and an Amaranth simulation runner. (Random layers and :func:`small_config` are in
``sim.verify``, which the cocotb bench and the benchmarks use too.)"""

from dataclasses import replace

import numpy as np
from amaranth.sim import Simulator

from compress.demo import DIGITS_SIZES, DIGITS_SPARSITY
from eie_hw.config import EIEConfig

__all__ = ["UNIT_CONFIG", "RTL_LAYER", "demo_sized_layers", "random_input", "simulate",
           "timing_with_extra_action"]

#: The PE units' tests (test_rtl_arith, test_rtl_pe_units): 4 PEs, 16 rows, 64-word memories.
UNIT_CONFIG = EIEConfig(n_pes=4, act_depth=16, spmat_depth=64, ptr_depth=64, bias_depth=16,
                        max_layers=4)

#: ``random_layer`` options of the array and board tests: a tenth of the columns empty, codebook
#: values within ±2000 and biases within ±500, so that most outputs stay inside the activation
#: range (test_rtl_array.test_output_saturation drives them past it).
RTL_LAYER = dict(empty_columns=0.1, weight_range=(-2000, 2000), bias_range=(-500, 500))


def demo_sized_layers(rng, config):
    """Random layers of the digits demo's sizes (64 → 300 → 100 → 10) at its pruned densities
    (``compress.demo.DIGITS_SPARSITY``), the last without ReLU."""
    from sim.verify.random_layers import random_layer

    densities = [1 - DIGITS_SPARSITY[f"fc{i + 1}"] for i in range(len(DIGITS_SIZES) - 1)]
    shapes = zip(DIGITS_SIZES[:-1], DIGITS_SIZES[1:], densities, strict=True)
    return [random_layer(rng, config, n_out, n_in, d, relu=i < len(densities) - 1)
            for i, (n_in, n_out, d) in enumerate(shapes)]


def random_input(rng, config, n, *, zeros=0.4, scale=300):
    """A random input of ``n`` activations.

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of randomness.
    config : EIEConfig
        Gives the activation limits.
    n : int
        Length of the input.
    zeros : float
        Probability of each activation being zero.
    scale : int
        The others are drawn from ``[-scale, scale]`` (clipped to the activation range).

    Returns
    -------
    numpy.ndarray
        ``int64`` activations.
    """
    x = rng.integers(-scale, scale + 1, size=n)
    x[rng.random(n) < zeros] = 0
    return np.clip(x, config.act_min, config.act_max)


def simulate(dut, *testbenches, background=(), clock=1e-8):
    """Run ``dut`` in the Amaranth simulator until every testbench has returned.

    Parameters
    ----------
    dut : amaranth.hdl.Elaboratable
        The design.
    *testbenches : async callable
        Testbenches (``async def tb(ctx)``); the simulation ends when all have returned.
    background : iterable of async callable
        Testbenches that run alongside (monitors) and do not keep the simulation going.
    clock : float or None
        Period of the ``sync`` clock in seconds; ``None`` for a design without one.
    """
    if not testbenches:
        raise TypeError("simulate needs at least one testbench that is not in the background")
    sim = Simulator(dut)
    if clock is not None:
        sim.add_clock(clock)
    for testbench in testbenches:
        sim.add_testbench(testbench)
    for testbench in background:
        sim.add_testbench(testbench, background=True)
    sim.run()


def timing_with_extra_action(timing, name, extra=1):
    """A copy of the cycle model's ``JobTiming`` ``timing`` with ``extra`` more ``name``
    actions in PE 0 of its first layer (a wrong expectation for the scoreboard to catch)."""
    first = timing.layers[0]
    more = np.zeros(len(first.busy), dtype=np.int64)
    more[0] = extra
    actions = {**first.actions, name: first.actions[name] + more}
    return replace(timing, layers=[replace(first, actions=actions), *timing.layers[1:]])
