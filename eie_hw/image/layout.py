"""Lay one quantized layer out over the PEs: interleaved rows, per-PE CSC, padding, pointers.

Physical row ``p`` of a layer is held by PE ``p % n_pes`` as its local row ``p // n_pes``.
``row_order[p]`` names the original output row stored at physical row ``p``; the identity is
the paper's ``i mod N`` interleaving. Within a PE every column is a run of entries in local row
order; an entry's zero run counts the PE's zero rows before it, and a padding entry (index 0,
zero run ``max_zero_run``) stands in for ``max_zero_run + 1`` rows whenever more zeros precede
a non-zero than one zero run holds. ``ptr[k, j] … ptr[k, j + 1] - 1`` are PE ``k``'s entries of
column ``j``, counted from the first entry of the layer in that PE.
"""

from dataclasses import dataclass

import numpy as np

from eie_hw.entry import pack_entries, unpack_entries

from .layer import ImageError, QuantizedLayer

__all__ = ["EncodedLayer", "encode_layer", "decode_layer", "identity_order", "entry_counts",
           "check_pointers"]


def identity_order(n):
    return np.arange(n, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class EncodedLayer:
    """One layer as the PEs hold it.

    Members
    -------
    n_in, n_out : int
        Input and output lengths (physical order on both sides).
    codebook, w_frac, relu :
        As in :class:`QuantizedLayer`.
    bias : (n_out,) int array
        Biases in physical row order.
    row_order : (n_out,) int array
        ``row_order[p]`` is the original row at physical row ``p``.
    ptr : (n_pes, n_in + 1) int array
        Per-PE column pointers, relative to the layer's first entry in that PE.
    entries : tuple of n_pes uint32 arrays
        Per-PE entry codes (see :mod:`eie_hw.entry`), padding included.
    """

    n_in: int
    n_out: int
    codebook: np.ndarray
    w_frac: int
    bias: np.ndarray
    relu: bool
    row_order: np.ndarray
    ptr: np.ndarray
    entries: tuple

    @property
    def n_pes(self):
        return self.ptr.shape[0]

    @property
    def rows_per_pe(self):
        return -(-self.n_out // self.n_pes)

    @property
    def entry_counts(self):
        """Entries (padding included) held by each PE."""
        return self.ptr[:, -1].copy()

    @property
    def column_counts(self):
        """``(n_pes, n_in)`` entries per PE per column."""
        return np.diff(self.ptr, axis=1)


def _check_order(row_order, n_out, name):
    row_order = np.asarray(row_order, dtype=np.int64)
    if row_order.shape != (n_out,) or not np.array_equal(np.sort(row_order), np.arange(n_out)):
        raise ImageError(f"{name}: row_order must be a permutation of 0…{n_out - 1}")
    return row_order


def _plan(index, n_pes, span):
    """Non-zeros of a physical-order index matrix in storage order (PE, column, local row):
    their PE, column, weight index and zero gap before them, and the ``(n_pes, n_in)`` entry
    counts (padding included: one padding entry per full ``span`` of zeros in a gap)."""
    n_in = index.shape[1]
    rows, cols = np.nonzero(index)
    pe, local = rows % n_pes, rows // n_pes
    order = np.lexsort((local, cols, pe))
    pe, local, cols = pe[order], local[order], cols[order]
    weight = index[rows[order], cols].astype(np.int64)
    group = pe * n_in + cols
    first = np.ones(len(group), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    previous = np.empty_like(local)
    previous[first] = -1
    previous[~first] = local[:-1][~first[1:]]
    gap = local - previous - 1
    counts = np.bincount(group, weights=gap // span + 1, minlength=n_pes * n_in)
    return pe, cols, weight, gap, counts.astype(np.int64).reshape(n_pes, n_in)


def entry_counts(index, n_pes, max_zero_run, row_order=None):
    """``(n_pes, n_in)`` entries (padding included) per PE and column if ``index``'s rows are
    placed by ``row_order`` (default identity) — the cost a row assignment minimises."""
    index = np.asarray(index)
    if row_order is not None:
        index = index[np.asarray(row_order)]
    return _plan(index, n_pes, max_zero_run + 1)[-1]


def encode_layer(config, layer, row_order=None, *, name="layer"):
    """Encode a :class:`QuantizedLayer` whose columns are already in physical input order.

    ``row_order`` (default identity) assigns original rows to physical rows.
    """
    layer.validate(config, name)
    n_pes, n_out, n_in = config.n_pes, layer.n_out, layer.n_in
    row_order = _check_order(identity_order(n_out) if row_order is None else row_order,
                             n_out, name)
    index = np.asarray(layer.index)
    if not np.array_equal(row_order, np.arange(n_out)):
        index = index[row_order]
    span = config.max_zero_run + 1

    pe, cols, weight, gap, counts = _plan(index, n_pes, span)
    per_nonzero = gap // span + 1
    ptr = np.zeros((n_pes, n_in + 1), dtype=np.int64)
    np.cumsum(counts, axis=1, out=ptr[:, 1:])

    total = int(per_nonzero.sum())
    codes = np.full(total, pack_entries(config, 0, config.max_zero_run), dtype=np.uint32)
    codes[np.cumsum(per_nonzero) - 1] = pack_entries(config, weight, gap % span)
    bounds = np.concatenate([[0], np.cumsum(ptr[:, -1])])
    entries = tuple(codes[bounds[k]:bounds[k + 1]] for k in range(n_pes))

    return EncodedLayer(
        n_in=n_in, n_out=n_out,
        codebook=np.asarray(layer.codebook, dtype=np.int64).copy(),
        w_frac=int(layer.w_frac),
        bias=np.asarray(layer.bias, dtype=np.int64)[row_order],
        relu=bool(layer.relu), row_order=row_order, ptr=ptr, entries=entries)


def check_pointers(ptr, name="layer"):
    """Raise :class:`ImageError` unless every PE's row of the ``(n_pes, n_in + 1)`` pointer
    table ``ptr`` is non-negative, starts at 0 and never decreases; the message names ``name``,
    the PE and the index of the first bad pointer."""
    ptr = np.asarray(ptr, dtype=np.int64)
    for k, row in enumerate(ptr):
        negative = np.flatnonzero(row < 0)
        if len(negative):
            j = int(negative[0])
            raise ImageError(f"{name}: PE {k} pointer {j} is negative ({row[j]})")
        if row[0] != 0:
            raise ImageError(f"{name}: PE {k} pointer 0 is {row[0]}; a layer's pointers start "
                             f"at 0")
        drops = np.flatnonzero(np.diff(row) < 0)
        if len(drops):
            j = int(drops[0]) + 1
            raise ImageError(f"{name}: PE {k} pointer {j} is {row[j]}, less than pointer "
                             f"{j - 1} ({row[j - 1]}); pointers must not decrease")


def decode_layer(config, encoded, *, name="layer"):
    """Rebuild the physical-order :class:`QuantizedLayer` of an :class:`EncodedLayer`.

    Raises :class:`ImageError` if pointers or entries are inconsistent with the shape.
    """
    n_pes, n_in, n_out = config.n_pes, encoded.n_in, encoded.n_out
    ptr = np.asarray(encoded.ptr, dtype=np.int64)
    if ptr.shape != (n_pes, n_in + 1):
        raise ImageError(f"{name}: pointer table has shape {ptr.shape}, expected "
                         f"{(n_pes, n_in + 1)}")
    if len(encoded.entries) != n_pes:
        raise ImageError(f"{name}: {len(encoded.entries)} entry lists for {n_pes} PEs")
    check_pointers(ptr, name)
    index = np.zeros((n_out, n_in), dtype=np.int64)
    for k in range(n_pes):
        codes = np.asarray(encoded.entries[k])
        if ptr[k, -1] != len(codes):
            raise ImageError(f"{name}: PE {k} pointers end at {ptr[k, -1]}, but the PE has "
                             f"{len(codes)} entries")
        if not len(codes):
            continue
        weight, zero_run = unpack_entries(config, codes)
        column = np.repeat(np.arange(n_in), np.diff(ptr[k]))
        steps = np.cumsum(zero_run + 1)
        starts = np.repeat(np.concatenate([[0], steps])[ptr[k, :-1]], np.diff(ptr[k]))
        local = steps - starts - 1
        physical = local * n_pes + k
        real = weight != 0
        if np.any(physical[real] >= n_out):
            raise ImageError(f"{name}: PE {k} has an entry past the layer's {n_out} rows")
        index[physical[real], column[real]] = weight[real]
    return QuantizedLayer(index=index, codebook=encoded.codebook.copy(), w_frac=encoded.w_frac,
                          bias=encoded.bias.copy(), relu=encoded.relu)
