"""Storage accounting of a shared-weight convolution, as Deep Compression stores it (§2, §4).

A convolution runs on the host, so it is stored in Deep Compression's own sparse form rather
than EIE's: the weight tensor is flattened (output channel, input channel, row, column) and its
non-zeros kept in that order as entries of a codebook index (``bits`` bits) and a relative index
(the count of zeros since the previous entry, :data:`CONV_REL_INDEX_BITS` bits). When more zeros
precede a non-zero than the relative index holds, a filler entry (index 0, relative index at
its maximum) stands for ``2 ** CONV_REL_INDEX_BITS`` positions — the rule of EIE's padding
entries, over the whole tensor instead of per PE and column, so no pointers are needed.

:func:`conv_accounting` counts it like :func:`compress.accounting.layer_accounting` counts an
EIE layer: the dense float32 layer against fixed-width fields (``pq``) and against the two
entry streams canonically Huffman-coded with their code-length tables (``pqh``); the codebook
(``2 ** bits`` values) and the biases count as float32 (:data:`~compress.accounting.FLOAT_BITS`),
which is what the host computes with.
"""

import numpy as np

from .accounting import FLOAT_BITS, huffman_stream_bits

__all__ = ["CONV_REL_INDEX_BITS", "conv_entries", "conv_accounting"]

#: Relative-index bits of a convolution's entries: Deep Compression's LeNet-5 table (Table 3)
#: stores 5-bit indices.
CONV_REL_INDEX_BITS = 5


def conv_entries(index, rel_bits=CONV_REL_INDEX_BITS):
    """``(weight_index, rel_index)`` arrays of the entries of a codebook-index tensor,
    fillers included (see the module documentation)."""
    flat = np.asarray(index, dtype=np.int64).ravel()
    positions = np.flatnonzero(flat)
    gaps = np.diff(np.concatenate([[-1], positions])) - 1
    span = 1 << rel_bits
    per = gaps // span + 1                       # fillers + the entry itself
    weight = np.zeros(int(per.sum()), dtype=np.int64)
    rel = np.full(int(per.sum()), span - 1, dtype=np.int64)
    last = np.cumsum(per) - 1
    weight[last] = flat[positions]
    rel[last] = gaps % span
    return weight, rel


def conv_accounting(module, *, name="conv", rel_bits=CONV_REL_INDEX_BITS):
    """The accounting dictionary of one :class:`~compress.quantize.SharedConv2d` (keys as
    :func:`~compress.accounting.layer_accounting`'s, without the EIE-only pointer and file
    figures)."""
    index = module.index.detach().cpu().numpy()
    bits = module.bits
    n_bias = 0 if module.bias is None else int(module.bias.numel())
    weight, rel = conv_entries(index, rel_bits)
    entries = len(weight)
    nonzeros = int(np.count_nonzero(index))
    dense = FLOAT_BITS * (index.size + n_bias)
    pq = {"weight_bits": entries * bits, "index_bits": entries * rel_bits,
          "codebook_bits": (1 << bits) * FLOAT_BITS, "bias_bits": n_bias * FLOAT_BITS}
    w_bits, w_raw = huffman_stream_bits(weight, 1 << bits, f"{name} weight-index")
    i_bits, i_raw = huffman_stream_bits(rel, 1 << rel_bits, f"{name} relative-index")
    pqh = dict(pq, weight_bits=w_bits, index_bits=i_bits)
    return {
        "name": name, "shape": list(index.shape), "weights": int(index.size),
        "nonzeros": nonzeros, "density": nonzeros / index.size, "entries": entries,
        "padding": entries - nonzeros, "dense_bits": dense, "pq": pq, "pqh": pqh,
        "weight_bits_per_entry": {"pq": bits, "pqh": w_raw / entries if entries else 0.0},
        "index_bits_per_entry": {"pq": rel_bits, "pqh": i_raw / entries if entries else 0.0},
        "ratio_pq": dense / sum(pq.values()), "ratio_pqh": dense / sum(pqh.values()),
    }
