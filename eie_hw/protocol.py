"""The host protocol of :class:`eie_hw.rtl.top.EIETop`, defined once (see docs/protocol.md).

The host talks to the array through three streams:

* ``write`` (in): words ``(space, pe, addr, data)``. ``space`` selects a memory of PE ``pe``
  (:class:`Space`), the layer table (``Space.LAYER``, ``pe`` ignored) or a command
  (``Space.START``: run ``data`` layers).
* ``read_req`` (in): ``(pe, addr)``: read activation ``addr`` of PE ``pe`` from the result bank.
* ``read_data`` (out): the activations asked for, in request order.

Every width below is derived from :class:`~eie_hw.config.EIEConfig`. The Python helpers
(:func:`pack`, :func:`pack_layer_entry`) turn field values into the integers a testbench or a
board driver puts on the streams.
"""

import functools

from amaranth import signed
from amaranth.lib import data, enum
from amaranth.utils import ceil_log2

from .timing import INIT_LATENCY, WRITEBACK_LATENCY

__all__ = ["Space", "ERROR_N_LAYERS", "ERROR_LAYER_TABLE", "pe_bits", "column_bits",
           "layer_layout", "write_layout", "read_req_layout", "control_layout",
           "data_bits", "addr_bits", "pack", "pack_layer_entry", "CYCLE_COUNTER_BITS"]

#: Width of the cycle counter of a job.
CYCLE_COUNTER_BITS = 32

#: ``error`` bit: ``START`` with 0 or more than ``max_layers`` layers.
ERROR_N_LAYERS = 1
#: ``error`` bit: a layer-table entry does not fit the configuration.
ERROR_LAYER_TABLE = 2


class Space(enum.Enum, shape=3):
    """Target of a ``write`` word."""

    PTR_EVEN = 0   #: even column-pointer bank, row ``addr``
    PTR_ODD = 1    #: odd column-pointer bank, row ``addr``
    SPMAT = 2      #: sparse-matrix word ``addr``
    CODEBOOK = 3   #: codebook entry ``addr`` (= layer * codebook_size + index)
    BIAS = 4       #: bias word ``addr``
    ACT = 5        #: input activation bank 0, slot ``addr``
    LAYER = 6      #: layer-table entry ``addr`` (data = :func:`pack_layer_entry`)
    START = 7      #: run layers ``0 … data - 1`` of the layer table


def _bits(n):
    """Bits for the values ``0 … n`` (at least one)."""
    return max(1, n.bit_length())


def pe_bits(config):
    return max(1, ceil_log2(config.n_pes))


def column_bits(config):
    """Width of a global column index (``< n_pes * act_depth``)."""
    return _bits(config.n_pes * config.act_depth - 1)


@functools.cache
def layer_layout(config):
    """One layer-table entry. ``n_in`` inputs, ``rows`` = ``ceil(n_out / n_pes)``, the
    layer's first pointer address and bias address, its ``w_frac`` and ReLU flag."""
    return data.StructLayout({
        "n_in": _bits(config.n_pes * config.act_depth),
        "rows": _bits(config.act_depth),
        "ptr_base": _bits(config.ptr_depth),
        "bias_base": _bits(config.bias_depth),
        "w_frac": _bits(config.weight_width - 1),
        "relu": 1,
    })


def addr_bits(config):
    """Width of the ``addr`` field: enough for the deepest memory."""
    depths = [config.ptr_depth // 2, config.spmat_depth, config.max_layers * config.codebook_size,
              config.bias_depth, config.act_depth, config.max_layers]
    return max(1, max(ceil_log2(d) for d in depths))


def data_bits(config):
    """Width of the ``data`` field: the widest memory word, table entry or command."""
    return max(config.spmat_word_bits, config.ptr_width, config.act_width, config.weight_width,
               layer_layout(config).size, _bits(config.max_layers))


@functools.cache
def write_layout(config):
    return data.StructLayout({
        "space": Space,
        "pe": pe_bits(config),
        "addr": addr_bits(config),
        "data": data_bits(config),
    })


@functools.cache
def read_req_layout(config):
    return data.StructLayout({
        "pe": pe_bits(config),
        "addr": addr_bits(config),
    })


@functools.cache
def control_layout(config):
    """What the CCU tells every PE each cycle (internal; not part of the host protocol)."""
    lay = layer_layout(config)
    return data.StructLayout({
        "init": 1,                       # bias loading: INIT, or WRITEBACK with a next layer
        "compute": 1,                    # COMPUTE phase
        "wb": 1,                         # WRITEBACK phase
        # row counter of INIT / WRITEBACK (it runs past the last row while pipelines drain)
        "r": _bits(config.act_depth + max(INIT_LATENCY, WRITEBACK_LATENCY)),
        "rows": lay["rows"].shape,       # the running layer's ...
        "ptr_base": lay["ptr_base"].shape,
        "w_frac": lay["w_frac"].shape,
        "relu": 1,
        "init_rows": lay["rows"].shape,  # the layer whose biases are being loaded
        "init_bias_base": lay["bias_base"].shape,
        "init_w_frac": lay["w_frac"].shape,
        "layer": max(1, ceil_log2(config.max_layers)),
        "scan_en": 1,                    # read slot scan_slot of the source bank
        "scan_slot": _bits(config.act_depth),
        "push": 1,                       # broadcast (push_value, push_column) to every queue
        "push_value": signed(config.act_width),
        "push_column": column_bits(config),
    })


@functools.cache
def _fields(layout):
    return tuple((name, field.offset, field.width) for name, field in layout)


def pack(layout, **fields):
    """The integer whose bits hold ``fields`` at their places in ``layout``."""
    value = 0
    for name, offset, width in _fields(layout):
        v = fields.pop(name, 0)
        v = v.value if isinstance(v, enum.Enum) else int(v)
        if not -(1 << width) < v < (1 << width):
            raise ValueError(f"field {name}={v} does not fit {width} bits")
        value |= (v & ((1 << width) - 1)) << offset
    if fields:
        raise ValueError(f"unknown field(s) {', '.join(fields)}")
    return value


def pack_layer_entry(config, *, n_in, rows, ptr_base, bias_base, w_frac, relu):
    """The ``data`` of a ``Space.LAYER`` word."""
    return pack(layer_layout(config), n_in=n_in, rows=rows, ptr_base=ptr_base,
                bias_base=bias_base, w_frac=w_frac, relu=int(bool(relu)))
