"""Jobs for the cocotb bench: constrained-random layers and the known-answer cases.

A :class:`Job` is an image and one input; its expected outputs and cycle count always come
from the golden and cycle models (:meth:`Job.expected`), never from stored numbers. Random jobs
depend only on ``(config, seed, kind)``, so a seed replays a job exactly.
"""

from dataclasses import dataclass, field

import numpy as np

from eie_hw.config import EIEConfig
from eie_hw.entry import unpack_entries
from eie_hw.image.layer import ImageError, QuantizedLayer
from eie_hw.image.network import encode_network
from sim.models.cycle_model import job_timing
from sim.models.golden import GoldenModel
from sim.verify.configs import small_config  # re-exported: `eie regress` takes it from here
from sim.verify.paper import fig2_example
from sim.verify.random_layers import random_activations, random_network

__all__ = ["Job", "KINDS", "random_job", "fig2_job", "small_config", "alex7_config",
           "alex7_job"]

#: Kinds of random job; ``random_job(kind=None)`` draws one.
KINDS = ("mixed", "tiny", "full", "dense", "empty", "long_runs", "extreme", "multi")
_KIND_WEIGHTS = (0.30, 0.10, 0.12, 0.08, 0.08, 0.10, 0.10, 0.12)


@dataclass
class Job:
    """One image and one input (original order), with what a test needs to know about them."""

    image: object
    x: np.ndarray
    label: str
    seed: int = None
    features: dict = field(default_factory=dict)

    def expected(self):
        """``(outputs, timing)``: physical-order outputs of the last layer (the order the
        outputs are read back) and the :class:`~sim.models.timing_result.JobTiming` of the job, from
        the golden and cycle models."""
        golden = GoldenModel(self.image)
        return golden.layer_outputs(self.x)[-1], job_timing(self.image, self.x, golden)

    def describe(self):
        shapes = " -> ".join([str(self.image.layers[0].n_in)]
                             + [str(layer.n_out) for layer in self.image.layers])
        tags = ", ".join(k for k, v in self.features.items() if v is True)
        return f"{self.label} seed={self.seed} [{shapes}] {tags}".rstrip()


def features(config, image, x, outputs=None):
    """Coverage tags of a job: padding entries (zero runs longer than ``max_zero_run``), empty
    columns, all-zero input, saturated outputs, multi-layer."""
    padding = empty_cols = False
    for layer in image.layers:
        for codes in layer.entries:
            weight, _ = unpack_entries(config, codes)
            padding |= bool(np.any(weight == 0))
        empty_cols |= bool(np.any(layer.column_counts.sum(axis=0) == 0))
    tags = {"padding": padding, "empty_columns": empty_cols, "zero_input": not np.any(x),
            "multi_layer": len(image.layers) > 1}
    if outputs is not None:
        tags["saturated"] = bool(np.any((outputs == config.act_max) | (outputs == config.act_min)))
    return tags


def _limits(config):
    """Largest layer input and output lengths of one layer on ``config``."""
    n_max = config.n_pes * config.act_depth
    return min(n_max, config.ptr_depth - 1), min(n_max, config.n_pes * config.bias_depth)


def _dim(rng, limit, n_pes):
    r = rng.random()
    if r < 0.15:
        return 1
    if r < 0.35:
        return int(rng.integers(2, min(limit, 2 * n_pes + 1) + 1)) if limit >= 2 else 1
    if r < 0.55:
        return limit
    return int(rng.integers(1, limit + 1))


def _density(rng):
    r = rng.random()
    if r < 0.1:
        return 0.0
    if r < 0.2:
        return 1.0
    if r < 0.4:
        return float(rng.uniform(0.01, 0.1))
    return float(rng.uniform(0, 1))


def _shapes(rng, config, kind):
    in_max, out_max = _limits(config)
    n = config.n_pes
    if kind == "tiny":
        return [int(rng.integers(1, min(in_max, 4) + 1)),
                int(rng.integers(1, min(out_max, 4) + 1))]
    if kind in ("full", "dense"):
        return [in_max, out_max]
    if kind == "long_runs":
        # More local rows per PE than one zero run spans, so padding entries appear.
        rows = min(config.act_depth, config.bias_depth)
        return [_dim(rng, in_max, n), min(out_max, n * rows)]
    if kind == "multi":
        layers = int(rng.integers(2, min(config.max_layers, 4) + 1))
        # Pointers of all layers share ptr_depth: split it.
        # Pointers and biases of all layers share ptr_depth and bias_depth: split them.
        per_layer = max(1, config.ptr_depth // layers - 1)
        out_cap = min(out_max, per_layer, n * max(1, config.bias_depth // layers))
        return [_dim(rng, min(in_max, per_layer), n)] + [
            _dim(rng, out_cap, n) for _ in range(layers - 1)] + [_dim(rng, out_max, n)]
    return [_dim(rng, in_max, n), _dim(rng, out_max, n)]


def _sculpt(rng, layers):
    """Empty some rows and columns (beyond what the density gives)."""
    for layer in layers:
        if rng.random() < 0.3:
            layer.index[rng.random(layer.n_out) < rng.uniform(0, 0.5)] = 0
        if rng.random() < 0.3:
            layer.index[:, rng.random(layer.n_in) < rng.uniform(0, 0.5)] = 0


def random_job(config, seed, kind=None, *, tries=12):
    """A random job that fits ``config``. ``kind`` (one of :data:`KINDS`, default: drawn)
    steers shapes and densities; too large draws are retried with lower weight density."""
    if not isinstance(config, EIEConfig):
        raise TypeError(f"config must be an EIEConfig, not {type(config).__name__}")
    rng = np.random.default_rng(seed)
    if kind is None:
        kind = str(rng.choice(KINDS, p=_KIND_WEIGHTS))
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    sizes = _shapes(rng, config, kind)
    extreme = kind == "extreme" or (kind == "mixed" and rng.random() < 0.2)
    scale = 1.0
    for attempt in range(tries):
        if kind == "dense":
            densities = [1.0] * (len(sizes) - 1)
        elif kind == "empty":
            densities = [0.0] * (len(sizes) - 1)
        elif kind == "long_runs":
            densities = [float(rng.uniform(0.005, 0.04))] * (len(sizes) - 1)
        else:
            densities = [_density(rng) for _ in sizes[1:]]
        densities = [d * scale for d in densities]
        layers = random_network(rng, config, sizes, densities, extreme=extreme)
        if kind in ("mixed", "multi", "extreme"):
            _sculpt(rng, layers)
        if rng.random() < 0.2:     # a layer may end without ReLU even if not the last
            layers[0] = QuantizedLayer(layers[0].index, layers[0].codebook, layers[0].w_frac,
                                       layers[0].bias, not layers[0].relu)
        try:
            image = encode_network(config, layers)
        except ImageError:
            # Too many entries, pointers or biases: alternately thin out and shrink.
            if attempt % 2:
                sizes = [max(1, s // 2) for s in sizes]
            else:
                scale *= 0.5
            continue
        if kind == "empty" and rng.random() < 0.5:
            act_density = 0.0
        else:   # mostly non-zero inputs: an all-zero input exercises little
            r = rng.random()
            act_density = 0.0 if r < 0.05 else 1.0 if r < 0.25 else float(rng.uniform(0.05, 1))
        x = random_activations(rng, config, sizes[0], act_density, extreme=extreme)
        job = Job(image, x, f"random-{kind}", seed)
        job.features = features(config, image, x)
        return job
    raise ImageError(f"no {kind} job of sizes {sizes} fits the configuration (seed {seed})")


def fig2_job(config, seed):
    """The paper's Fig. 2 example (:func:`sim.verify.paper.fig2_example`) as a job."""
    layer, x = fig2_example(config, np.random.default_rng(seed))
    image = encode_network(config, [layer])
    job = Job(image, x, "fig2", seed)
    job.features = features(config, image, x)
    job.features["pe0_entries"] = int(image.layers[0].entry_counts[0])
    return job


def alex7_config(n_pes=64, fifo_depth=8):
    """A configuration holding Alex-7 (4096 × 4096, 9 % weights) with ``act_depth=64``."""
    return EIEConfig(n_pes=n_pes, fifo_depth=fifo_depth, act_depth=4096 // n_pes,
                     spmat_depth=4096 * 64 // n_pes, ptr_depth=2 * 2049, bias_depth=4096 // n_pes,
                     max_layers=1)


def alex7_job(config, seed):
    """Table III's Alex-7 layer, synthetic (:func:`sim.verify.random_layers.synthetic_layer`)."""
    from sim.verify.paper import TABLE_III
    from sim.verify.random_layers import synthetic_layer

    layer = next(layer for layer in TABLE_III if layer.name == "Alex-7")
    quantized, acts = synthetic_layer(layer, seed)
    image = encode_network(config, [quantized])
    job = Job(image, np.asarray(acts, dtype=np.int64), "alex7", seed)
    job.features = features(config, image, job.x)
    return job
