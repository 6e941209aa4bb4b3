"""Storage accounting of an EIE image, per layer, in the manner of Deep Compression Table 2.

Everything is counted from the image itself: the weight-index and relative-index (zero-run)
streams are the actual EIE entries (:func:`eie_hw.entry.unpack_entries`), padding entries
included; widths come from the image's :class:`~eie_hw.config.EIEConfig`.

Per layer and in total:

* ``dense_bits`` — the float32 layer: ``32 × (n_out × n_in + n_out)`` (weights and biases).
* ``pq`` — pruned + quantized, fixed-width fields as EIE stores them: ``weight_bits`` (entries ×
  ``weight_index_bits``), ``index_bits`` (entries × ``rel_index_bits``), ``codebook_bits``
  (``codebook_size × weight_width``), ``bias_bits`` (``n_out × act_width``), ``pointer_bits``
  (``n_pes × (n_in + 1) × ptr_width``).
* ``pqh`` — the same with the two entry streams and the per-PE column lengths (from which the
  pointers are a running sum) canonically Huffman-coded per layer (:mod:`compress.huffman`); each
  stream (up to ``VERIFY_LIMIT`` symbols) is really encoded, decoded and checked, and its
  code-length table is counted.
* ``ratio_*`` — ``dense_bits / compressed bits``. ``ratio_pq`` / ``ratio_pqh`` count weights,
  indices, codebook and biases, like Deep Compression (whose relative indices run over the whole
  flattened matrix and need no pointers); ``ratio_*_with_pointers`` adds the per-PE column
  pointers that EIE's interleaved CSC needs.
* ``file_bytes`` — bytes of each array of the layer's section in the ``.eie`` file
  (:mod:`eie_hw.image.fileformat`): int32 codebook, bias, row order and pointers, one entry
  code per byte (two when entries are wider than 8 bits).
* ``eiz_bytes`` — bytes of each part of the layer in the compressed ``.eiz`` file
  (:func:`compress.storage.compressed_sizes`), and ``ratio_eiz``, the *actual* ratio: dense
  float32 bytes over those bytes (in the total: over the whole file, header included). It
  differs from ``ratio_pqh_with_pointers`` only by what the counting leaves out: the file's
  header, each layer's shape fields, stored row orders, stream lengths and byte padding.
"""

from collections import Counter

import numpy as np

from eie_hw.entry import unpack_entries

from . import huffman
from .storage import compressed_sizes

__all__ = ["layer_accounting", "image_accounting", "huffman_stream_bits", "FILE_INT_BYTES",
           "FLOAT_BITS"]

FILE_INT_BYTES = 4
#: Bits of a float32: the dense layer's weights and biases the ratios are measured against.
FLOAT_BITS = 32
VERIFY_LIMIT = 1 << 20
_PARTS = ("weight_bits", "index_bits", "codebook_bits", "bias_bits")


def huffman_stream_bits(symbols, alphabet_size, what):
    """Huffman-code ``symbols``; return ``(coded + table bits, coded bits)``.

    Streams up to :data:`VERIFY_LIMIT` symbols are really encoded and decoded and the round trip
    is checked; longer ones (pure-Python decoding would take seconds) are sized from the code
    lengths, which gives the same bit count.
    """
    symbols = [int(s) for s in symbols]
    if len(symbols) > VERIFY_LIMIT:
        code = huffman.huffman_code(symbols)
        n_bits = code.encoded_bits(Counter(symbols))
    else:
        data, n_bits, code = huffman.encode(symbols)
        if huffman.decode(data, n_bits, code) != symbols:  # pragma: no cover - a coder bug
            raise AssertionError(f"Huffman round trip failed on the {what} stream")
    return n_bits + huffman.table_bits(code, alphabet_size), n_bits


def _ratios(dense, part):
    core = sum(part[k] for k in _PARTS)
    return dense / core, dense / (core + part["pointer_bits"])


def layer_accounting(config, layer, *, name="layer"):
    """The accounting dictionary of one :class:`~eie_hw.image.layout.EncodedLayer`."""
    codes = np.concatenate([np.asarray(e, dtype=np.int64) for e in layer.entries]) \
        if layer.entries else np.zeros(0, dtype=np.int64)
    weight_index, zero_run = unpack_entries(config, codes)
    entries = int(len(codes))
    nonzeros = int(np.count_nonzero(weight_index))
    n_weights = layer.n_out * layer.n_in
    dense = FLOAT_BITS * (n_weights + layer.n_out)
    pq = {
        "weight_bits": entries * config.weight_index_bits,
        "index_bits": entries * config.rel_index_bits,
        "codebook_bits": config.codebook_size * config.weight_width,
        "bias_bits": layer.n_out * config.act_width,
        "pointer_bits": config.n_pes * (layer.n_in + 1) * config.ptr_width,
    }
    w_bits, w_raw = huffman_stream_bits(weight_index, config.codebook_size, f"{name} weight-index")
    i_bits, i_raw = huffman_stream_bits(zero_run, config.max_zero_run + 1, f"{name} zero-run")
    counts = np.asarray(layer.column_counts, dtype=np.int64).ravel()
    max_count = int(counts.max()) if counts.size else 0
    p_bits, _ = huffman_stream_bits(counts, max_count + 1, f"{name} column-length")
    pqh = dict(pq, weight_bits=w_bits, index_bits=i_bits,
               pointer_bits=p_bits + 16)  # + 16: the alphabet size of the column-length table
    ratio_pq, ratio_pq_ptr = _ratios(dense, pq)
    ratio_pqh, ratio_pqh_ptr = _ratios(dense, pqh)
    entry_bytes = 1 if config.entry_bits <= 8 else 2
    return {
        "name": name, "n_in": layer.n_in, "n_out": layer.n_out, "weights": n_weights,
        "nonzeros": nonzeros, "density": nonzeros / n_weights, "entries": entries,
        "padding": entries - nonzeros, "dense_bits": dense, "pq": pq, "pqh": pqh,
        "weight_bits_per_entry": {"pq": config.weight_index_bits,
                                  "pqh": w_raw / entries if entries else 0.0},
        "index_bits_per_entry": {"pq": config.rel_index_bits,
                                 "pqh": i_raw / entries if entries else 0.0},
        "ratio_pq": ratio_pq, "ratio_pqh": ratio_pqh,
        "ratio_pq_with_pointers": ratio_pq_ptr, "ratio_pqh_with_pointers": ratio_pqh_ptr,
        "file_bytes": {
            "codebook": config.codebook_size * FILE_INT_BYTES,
            "bias": layer.n_out * FILE_INT_BYTES,
            "row_order": layer.n_out * FILE_INT_BYTES,
            "ptr": config.n_pes * (layer.n_in + 1) * FILE_INT_BYTES,
            "entries": entries * entry_bytes,
        },
    }


def image_accounting(image, names=None):
    """Accounting of every layer of an :class:`~eie_hw.image.network.EIEImage` and totals.

    Returns ``{"layers": [...], "total": {...}}``; ``total`` sums the bit counts and
    recomputes density and ratios from the sums. ``file_payload_bytes`` is the payload of the
    ``.eie`` file (the file adds its fixed prefix, JSON header and checksum);
    ``eiz_file_bytes`` the size of the whole ``.eiz`` file (``eiz_header_bytes`` of it outside
    the layers) and ``ratio_eiz`` the dense float32 bytes over it.
    """
    cfg = image.config
    names = names or [f"layer {l}" for l in range(len(image.layers))]
    layers = [layer_accounting(cfg, enc, name=n)
              for enc, n in zip(image.layers, names, strict=True)]
    eiz = compressed_sizes(image)
    for a, parts in zip(layers, eiz["layers"], strict=True):
        a["eiz_bytes"] = parts
        a["ratio_eiz"] = a["dense_bits"] / (8 * sum(parts.values()))
    total = {"name": "total", "weights": sum(a["weights"] for a in layers),
             "nonzeros": sum(a["nonzeros"] for a in layers),
             "entries": sum(a["entries"] for a in layers),
             "dense_bits": sum(a["dense_bits"] for a in layers)}
    total["padding"] = total["entries"] - total["nonzeros"]
    total["density"] = total["nonzeros"] / total["weights"]
    for scheme in ("pq", "pqh"):
        total[scheme] = {k: sum(a[scheme][k] for a in layers) for k in layers[0][scheme]}
    total["ratio_pq"], total["ratio_pq_with_pointers"] = _ratios(total["dense_bits"],
                                                                  total["pq"])
    total["ratio_pqh"], total["ratio_pqh_with_pointers"] = _ratios(total["dense_bits"],
                                                                    total["pqh"])
    entries = max(total["entries"], 1)
    total["weight_bits_per_entry"] = {
        "pq": cfg.weight_index_bits,
        "pqh": sum(a["weight_bits_per_entry"]["pqh"] * a["entries"] for a in layers) / entries}
    total["index_bits_per_entry"] = {
        "pq": cfg.rel_index_bits,
        "pqh": sum(a["index_bits_per_entry"]["pqh"] * a["entries"] for a in layers) / entries}
    total["file_payload_bytes"] = sum(sum(a["file_bytes"].values()) for a in layers)
    total["eiz_bytes"] = {k: sum(a["eiz_bytes"][k] for a in layers) for k in eiz["layers"][0]}
    total["eiz_header_bytes"] = eiz["header"]
    total["eiz_file_bytes"] = eiz["total"]
    total["ratio_eiz"] = total["dense_bits"] / (8 * eiz["total"])
    return {"layers": layers, "total": total}
