"""Compressed PyTorch network → fixed-point EIE image (``.eie``), its Deep Compression storage
form (``.eiz``, :mod:`compress.storage`), accounting and plots.

:func:`export_model` takes a model whose fully connected layers are
:class:`~compress.quantize.SharedLinear` (run :func:`~compress.quantize.quantize_model` first),
refuses anything EIE cannot run (:func:`~compress.model.linear_chain`), converts codebooks and
biases to the configuration's fixed point, encodes and writes the image. Everything that can
fail (unsupported layers, NaN, codebooks larger than the configuration, layers or images that
do not fit) fails *before* the image is written, and a failure after it removes the written
files again, so a failed export leaves no partial image behind.

The bit-exact accuracy of an exported image is :meth:`sim.models.golden.GoldenModel.accuracy`.
"""

from pathlib import Path

import numpy as np

from eie_hw.image import ImageError, QuantizedLayer, encode_network, save_image

from .accounting import image_accounting
from .model import linear_chain
from .plots import plot_sparsity, plot_weight_distributions
from .quantize import SharedLinear
from .storage import SUFFIX, save_compressed

__all__ = ["quantized_layers", "export_model"]


def quantized_layers(config, model):
    """``(names, [QuantizedLayer])`` of ``model`` in fixed point for ``config``."""
    names, layers = [], []
    for l, layer in enumerate(linear_chain(model)):
        label = f"layer {l} ({layer.name!r})"
        module = layer.module
        if not isinstance(module, SharedLinear):
            raise TypeError(f"{label} is a plain {type(module).__name__}; quantize the model "
                            f"(compress.quantize.quantize_model) before exporting")
        codebook = module.codebook().detach().cpu().numpy().astype(np.float64)
        if not np.all(np.isfinite(codebook)):
            raise ValueError(f"{label}: codebook contains NaN or infinite values")
        bias = None if module.bias is None else module.bias.detach().cpu().numpy()
        q = QuantizedLayer.from_codebook(config, module.index.cpu().numpy(), codebook, bias,
                                         layer.relu, name=label)
        q.validate(config, label)
        names.append(layer.name)
        layers.append(q)
    return names, layers


def export_model(model, config, out_dir, *, stem="model", float_weights=None, plots=True,
                 balance=False):
    """Write ``out_dir/<stem>.eie``, ``out_dir/<stem>.eiz`` (and plots) for ``model``; return a
    result dictionary.

    ``float_weights`` (``{layer name: array}``, optional) are the pruned float weights before
    sharing, drawn under the centroids in the weight-distribution plot. ``balance`` assigns
    rows to PEs with the image's load-balanced order instead of ``i mod N``. The result holds
    ``image`` (the :class:`EIEImage`), ``image_path``, ``image_bytes``, ``compressed_path``,
    ``compressed_bytes`` (the ``.eiz`` file), ``names``, ``accounting``
    (:func:`~compress.accounting.image_accounting`) and ``plots``.
    """
    names, layers = quantized_layers(config, model)
    try:
        image = encode_network(config, layers, "balanced" if balance else None)
    except ImageError as e:
        raise ImageError(f"the network ({', '.join(repr(n) for n in names)}) does not fit the "
                         f"configuration: {e}") from e
    accounting = image_accounting(image, names)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}.eie"
    size = save_image(image, path)
    compressed_path = path.with_suffix(SUFFIX)
    try:
        compressed_size = save_compressed(image, compressed_path)
        figures = {}
        if plots:
            chain = {c.name: c.module for c in linear_chain(model)}
            dists = []
            for name in names:
                module = chain[name]
                w = (float_weights or {}).get(name)
                w = module.weight.detach().cpu().numpy() if w is None else np.asarray(w)
                dists.append((name, w, module.centroids.detach().cpu().numpy()))
            figures["weights"] = str(plot_weight_distributions(dists,
                                                               out_dir / "weights.png"))
            figures["sparsity"] = str(plot_sparsity(
                names, [a["density"] for a in accounting["layers"]], out_dir / "sparsity.png"))
    except BaseException:
        path.unlink(missing_ok=True)
        compressed_path.unlink(missing_ok=True)
        raise
    return {"image": image, "image_path": path, "image_bytes": size,
            "compressed_path": compressed_path, "compressed_bytes": compressed_size,
            "names": names, "layers": layers, "accounting": accounting, "plots": figures}
