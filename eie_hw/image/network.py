"""A network of fully connected layers as one EIE image, and its placement in PE memories.

Layers are chained: layer ``l + 1`` reads layer ``l``'s outputs in physical order, so when a
layer's rows are reordered (``row_order``) the next layer's columns are permuted to match and no
data moves between layers. The host gives inputs in original order (layer 0's columns are never
permuted) and gets outputs back in original order (``restore_outputs``).

Placement: each PE's memories hold all layers back to back. Layer ``l`` uses pointer addresses
``ptr_base[l] … ptr_base[l] + n_in`` (address ``a`` in bank ``a % 2`` at row ``a // 2``), entry
addresses from ``entry_base[l][k]`` in PE ``k`` (pointers are stored absolute), bias addresses
``bias_base[l] … + rows_per_pe - 1`` and codebook ``l``.
"""

from dataclasses import dataclass

import numpy as np

from eie_hw.entry import entries_to_words

from .balance import balanced_row_order
from .layer import ImageError, QuantizedLayer
from .layout import decode_layer, encode_layer

__all__ = ["EIEImage", "encode_network", "LayerPlacement", "capacity", "describe_capacity"]


@dataclass(frozen=True)
class LayerPlacement:
    """Where one layer lives in the PE memories."""

    ptr_base: int
    bias_base: int
    entry_base: tuple  # per PE


@dataclass(frozen=True, eq=False)
class EIEImage:
    """An encoded network for one :class:`~eie_hw.config.EIEConfig`."""

    config: object
    layers: tuple

    def __post_init__(self):
        self.validate()

    # Section: structure

    @property
    def n_inputs(self):
        return self.layers[0].n_in

    @property
    def n_outputs(self):
        return self.layers[-1].n_out

    def placements(self):
        """The :class:`LayerPlacement` of every layer."""
        cfg = self.config
        ptr_base = bias_base = 0
        entry_base = np.zeros(cfg.n_pes, dtype=np.int64)
        result = []
        for layer in self.layers:
            result.append(LayerPlacement(ptr_base, bias_base, tuple(int(b) for b in entry_base)))
            ptr_base += layer.n_in + 1
            bias_base += layer.rows_per_pe
            entry_base = entry_base + layer.entry_counts
        return result

    def validate(self):
        """Raise :class:`ImageError` if layers do not chain or the image does not fit."""
        cfg = self.config
        if not self.layers:
            raise ImageError("image has no layers")
        if len(self.layers) > cfg.max_layers:
            raise ImageError(f"image has {len(self.layers)} layers; the configuration holds "
                             f"max_layers={cfg.max_layers}")
        for l, layer in enumerate(self.layers):
            if layer.n_pes != cfg.n_pes:
                raise ImageError(f"layer {l} is laid out for {layer.n_pes} PEs, the "
                                 f"configuration has {cfg.n_pes}")
            if l and layer.n_in != self.layers[l - 1].n_out:
                raise ImageError(f"layer {l} has {layer.n_in} inputs but layer {l - 1} has "
                                 f"{self.layers[l - 1].n_out} outputs")
        pointers = sum(layer.n_in + 1 for layer in self.layers)
        if pointers > cfg.ptr_depth:
            raise ImageError(f"image needs {pointers} column pointers per PE; ptr_depth is "
                             f"{cfg.ptr_depth}")
        biases = sum(layer.rows_per_pe for layer in self.layers)
        if biases > cfg.bias_depth:
            raise ImageError(f"image needs {biases} bias words per PE; bias_depth is "
                             f"{cfg.bias_depth}")
        entries = sum(layer.entry_counts for layer in self.layers)
        worst = int(np.argmax(entries))
        if entries[worst] > cfg.max_entries_per_pe:
            raise ImageError(f"PE {worst} needs {entries[worst]} sparse entries; it holds "
                             f"{cfg.max_entries_per_pe} (spmat_depth {cfg.spmat_depth} words, "
                             f"{cfg.ptr_width}-bit pointers)")

    # Section: host-side order

    def input_order(self):
        """Inputs are given in original order."""
        return np.arange(self.n_inputs)

    def restore_outputs(self, physical):
        """Outputs in physical order (last axis) → original order."""
        physical = np.asarray(physical)
        out = np.empty_like(physical)
        out[..., self.layers[-1].row_order] = physical
        return out

    def decode(self):
        """The network as :class:`QuantizedLayer` objects in original row and column order."""
        result, previous = [], None
        for l, encoded in enumerate(self.layers):
            layer = decode_layer(self.config, encoded, name=f"layer {l}")
            index = np.empty_like(layer.index)
            index[encoded.row_order] = layer.index
            bias = np.empty_like(layer.bias)
            bias[encoded.row_order] = layer.bias
            if previous is not None:
                columns = np.empty_like(index)
                columns[:, previous] = index
                index = columns
            result.append(QuantizedLayer(index, layer.codebook, layer.w_frac, bias, layer.relu))
            previous = encoded.row_order
        return result

    # Section: memory contents

    def pe_memories(self, k):
        """Contents of PE ``k``'s memories as lists of integers.

        Keys: ``ptr_even``, ``ptr_odd`` (absolute entry addresses), ``spmat`` (words),
        ``bias`` (two's complement in ``act_width`` bits), ``codebook`` (layer ``l`` at
        ``l * codebook_size``, two's complement in ``weight_width`` bits).
        """
        cfg = self.config
        pointers, codes, bias, codebook = [], [], [], []
        for layer, place in zip(self.layers, self.placements(), strict=True):
            pointers.extend(int(p) + place.entry_base[k] for p in layer.ptr[k])
            codes.append(layer.entries[k])
            rows = np.arange(layer.rows_per_pe) * cfg.n_pes + k
            bias.extend(int(layer.bias[r]) if r < layer.n_out else 0 for r in rows)
            codebook.extend(int(v) for v in layer.codebook)
        codes = np.concatenate(codes) if codes else np.zeros(0, dtype=np.uint32)
        return {
            "ptr_even": pointers[0::2],
            "ptr_odd": pointers[1::2],
            "spmat": entries_to_words(cfg, codes),
            "bias": [b & ((1 << cfg.act_width) - 1) for b in bias],
            "codebook": [v & ((1 << cfg.weight_width) - 1) for v in codebook],
        }


def encode_network(config, layers, row_orders=None):
    """Encode a list of :class:`QuantizedLayer` (original order) into an :class:`EIEImage`.

    ``row_orders[l]`` (``None`` = identity, the paper's ``i mod N``) assigns layer ``l``'s rows
    to physical rows; the next layer's columns are permuted to match. ``row_orders="balanced"``
    computes a load-balanced order for every layer (:mod:`eie_hw.image.balance`).
    """
    if not layers:
        raise ImageError("a network needs at least one layer")
    if isinstance(row_orders, str):
        if row_orders != "balanced":
            raise ImageError(f"row_orders must be a list or 'balanced', not {row_orders!r}")
        row_orders = [balanced_row_order(layer.index, config.n_pes, config.max_zero_run)
                      for layer in layers]
    if row_orders is None:
        row_orders = [None] * len(layers)
    if len(row_orders) != len(layers):
        raise ImageError(f"{len(row_orders)} row orders for {len(layers)} layers")
    encoded, previous = [], None
    for l, (layer, order) in enumerate(zip(layers, row_orders, strict=True)):
        layer.validate(config, f"layer {l}")
        if previous is not None:
            if layer.n_in != len(previous):
                raise ImageError(f"layer {l} has {layer.n_in} inputs but layer {l - 1} has "
                                 f"{len(previous)} outputs")
            layer = QuantizedLayer(np.asarray(layer.index)[:, previous], layer.codebook,
                                   layer.w_frac, layer.bias, layer.relu)
        enc = encode_layer(config, layer, order, name=f"layer {l}")
        encoded.append(enc)
        previous = enc.row_order
    return EIEImage(config, tuple(encoded))


def capacity(config):
    """What an image for ``config`` may hold (the limits :meth:`EIEImage.validate` checks):
    ``layers``, ``width`` (inputs and outputs of one layer), ``pointers`` (the sum of
    ``n_in + 1`` over the layers), ``bias_rows`` (the sum of ``ceil(n_out / n_pes)``) and
    ``entries_per_pe`` (sparse entries, padding included, of one PE over all layers)."""
    return {"layers": config.max_layers, "width": config.max_layer_inputs,
            "pointers": config.ptr_depth, "bias_rows": config.bias_depth,
            "entries_per_pe": config.max_entries_per_pe}


def describe_capacity(config):
    """:func:`capacity` in words, with the largest square network that fits it."""
    c = capacity(config)
    # The chain of `depth` equal w → w layers with the most weights: pointers (w + 1) · depth,
    # bias rows ceil(w / n_pes) · depth, w within one layer's width.
    best = None
    for depth in range(1, c["layers"] + 1):
        w = min(c["width"], c["pointers"] // depth - 1,
                c["bias_rows"] // depth * config.n_pes)
        if w >= 1 and (best is None or w * w * depth > best[0] ** 2 * best[1]):
            best = (w, depth)
    square = (f"; the largest chain of equal layers: {best[1]} × ({best[0]} → {best[0]})"
              if best else "")
    return (f"up to {c['layers']} layers of at most {c['width']} inputs and outputs, "
            f"Σ(n_in + 1) ≤ {c['pointers']}, Σ ceil(n_out / {config.n_pes}) ≤ "
            f"{c['bias_rows']}, at most {c['entries_per_pe']} sparse entries per PE{square}")
