"""Verification of the RTL against the models: stimulus (:mod:`.random_layers`, the paper's
examples in :mod:`.paper`, small configurations in :mod:`.configs`), the Amaranth-simulator
host port (:mod:`.amaranth_host`), one entry point for every RTL backend (:mod:`.backends`)
and the cocotb bench of the exported Verilog (:mod:`.cocotb_bench`)."""
