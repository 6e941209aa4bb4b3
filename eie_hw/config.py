"""The one configuration of an EIE instance.

Every width, depth and count used by the compressor, the golden and cycle models, the RTL, the
testbenches and the board builds is a field or a derived property of :class:`EIEConfig`. Nothing
else in the project declares a width.
"""

from dataclasses import asdict, dataclass, fields

__all__ = ["BROADCAST_WIDTHS", "EIEConfig"]

#: The broadcast widths the array is built for (non-zero activations broadcast per cycle).
BROADCAST_WIDTHS = (1, 2, 4)


def _check_int(name, value, lo, hi=None):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"EIEConfig.{name} must be an integer, not {value!r}")
    if value < lo or (hi is not None and value > hi):
        bounds = f"at least {lo}" if hi is None else f"between {lo} and {hi}"
        raise ValueError(f"EIEConfig.{name} must be {bounds}, not {value!r}")


def _check_pow2(name, value):
    if value & (value - 1):
        raise ValueError(f"EIEConfig.{name} must be a power of two, not {value!r}")


@dataclass(frozen=True)
class EIEConfig:
    """Parameters of one EIE PE array (defaults: the paper's 64-PE chip).

    Parameters
    ----------
    n_pes : int
        Number of processing elements, a power of two in 1…256. Output row ``i`` of a layer
        is held by PE ``i mod n_pes`` (unless the image carries another row assignment), input
        activation ``j`` by PE ``j mod n_pes``.
    fifo_depth : int
        Depth of each PE's activation queue (paper: 8). The broadcast stalls while any queue
        holds ``fifo_depth`` entries.
    broadcast_width : int
        Non-zero activations the CCU broadcasts per cycle, ``k`` in 1, 2 or 4 (paper: 1): the
        LNZD picks up to ``k`` of the current slot and every PE's queue takes up to ``k`` per
        cycle (docs/microarchitecture.md). At most ``n_pes``; ``fifo_depth`` must be a
        multiple of it (the queue is ``k`` interleaved banks).
    weight_index_bits : int
        Width of the virtual-weight index of a sparse entry (paper: 4). The codebook has
        ``2 ** weight_index_bits`` entries; entry 0 is reserved for the value 0 (padding).
    rel_index_bits : int
        Width of the relative row index (count of zeros before an entry; paper: 4). A padding
        entry is inserted when more than ``2 ** rel_index_bits - 1`` zeros precede a non-zero.
    act_width, act_frac_bits : int
        Signed fixed-point format of activations, inputs, outputs and biases (paper: 16 bits).
    weight_width, weight_frac_bits : int
        Signed fixed-point format of codebook values. ``weight_frac_bits`` is the default
        scaling; each layer of an image may choose its own in ``0 … weight_width - 1``.
    acc_width : int or None
        Signed width of the row accumulators. It must be at least :attr:`min_acc_width`, the
        width at which no sum of ``max_layer_inputs`` products and a bias can overflow, so
        accumulation is exact and independent of order; ``None`` (default) takes that width.
    spmat_word_bits : int
        Width of a sparse-matrix memory word (paper: 64 bits = 8 entries).
    ptr_width : int
        Width of a column pointer (paper: 16 bits); pointers address entries.
    act_depth : int
        Activations per PE in each of the two (source/destination) activation memories.
        A layer may have at most ``n_pes * act_depth`` inputs and outputs.
    spmat_depth : int
        Words of sparse-matrix memory per PE (all layers of an image together).
    ptr_depth : int
        Column pointers per PE over both banks (all layers together; a layer with ``n`` inputs
        uses ``n + 1``). Each of the even/odd banks holds ``ptr_depth // 2``.
    bias_depth : int
        Bias words per PE (all layers together; a layer uses ``ceil(n_out / n_pes)``).
    max_layers : int
        Layers an image may hold (depth of the layer table and of the codebook memory in
        units of one codebook).
    """

    n_pes: int = 64
    fifo_depth: int = 8
    broadcast_width: int = 1
    weight_index_bits: int = 4
    rel_index_bits: int = 4
    act_width: int = 16
    act_frac_bits: int = 8
    weight_width: int = 16
    weight_frac_bits: int = 12
    acc_width: int | None = None
    spmat_word_bits: int = 64
    ptr_width: int = 16
    act_depth: int = 512
    spmat_depth: int = 8192
    ptr_depth: int = 16384
    bias_depth: int = 1024
    max_layers: int = 16

    def __post_init__(self):
        _check_int("n_pes", self.n_pes, 1, 256)
        _check_pow2("n_pes", self.n_pes)
        _check_int("fifo_depth", self.fifo_depth, 1, 1024)
        _check_int("broadcast_width", self.broadcast_width, 1, 4)
        if self.broadcast_width not in BROADCAST_WIDTHS:
            raise ValueError(f"EIEConfig.broadcast_width must be one of "
                             f"{', '.join(map(str, BROADCAST_WIDTHS))}, not "
                             f"{self.broadcast_width!r}")
        if self.broadcast_width > self.n_pes:
            raise ValueError(f"EIEConfig.broadcast_width {self.broadcast_width} exceeds n_pes "
                             f"{self.n_pes} (a slot holds n_pes activations)")
        if self.fifo_depth % self.broadcast_width:
            raise ValueError(f"EIEConfig.fifo_depth {self.fifo_depth} must be a multiple of "
                             f"broadcast_width {self.broadcast_width}")
        _check_int("weight_index_bits", self.weight_index_bits, 1, 8)
        _check_int("rel_index_bits", self.rel_index_bits, 1, 8)
        _check_int("act_width", self.act_width, 2, 32)
        _check_int("act_frac_bits", self.act_frac_bits, 0, self.act_width - 1)
        _check_int("weight_width", self.weight_width, 2, 32)
        _check_int("weight_frac_bits", self.weight_frac_bits, 0, self.weight_width - 1)
        _check_int("spmat_word_bits", self.spmat_word_bits, self.entry_bits, 1024)
        if self.spmat_word_bits % self.entry_bits:
            raise ValueError(
                f"EIEConfig.spmat_word_bits must be a multiple of the entry width "
                f"{self.entry_bits}, not {self.spmat_word_bits!r}")
        _check_pow2("spmat_word_bits // entry_bits", self.entries_per_word)
        _check_int("ptr_width", self.ptr_width, 2, 32)
        _check_int("act_depth", self.act_depth, 1)
        _check_int("spmat_depth", self.spmat_depth, 1)
        _check_int("ptr_depth", self.ptr_depth, 2)
        if self.ptr_depth % 2:
            raise ValueError(
                f"EIEConfig.ptr_depth must be even (two banks), not {self.ptr_depth!r}")
        _check_int("bias_depth", self.bias_depth, 1)
        _check_int("max_layers", self.max_layers, 1, 1024)
        if self.acc_width is None:
            object.__setattr__(self, "acc_width", self.min_acc_width)
        _check_int("acc_width", self.acc_width, self.min_acc_width, 64)
        if self.spmat_depth * self.entries_per_word > 2 ** self.ptr_width:
            raise ValueError(
                f"EIEConfig.spmat_depth of {self.spmat_depth} words holds more entries than "
                f"{self.ptr_width}-bit pointers address; at most "
                f"{2 ** self.ptr_width // self.entries_per_word} words")

    # Derived quantities: the only place they are computed.

    @property
    def codebook_size(self):
        """Entries of a codebook (index 0 is the reserved zero)."""
        return 2 ** self.weight_index_bits

    @property
    def max_zero_run(self):
        """Largest count of zeros one entry's relative index can express (paper: 15)."""
        return 2 ** self.rel_index_bits - 1

    @property
    def entry_bits(self):
        """Width of one sparse entry: weight index + relative row index (paper: 8)."""
        return self.weight_index_bits + self.rel_index_bits

    @property
    def entries_per_word(self):
        """Entries packed in one sparse-matrix memory word (paper: 8)."""
        return self.spmat_word_bits // self.entry_bits

    @property
    def max_entries_per_pe(self):
        """Entries (with padding) one PE can hold over all layers; the end pointer of the
        last column must be representable in ``ptr_width`` bits."""
        return min(self.spmat_depth * self.entries_per_word, 2 ** self.ptr_width - 1)

    @property
    def max_layer_inputs(self):
        """Largest input length of a layer."""
        return self.n_pes * self.act_depth

    @property
    def max_layer_outputs(self):
        """Largest output length of a layer."""
        return self.n_pes * self.act_depth

    @property
    def act_min(self):
        return -(2 ** (self.act_width - 1))

    @property
    def act_max(self):
        return 2 ** (self.act_width - 1) - 1

    @property
    def weight_min(self):
        return -(2 ** (self.weight_width - 1))

    @property
    def weight_max(self):
        return 2 ** (self.weight_width - 1) - 1

    @property
    def acc_min(self):
        return -(2 ** (self.acc_width - 1))

    @property
    def acc_max(self):
        return 2 ** (self.acc_width - 1) - 1

    @property
    def min_acc_width(self):
        """Smallest accumulator width that cannot overflow: ``|bias << w_frac|`` and each of up
        to ``max_layer_inputs`` products are at most ``2 ** (product_width - 2)``."""
        return self.product_width + self.max_layer_inputs.bit_length()

    @property
    def product_width(self):
        """Signed width of one codebook value × activation product."""
        return self.act_width + self.weight_width

    def replace(self, **changes):
        """A copy with some fields changed (validated like a new configuration). The
        accumulator width is derived anew unless ``acc_width`` is among the changes."""
        return EIEConfig(**{**asdict(self), "acc_width": None, **changes})

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        """Build from :meth:`to_dict` output; unknown or missing keys raise ``ValueError``."""
        if not isinstance(data, dict):
            raise TypeError(f"EIEConfig.from_dict needs a dict, not {type(data).__name__}")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"EIEConfig has no parameter(s) {', '.join(unknown)}")
        missing = sorted(names - set(data))
        if missing:
            raise ValueError(f"EIEConfig is missing parameter(s) {', '.join(missing)}")
        return cls(**data)
