"""cocotb testbench of the exported Verilog of :class:`eie_hw.rtl.top.EIETop`
(docs/verification.md).

:mod:`.runner` builds and runs; :mod:`.tb` holds the TB class, drivers, monitor and scoreboard;
:mod:`.stimulus` the constrained-random and known-answer jobs; :mod:`.test_eie` the cocotb
tests; :mod:`.alex7` the full-size Alex-7 benchmark (``python -m sim.verify.cocotb_bench.alex7``).
"""
