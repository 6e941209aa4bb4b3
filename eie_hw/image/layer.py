"""A fully connected layer in EIE form, before it is laid out over the PEs."""

from dataclasses import dataclass

import numpy as np

from eie_hw.fixedpoint import act_to_fixed, choose_frac_bits, to_fixed

__all__ = ["QuantizedLayer", "ImageError"]


class ImageError(ValueError):
    """A layer, image or ``.eie`` file is malformed or does not fit the configuration."""


@dataclass(frozen=True, eq=False)
class QuantizedLayer:
    """``y = act(W x + b)`` with ``W[i, j] = codebook[index[i, j]]``, all in fixed point.

    Members
    -------
    index : (n_out, n_in) integer array
        Codebook index of every weight; 0 means the weight is zero (pruned) and is not stored.
    codebook : (codebook_size,) integer array
        Codebook values, signed ``weight_width``-bit fixed point with ``w_frac`` fraction bits.
        ``codebook[0]`` must be 0: padding entries use index 0 and so contribute exactly zero.
    w_frac : int
        Fraction bits of the codebook values (the write-back shift of this layer).
    bias : (n_out,) integer array
        Biases in the activation fixed-point format; they initialise the accumulators.
    relu : bool
        Apply ReLU on write-back.
    """

    index: np.ndarray
    codebook: np.ndarray
    w_frac: int
    bias: np.ndarray
    relu: bool = True

    @classmethod
    def from_codebook(cls, config, index, codebook, bias=None, relu=True, *, name="layer"):
        """A float shared-weight layer → fixed point for ``config``.

        ``codebook`` holds float centroids with ``codebook[0] == 0`` (the reserved zero); a
        codebook shorter than ``config.codebook_size`` (fewer bits) is padded with unused zeros.
        It goes to fixed point with the largest ``w_frac`` at which every centroid in use fits
        (:func:`~eie_hw.fixedpoint.choose_frac_bits`); the bias (zeros if ``None``) to the
        activation format. NaN/Inf, a non-zero ``codebook[0]`` or too many centroids raise
        :class:`ImageError` naming ``name``.
        """
        codebook = np.asarray(codebook, dtype=np.float64).ravel()
        index = np.asarray(index, dtype=np.int64)
        if len(codebook) > config.codebook_size:
            raise ImageError(f"{name}: a {len(codebook)}-entry codebook does not fit the "
                             f"configuration's {config.codebook_size} entries "
                             f"(weight_index_bits={config.weight_index_bits})")
        if not np.all(np.isfinite(codebook)):
            raise ImageError(f"{name}: codebook contains NaN or infinite values")
        if codebook[0] != 0:
            raise ImageError(f"{name}: codebook[0] must be 0, not {codebook[0]!r}")
        if index.ndim != 2 or (index.size and index.max() >= len(codebook)):
            raise ImageError(f"{name}: index must be 2-D with values below the codebook's "
                             f"{len(codebook)} entries")
        bias = np.zeros(index.shape[0]) if bias is None else np.asarray(bias, np.float64)
        if not np.all(np.isfinite(bias)):
            raise ImageError(f"{name}: bias contains NaN or infinite values")
        padded = np.zeros(config.codebook_size)
        padded[:len(codebook)] = codebook
        used = padded[np.unique(index)] if index.size else padded[:1]
        w_frac = choose_frac_bits(used, config.weight_width, what=f"{name}: centroids")
        return cls(index.copy(), to_fixed(padded, config.weight_width, w_frac),
                   int(w_frac), act_to_fixed(config, bias, what=f"{name}: bias"), bool(relu))

    @classmethod
    def from_float(cls, config, weights, centroids, bias=None, relu=True, *, name="layer"):
        """Quantize a float layer onto float ``centroids`` (at most ``codebook_size - 1``
        non-zero values; they become indices ``1…``): every non-zero weight takes the nearest
        centroid, zero weights stay index 0; then as :meth:`from_codebook`."""
        weights = np.asarray(weights, dtype=np.float64)
        centroids = np.asarray(centroids, dtype=np.float64).ravel()
        if weights.ndim != 2:
            raise ImageError(f"{name}: weights must be 2-D, not shape {weights.shape}")
        if not np.all(np.isfinite(weights)):
            raise ImageError(f"{name}: weights contain NaN or infinite values")
        if not 1 <= len(centroids) <= config.codebook_size - 1:
            raise ImageError(f"{name}: {len(centroids)} centroids; a codebook holds 1…"
                             f"{config.codebook_size - 1} besides the reserved zero")
        nearest = np.abs(weights[..., None] - centroids).argmin(axis=-1) + 1
        index = np.where(weights != 0, nearest, 0)
        return cls.from_codebook(config, index, np.concatenate([[0.0], centroids]), bias, relu,
                                 name=name)

    @property
    def n_out(self):
        return self.index.shape[0]

    @property
    def n_in(self):
        return self.index.shape[1]

    def weights_fixed(self):
        """The dense weight matrix in codebook fixed point (``int64``)."""
        return np.asarray(self.codebook, dtype=np.int64)[self.index]

    def validate(self, config, name="layer"):
        """Raise :class:`ImageError` naming ``name`` if the layer does not fit ``config``."""
        index = np.asarray(self.index)
        if index.ndim != 2 or 0 in index.shape:
            raise ImageError(f"{name}: index must be a non-empty 2-D array, not shape "
                             f"{index.shape}")
        if not np.issubdtype(index.dtype, np.integer):
            raise ImageError(f"{name}: index must hold integers, not {index.dtype}")
        if index.min() < 0 or index.max() >= config.codebook_size:
            raise ImageError(f"{name}: codebook index out of range 0…{config.codebook_size - 1}")
        codebook = np.asarray(self.codebook)
        if codebook.shape != (config.codebook_size,) or not np.issubdtype(codebook.dtype,
                                                                           np.integer):
            raise ImageError(f"{name}: codebook must be {config.codebook_size} integers, not "
                             f"{codebook.dtype} of shape {codebook.shape}")
        if codebook[0] != 0:
            raise ImageError(f"{name}: codebook[0] must be 0 (the padding value), not "
                             f"{codebook[0]}")
        if codebook.min() < config.weight_min or codebook.max() > config.weight_max:
            raise ImageError(f"{name}: codebook value outside the {config.weight_width}-bit range")
        if isinstance(self.w_frac, bool) or not isinstance(self.w_frac, (int, np.integer)) \
                or not 0 <= self.w_frac < config.weight_width:
            raise ImageError(f"{name}: w_frac must be an integer in 0…{config.weight_width - 1}, "
                             f"not {self.w_frac!r}")
        bias = np.asarray(self.bias)
        if bias.shape != (self.n_out,) or not np.issubdtype(bias.dtype, np.integer):
            raise ImageError(f"{name}: bias must be {self.n_out} integers, not {bias.dtype} of "
                             f"shape {bias.shape}")
        if bias.size and (bias.min() < config.act_min or bias.max() > config.act_max):
            raise ImageError(f"{name}: bias outside the {config.act_width}-bit activation range")
        if self.n_in > config.max_layer_inputs:
            raise ImageError(f"{name}: {self.n_in} inputs exceed the {config.max_layer_inputs} "
                             f"that {config.n_pes} PEs × act_depth {config.act_depth} hold")
        if self.n_out > config.max_layer_outputs:
            raise ImageError(f"{name}: {self.n_out} outputs exceed the "
                             f"{config.max_layer_outputs} that {config.n_pes} PEs × act_depth "
                             f"{config.act_depth} hold")
