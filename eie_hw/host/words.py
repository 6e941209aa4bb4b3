"""Host side of the RTL protocol (docs/protocol.md): what to send :class:`eie_hw.rtl.top.EIETop`.

:func:`load_transactions` turns an :class:`~eie_hw.image.network.EIEImage` and an input into
``write``-stream words; :func:`output_requests` lists the ``read_req`` words of the outputs.
They are plain data, used by the Amaranth testbenches, the cocotb bench and the board
driver. The encoding of a word comes from :mod:`eie_hw.protocol` only.
"""

from dataclasses import dataclass

import numpy as np

from eie_hw.protocol import Space, pack, pack_layer_entry, read_req_layout, write_layout

__all__ = ["Write", "layer_table", "input_words", "load_transactions", "start_transaction",
           "output_requests", "encode_write", "encode_read"]


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


def input_words(config, x):
    """Bank-0 contents per PE for input ``x`` (physical = original order for layer 0):
    activation ``j`` at PE ``j % n_pes``, slot ``j // n_pes``; the last slot is zero-padded."""
    n = config.n_pes
    x = np.asarray(x, dtype=np.int64)
    slots = -(-len(x) // n)
    padded = np.zeros(slots * n, dtype=np.int64)
    padded[:len(x)] = x
    return padded.reshape(slots, n).T


def load_transactions(image, x):
    """Every ``write`` word that loads ``image`` and input ``x`` (without ``START``)."""
    cfg = image.config
    act_mask = (1 << cfg.act_width) - 1
    words = []
    acts = input_words(cfg, x)
    for k in range(cfg.n_pes):
        mem = image.pe_memories(k)
        for space, key in ((Space.PTR_EVEN, "ptr_even"), (Space.PTR_ODD, "ptr_odd"),
                           (Space.SPMAT, "spmat"), (Space.CODEBOOK, "codebook"),
                           (Space.BIAS, "bias")):
            words.extend(Write(space, k, a, int(v)) for a, v in enumerate(mem[key]))
        words.extend(Write(Space.ACT, k, a, int(v) & act_mask) for a, v in enumerate(acts[k]))
    for l, entry in enumerate(layer_table(image)):
        words.append(Write(Space.LAYER, 0, l, pack_layer_entry(cfg, **entry)))
    return words


def start_transaction(image):
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
