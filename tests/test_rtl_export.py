"""Verilog export, Yosys gate count and the ``eie verilog`` command."""

import pytest

from eie_hw.config import EIEConfig
from eie_hw.rtl import cli
from eie_hw.rtl.export import TOP_NAME, gate_count, verilog

TINY = EIEConfig(n_pes=2, fifo_depth=2, act_depth=4, spmat_depth=4, ptr_depth=8, bias_depth=4,
                 max_layers=2)


def test_verilog_has_top_and_named_memories():
    source = verilog(TINY)
    assert f"module {TOP_NAME}(" in source
    for memory in ("spmat", "ptr_even", "ptr_odd", "codebook", "acc", "act0", "act1", "bias"):
        assert f"] {memory} [" in source, memory


def test_verilog_without_memory_init():
    with_init, without = verilog(TINY), verilog(TINY, memory_init=False)
    assert "spmat[0] = " in with_init and "spmat[0] = " not in without
    for memory in ("spmat", "ptr_even", "acc", "act0"):
        assert f"] {memory} [" in without, memory
    # Conversion with init still works afterwards (the emitter patch is undone).
    assert verilog(TINY) == with_init


def test_gate_count():
    transistors, report = gate_count(TINY.replace(n_pes=1, max_layers=1))
    assert transistors and transistors > 1000, report
    assert "DFF" in report            # registers are mapped to flip-flops…
    assert "$mem_v2" in report        # …memories stay macros


def test_cli(tmp_path, capsys):
    out = tmp_path / "eie.v"
    assert cli.main(["verilog", "--pes", "2", "--fifo", "2", "--act-depth", "4",
                     "--spmat-depth", "4", "--ptr-depth", "8", "--bias-depth", "4",
                     "--max-layers", "2", "-o", str(out)]) == 0
    assert f"module {TOP_NAME}(" in out.read_text()
    assert cli.main(["verilog", "--pes", "3", "-o", str(out)]) == 2
    assert "n_pes" in capsys.readouterr().err


def test_validation():
    with pytest.raises(TypeError, match="config"):
        verilog({"n_pes": 4})
