"""The host protocol of :class:`eie_hw.rtl.top.EIETop`, defined once (see docs/protocol.md).

The host talks to the array through three streams and a few status outputs, together the host
port (:class:`HostSignature`):

* ``write`` (in): words ``(space, pe, addr, data)``. ``space`` selects a memory of PE ``pe``
  (:class:`Space`), the layer table (``Space.LAYER``, ``pe`` ignored) or a command
  (``Space.START``: run ``data`` layers).
* ``read_req`` (in): ``(pe, addr)``: read activation ``addr`` of PE ``pe`` from the result bank.
* ``read_data`` (out): the activations asked for, in request order.
* ``busy``, ``done``, ``error`` (:data:`STATUS_LAYOUT`), ``cycles``, ``broadcasts``, ``stalls``
  and the action counters (:data:`COUNTED_ACTIONS`).

Every layout and width of the protocol is defined here and derived from
:class:`~eie_hw.config.EIEConfig`: the memory map (:func:`memory_map`), the word layouts, the
``START`` count (:data:`START_COUNT_BITS`), the status flags and the error bits. The Python
helpers (:func:`pack`, :func:`unpack`, :func:`pack_layer_entry`) turn field values into the
integers a testbench or a board driver puts on the streams, and back.
"""

import functools
from dataclasses import dataclass

from amaranth import signed
from amaranth.lib import data, enum, stream, wiring
from amaranth.lib.wiring import In, Out
from amaranth.utils import ceil_log2

from .timing import CONTROL_LATENCY, INIT_LATENCY, WRITEBACK_LATENCY

__all__ = ["Space", "ERROR_N_LAYERS", "ERROR_LAYER_TABLE", "ERROR_BITS", "START_COUNT_BITS",
           "STATUS_LAYOUT", "CYCLE_COUNTER_BITS", "COUNTED_ACTIONS", "Region", "memory_map",
           "pe_bits", "column_bits", "layer_layout", "write_layout", "read_req_layout",
           "control_layout", "event_bounds", "event_layout", "data_bits", "addr_bits", "pack",
           "unpack", "pack_layer_entry", "HostSignature"]

#: Width of the cycle counter of a job (and of the other performance counters).
CYCLE_COUNTER_BITS = 32

#: The actions the RTL counts over a job, array-wide, as status outputs of the same names
#: (``CYCLE_COUNTER_BITS`` wide, cleared at ``START`` like ``cycles``). Each is named, and
#: defined, as in ``sim.models.actions.PE_ACTIONS``; the counter is that count summed over the
#: PEs and the job's layers (docs/energy.md, "The RTL's counters").
COUNTED_ACTIONS = ("spmat_word_reads", "pointer_reads", "multiplies", "acc_writes")

#: ``error`` bit: ``START`` with 0 or more than ``max_layers`` layers.
ERROR_N_LAYERS = 1
#: ``error`` bit: a layer-table entry does not fit the configuration.
ERROR_LAYER_TABLE = 2
#: Width of ``error``: one bit per flag above.
ERROR_BITS = (ERROR_N_LAYERS | ERROR_LAYER_TABLE).bit_length()

#: Width of the layer count a ``START`` word carries to the CCU; a ``data`` field with higher
#: bits set counts as the largest value (and is refused, as any count above ``max_layers``).
START_COUNT_BITS = 16

#: The job status flags, in this bit order wherever they are packed (the board link's
#: ``STATUS`` response carries them in one byte).
STATUS_LAYOUT = data.StructLayout({"busy": 1, "done": 1, "error": ERROR_BITS})


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


@dataclass(frozen=True)
class Region:
    """A writable space of the memory map: a word to it needs ``addr < depth`` and
    ``data < 2 ** data_bits``."""

    depth: int
    data_bits: int


@functools.cache
def memory_map(config):
    """``{Space: Region}`` of every space a ``write`` word may address (all but ``START``):
    the one definition of the host-visible memories' depths and word widths."""
    return {
        Space.PTR_EVEN: Region(config.ptr_depth // 2, config.ptr_width),
        Space.PTR_ODD: Region(config.ptr_depth // 2, config.ptr_width),
        Space.SPMAT: Region(config.spmat_depth, config.spmat_word_bits),
        Space.CODEBOOK: Region(config.max_layers * config.codebook_size, config.weight_width),
        Space.BIAS: Region(config.bias_depth, config.act_width),
        Space.ACT: Region(config.act_depth, config.act_width),
        Space.LAYER: Region(config.max_layers, layer_layout(config).size),
    }


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
    """Width of the ``addr`` field: enough for the deepest region of the memory map."""
    return max(1, max(ceil_log2(r.depth) for r in memory_map(config).values()))


def data_bits(config):
    """Width of the ``data`` field: the widest memory word, table entry or ``START`` count."""
    return max(*(r.data_bits for r in memory_map(config).values()), _bits(config.max_layers))


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
    """What the CCU tells every PE each cycle (internal; not part of the host protocol).
    Each PE registers it before use (``CONTROL_LATENCY``)."""
    lay = layer_layout(config)
    k = config.broadcast_width
    return data.StructLayout({
        "init": 1,                       # bias loading: INIT, or WRITEBACK with a next layer
        "compute": 1,                    # COMPUTE phase
        "wb": 1,                         # WRITEBACK phase
        # row counter of INIT / WRITEBACK (it runs past the last row while pipelines drain)
        "r": _bits(config.act_depth + CONTROL_LATENCY + max(INIT_LATENCY, WRITEBACK_LATENCY)),
        "rows": lay["rows"].shape,       # the running layer's ...
        "w_frac": lay["w_frac"].shape,
        "relu": 1,
        "init_rows": lay["rows"].shape,  # the layer whose biases are being loaded
        "init_bias_base": lay["bias_base"].shape,
        "init_w_frac": lay["w_frac"].shape,
        "layer": max(1, ceil_log2(config.max_layers)),
        # The slot scan (eie_hw/rtl/slot_scan.py): every source bank reads slot scan_slot in
        # every cycle of COMPUTE.
        "scan_slot": _bits(config.act_depth),
        # The winner register: the pushes decided in the previous cycle (the PEs count them).
        "pushed": range(k + 1),
        # The broadcast register's next value (each PE's copy of it is the register), one
        # lane per column broadcast in a cycle (``broadcast_width``; the lanes in use are
        # the lowest, lane 0 the lowest PE of the slot): column ``j`` and its value; every PE
        # reads its pointers at pointer address ``a = ptr_base + j`` (even bank row
        # ``(a + 1) // 2``, odd bank row ``a // 2``; ``odd`` is ``a % 2``). ``bcast_value``
        # follows the rest one cycle late (BROADCAST_VALUE_LAG): the previous cycle's values.
        "bcast": k,
        "bcast_value": data.ArrayLayout(signed(config.act_width), k),
        "bcast_even_row": data.ArrayLayout(_bits(config.ptr_depth // 2 - 1), k),
        "bcast_odd_row": data.ArrayLayout(_bits(config.ptr_depth // 2 - 1), k),
        "bcast_odd": k,
    })


def event_bounds(config):
    """The most events of each of :data:`COUNTED_ACTIONS` one PE has in a cycle: one, but
    ``broadcast_width`` pointer reads (one per lane)."""
    return {name: config.broadcast_width if name == "pointer_reads" else 1
            for name in COUNTED_ACTIONS}


def event_layout(config):
    """One PE's event counts of a cycle, one field per :data:`COUNTED_ACTIONS` wide enough for
    :func:`event_bounds` (internal; not part of the host protocol): the PE registers them,
    the array adds them up (``eie_hw/rtl/counters.py``)."""
    return data.StructLayout({name: range(most + 1)
                              for name, most in event_bounds(config).items()})


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


def unpack(layout, value):
    """The field values (non-negative integers) of ``value`` packed by :func:`pack`."""
    value = int(value)
    if not 0 <= value < (1 << layout.size):
        raise ValueError(f"value {value} does not fit the layout's {layout.size} bits")
    return {name: (value >> offset) & ((1 << width) - 1)
            for name, offset, width in _fields(layout)}


def pack_layer_entry(config, *, n_in, rows, ptr_base, bias_base, w_frac, relu):
    """The ``data`` of a ``Space.LAYER`` word."""
    return pack(layer_layout(config), n_in=n_in, rows=rows, ptr_base=ptr_base,
                bias_base=bias_base, w_frac=w_frac, relu=int(bool(relu)))


class HostSignature(wiring.Signature):
    """The host port of an EIE array, seen from the host (the side that loads, starts and reads).

    :class:`eie_hw.rtl.top.EIETop` has it as ``host: In(HostSignature(config))``; whatever
    drives the array (the board's frame engine, a testbench) has it as
    ``Out(HostSignature(config))``, and one ``wiring.connect`` joins the two.

    Parameters
    ----------
    config : EIEConfig

    Members
    -------
    write : Out(stream.Signature(write_layout(config)))
        Memory and layer-table words and the ``START`` command (:class:`Space`). Not ready
        while a job runs.
    read_req : Out(stream.Signature(read_req_layout(config)))
        Requests for activations of the result bank. Not ready while a job runs.
    read_data : In(stream.Signature(signed(config.act_width)))
        The activations asked for, in request order.
    busy, done : In(1)
        A job runs; the last job has ended (high from its end to the next ``START``).
    error : In(ERROR_BITS)
        The last job's error flags (:data:`ERROR_N_LAYERS`, :data:`ERROR_LAYER_TABLE`).
    cycles, broadcasts, stalls : In(CYCLE_COUNTER_BITS)
        The last job's cycle count, activations broadcast, and cycles the broadcast waited for
        a full queue.
    spmat_word_reads, pointer_reads, multiplies, acc_writes : In(CYCLE_COUNTER_BITS)
        The last job's action counts over every PE (:data:`COUNTED_ACTIONS`).
    """

    def __init__(self, config):
        self._config = config
        super().__init__({
            "write": Out(stream.Signature(write_layout(config))),
            "read_req": Out(stream.Signature(read_req_layout(config))),
            "read_data": In(stream.Signature(signed(config.act_width))),
            "busy": In(1),
            "done": In(1),
            "error": In(ERROR_BITS),
            "cycles": In(CYCLE_COUNTER_BITS),
            "broadcasts": In(CYCLE_COUNTER_BITS),
            "stalls": In(CYCLE_COUNTER_BITS),
            **{name: In(CYCLE_COUNTER_BITS) for name in COUNTED_ACTIONS},
        })

    @property
    def config(self):
        return self._config

    def __eq__(self, other):
        return type(other) is type(self) and other.config == self.config

    def __hash__(self):
        return hash((type(self), self.config))

    def __repr__(self):
        return f"HostSignature({self._config!r})"
