"""The EIE image: layer layout over the PEs, network images and the ``.eie`` file format.

Light on purpose (NumPy only): the compressor writes it; the models, the host session, the
verification, the boards and the Python API read it.
"""

from .fileformat import load_image, save_image
from .layer import ImageError, QuantizedLayer
from .layout import EncodedLayer, decode_layer, encode_layer
from .network import EIEImage, encode_network

__all__ = ["ImageError", "QuantizedLayer", "EncodedLayer", "encode_layer", "decode_layer",
           "EIEImage", "encode_network", "save_image", "load_image"]
