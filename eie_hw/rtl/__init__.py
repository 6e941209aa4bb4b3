"""The Amaranth RTL of the EIE array (docs/microarchitecture.md).

One idea a module: :mod:`.queue` (activation queue), :mod:`.pointer` (even/odd pointer banks),
:mod:`.stream_unit` (sparse-matrix read), :mod:`.arith` (codebook, multiply, accumulate with
bypass), :mod:`.activation` (activation banks, ping-pong, write-back with ReLU), :mod:`.lnzd`
(leading non-zero detection tree), :mod:`.ccu` (central control), :mod:`.pe` (one processing
element), :mod:`.top` (:class:`~.top.EIETop`, the array with its host port), :mod:`.export`
(Verilog for ASIC and FPGA flows) and :mod:`.cli` (``eie verilog``). The RTL depends only on the
hardware contract (:mod:`eie_hw.config`, :mod:`eie_hw.entry`, :mod:`eie_hw.fixedpoint`,
:mod:`eie_hw.timing`, :mod:`eie_hw.protocol`).
"""
