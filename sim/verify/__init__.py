"""Verification of the RTL against the models: stimulus (:mod:`.random_layers`, the paper's
examples in :mod:`.paper`), the Amaranth-simulator host port (:mod:`.amaranth_host`) and the
cocotb bench of the exported Verilog (:mod:`.cocotb_bench`)."""
