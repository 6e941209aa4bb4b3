"""The host words of :class:`eie_hw.rtl.top.EIETop`'s protocol (docs/protocol.md), as data.

:func:`image_writes` turns an :class:`~eie_hw.image.network.EIEImage` into the ``write`` words
that load its memories and layer table, :func:`input_writes` an input into those of bank 0,
:func:`start_write` gives the ``START`` word and :func:`output_requests` the ``read_req``
words of the outputs. :func:`encode_write` / :func:`encode_read` give a word's integer
payload. The layouts come from :mod:`eie_hw.protocol` only; :class:`~.session.HostSession`
sends these words through any port.
"""

from dataclasses import dataclass

import numpy as np

from eie_hw.fixedpoint import check_act_fixed
from eie_hw.protocol import Space, pack, pack_layer_entry, read_req_layout, write_layout

__all__ = ["Write", "layer_table", "input_slots", "image_writes", "input_writes", "start_write",
           "load_transactions", "output_requests", "encode_write", "encode_read"]


@dataclass(frozen=True)
class Write:
    """One ``write``-stream word."""

    space: Space
    pe: int
    addr: int
    data: int


def layer_table(image):
    """The layer-table entries of ``image``: dicts of :func:`eie_hw.protocol.pack_layer_entry`
    arguments."""
    return [dict(n_in=layer.n_in, rows=layer.rows_per_pe, ptr_base=place.ptr_base,
                 bias_base=place.bias_base, w_frac=layer.w_frac, relu=layer.relu)
            for layer, place in zip(image.layers, image.placements(), strict=True)]


def input_slots(config, x):
    """Bank-0 contents per PE for input ``x`` (physical = original order for layer 0), an
    ``(n_pes, slots)`` array: activation ``j`` at PE ``j % n_pes``, slot ``j // n_pes``; the
    last slot is zero-padded.

    Raises ``TypeError`` / ``ValueError`` (:func:`eie_hw.fixedpoint.check_act_fixed`) unless
    ``x`` holds integers within ``act_width`` bits, ``ValueError`` if it is not a vector or does
    not fit ``act_depth`` slots."""
    x = check_act_fixed(config, x, what="an input")
    if x.ndim != 1:
        raise ValueError(f"an input must be a vector, not an array of shape {x.shape}")
    n = config.n_pes
    slots = -(-len(x) // n)
    if slots > config.act_depth:
        raise ValueError(f"an input of {len(x)} activations needs {slots} slots per PE; "
                         f"act_depth is {config.act_depth}")
    padded = np.zeros(slots * n, dtype=np.int64)
    padded[:len(x)] = x
    return padded.reshape(slots, n).T


def image_writes(image):
    """Every ``write`` word that loads ``image``: each PE's memories, then the layer table."""
    cfg = image.config
    words = []
    for k in range(cfg.n_pes):
        mem = image.pe_memories(k)
        for space, key in ((Space.PTR_EVEN, "ptr_even"), (Space.PTR_ODD, "ptr_odd"),
                           (Space.SPMAT, "spmat"), (Space.CODEBOOK, "codebook"),
                           (Space.BIAS, "bias")):
            words.extend(Write(space, k, a, int(v)) for a, v in enumerate(mem[key]))
    for l, entry in enumerate(layer_table(image)):
        words.append(Write(Space.LAYER, 0, l, pack_layer_entry(cfg, **entry)))
    return words


def input_writes(config, x):
    """The ``write`` words that put input ``x`` (see :func:`input_slots`) into bank 0."""
    mask = (1 << config.act_width) - 1
    acts = input_slots(config, x)
    return [Write(Space.ACT, k, a, int(v) & mask)
            for k in range(config.n_pes) for a, v in enumerate(acts[k])]


def load_transactions(image, x):
    """:func:`image_writes` followed by :func:`input_writes` (everything but ``START``)."""
    return image_writes(image) + input_writes(image.config, x)


def start_write(image):
    """The ``START`` word running every layer of ``image``."""
    return Write(Space.START, 0, 0, len(image.layers))


def output_requests(image):
    """``(pe, addr)`` read requests of the outputs, in physical row order."""
    n = image.config.n_pes
    return [(p % n, p // n) for p in range(image.n_outputs)]


def encode_write(config, word):
    """A :class:`Write` as the integer payload of the ``write`` stream."""
    return pack(write_layout(config), space=word.space, pe=word.pe, addr=word.addr,
                data=word.data)


def encode_read(config, pe, addr):
    """A read request as the integer payload of the ``read_req`` stream."""
    return pack(read_req_layout(config), pe=pe, addr=addr)
