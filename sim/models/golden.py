"""The bit-exact functional model of EIE: the oracle for every other part of the project.

It implements the arithmetic contract of docs/arithmetic.md on an :class:`EIEImage`:
for each layer, accumulators start at ``bias << w_frac``; non-zero input activations are taken
and every stored weight of the column adds ``codebook[index] * activation`` (exactly: the
configuration's ``acc_width`` cannot overflow, so order does not matter); write-back rounds
(``round_shift`` by ``w_frac``), saturates to ``act_width`` bits and applies ReLU if the layer
asks. Layer outputs feed the next layer in physical order.
"""

import numpy as np

from eie_hw.fixedpoint import act_to_fixed, check_act_fixed, round_shift, saturate
from eie_hw.image.layout import decode_layer

__all__ = ["GoldenModel"]


class GoldenModel:
    """Run fixed-point inputs through an image, bit-exactly.

    Parameters
    ----------
    image : EIEImage
    """

    def __init__(self, image):
        self._image = image
        self._config = image.config
        self._layers = [decode_layer(image.config, enc, name=f"layer {l}")
                        for l, enc in enumerate(image.layers)]
        self._weights = [layer.weights_fixed() for layer in self._layers]

    @property
    def image(self):
        return self._image

    def _check_input(self, x):
        x = check_act_fixed(self._config, x)
        if x.shape[-1] != self._image.n_inputs or x.ndim not in (1, 2):
            raise ValueError(f"inputs must have shape ({self._image.n_inputs},) or "
                             f"(batch, {self._image.n_inputs}), not {x.shape}")
        return x

    def layer_outputs(self, x):
        """Physical-order activations after every layer: a list of arrays, one per layer
        (``x`` of shape ``(n_in,)`` or ``(batch, n_in)``)."""
        x = self._check_input(x)
        single = x.ndim == 1
        acts = np.atleast_2d(x)
        outputs = []
        for layer, weights in zip(self._layers, self._weights, strict=True):
            acts = self._run_layer(layer, weights, acts)
            outputs.append(acts[0] if single else acts)
        return outputs

    def run(self, x):
        """Outputs of the whole network in original row order."""
        return self._image.restore_outputs(self.layer_outputs(x)[-1])

    def predict(self, x):
        """Class predictions (arg-max output) for float inputs ``x`` ``(batch, n_in)``,
        converted to the activation format with :func:`~eie_hw.fixedpoint.act_to_fixed`."""
        x = np.asarray(x, dtype=np.float64)
        return self.run(act_to_fixed(self._config, x, what="golden-model inputs")).argmax(axis=-1)

    def accuracy(self, x, y):
        """Top-1 accuracy on float inputs ``x`` and integer labels ``y``."""
        return float(np.mean(self.predict(x) == np.asarray(y)))

    def _run_layer(self, layer, weights, acts):
        cfg = self._config
        acc = acts @ weights.T + (np.asarray(layer.bias, dtype=np.int64) << layer.w_frac)
        out = saturate(round_shift(acc, layer.w_frac), cfg.act_width)
        return np.maximum(out, 0) if layer.relu else out
