"""Verilog export, Yosys gate count and the ``eie verilog`` command."""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from eie_hw.config import EIEConfig
from eie_hw.rtl import cli
from eie_hw.rtl.export import TOP_NAME, gate_count, verilog
from eie_hw.timing import SLOT_BUFFER_DEPTH

TINY = EIEConfig(n_pes=2, fifo_depth=2, act_depth=4, spmat_depth=4, ptr_depth=8, bias_depth=4,
                 max_layers=2)
TINY_ARGS = ["--pes", "2", "--fifo", "2", "--act-depth", "4", "--spmat-depth", "4",
             "--ptr-depth", "8", "--bias-depth", "4", "--max-layers", "2"]
ROOT = Path(__file__).resolve().parents[1]

_MEMORY = re.compile(r"^  reg \[(\d+):0\] (\w+) \[(\d+):0\];$", re.M)
_INITIAL = re.compile(r"^  initial begin\n(.*?)^  end$", re.M | re.S)
_INIT = re.compile(r"    (\w+)\[(\d+)\] = (\d+)'([hd][0-9a-f]+);")


def expected_memories(cfg):
    """``(name, width, depth)`` of every memory of the array, from the configuration; the
    width is ``None`` where it is a packed layout (queue items, layer-table entries)."""
    per_pe = [("act0", cfg.act_width, cfg.act_depth), ("act1", cfg.act_width, cfg.act_depth),
              ("bias", cfg.act_width, cfg.bias_depth), ("acc", cfg.acc_width, cfg.act_depth),
              ("codebook", cfg.weight_width, cfg.max_layers * cfg.codebook_size),
              ("ptr_even", cfg.ptr_width, cfg.ptr_depth // 2),
              ("ptr_odd", cfg.ptr_width, cfg.ptr_depth // 2),
              ("storage", None, cfg.fifo_depth), ("spmat", cfg.spmat_word_bits, cfg.spmat_depth)]
    return Counter(per_pe * cfg.n_pes + [
        ("layer_table", None, cfg.max_layers),
        ("flag_buffer", cfg.n_pes, SLOT_BUFFER_DEPTH),
        ("value_buffer", cfg.n_pes * cfg.act_width, SLOT_BUFFER_DEPTH)])


def declared_memories(source, packed=("storage", "layer_table")):
    return Counter((name, None if name in packed else int(msb) + 1, int(top) + 1)
                   for msb, name, top in _MEMORY.findall(source))


def test_verilog_has_top_and_every_memory():
    source = verilog(TINY)
    assert f"module {TOP_NAME}(" in source
    assert declared_memories(source) == expected_memories(TINY)


def initial_words(source):
    """``(memory, index, width, value)`` of every line of every ``initial`` block (each line
    must be one such assignment; the value with its base, ``h`` or ``d``, as Yosys writes
    it)."""
    return [_INIT.fullmatch(line).groups() for block in _INITIAL.findall(source)
            for line in block.splitlines()]


def test_default_export_has_no_memory_contents():
    assert initial_words(verilog(TINY)) == []


def test_memory_init_zeroes_every_word_of_every_memory():
    source = verilog(TINY, memory_init=True)
    assert declared_memories(source) == declared_memories(verilog(TINY))
    words = Counter()
    for name, index, _, value in initial_words(source):
        assert int(value[1:], 16 if value[0] == "h" else 10) == 0, (name, index)
        words[name, int(index)] += 1
    expected = Counter()
    for (name, _, depth), count in expected_memories(TINY).items():
        for index in range(depth):
            expected[name, index] += count
    assert words == expected


def test_exports_do_not_affect_each_other():
    with_init = verilog(TINY, memory_init=True)
    without = verilog(TINY)
    assert verilog(TINY, memory_init=True) == with_init
    assert verilog(TINY) == without


def test_gate_count():
    transistors, report = gate_count(TINY.replace(n_pes=1, max_layers=1))
    assert transistors and transistors > 1000, report
    assert "DFF" in report            # registers are mapped to flip-flops…
    assert "$mem_v2" in report        # …memories stay macros


def test_cli_writes_the_export(tmp_path, capsys):
    out = tmp_path / "eie.v"
    assert cli.main(["verilog", *TINY_ARGS, "-o", str(out)]) == 0
    assert out.read_text() == verilog(TINY)
    assert capsys.readouterr().out == f"wrote {out} (2 PEs, fifo depth 2, broadcast width 1)\n"


def test_cli_memory_init_options(tmp_path):
    out = tmp_path / "eie.v"
    assert cli.main(["verilog", *TINY_ARGS, "--memory-init", "-o", str(out)]) == 0
    assert out.read_text() == verilog(TINY, memory_init=True)
    # Accepted as before; now the same as the default.
    assert cli.main(["verilog", *TINY_ARGS, "--no-memory-init", "-o", str(out)]) == 0
    assert out.read_text() == verilog(TINY)
    with pytest.raises(SystemExit) as exit_:
        cli.main(["verilog", "--memory-init", "--no-memory-init", "-o", str(out)])
    assert exit_.value.code == 2


@pytest.mark.parametrize("args, message", [
    (["--pes", "0"], r"argument --pes: EIEConfig\.n_pes must be between 1 and 256, not 0"),
    (["--pes", "3"], r"argument --pes: EIEConfig\.n_pes must be a power of two, not 3"),
    (["--fifo", "-1"],
     r"argument --fifo: EIEConfig\.fifo_depth must be between 1 and 1024, not -1"),
    (["--act-depth", "-4"], r"argument --act-depth: EIEConfig\.act_depth must be at least 1, "
                            r"not -4"),
    (["--spmat-depth", "0"],
     r"argument --spmat-depth: EIEConfig\.spmat_depth must be at least 1, not 0"),
    (["--ptr-depth", "7"],
     r"argument --ptr-depth: EIEConfig\.ptr_depth must be even \(two banks\), not 7"),
    (["--bias-depth", "-1"],
     r"argument --bias-depth: EIEConfig\.bias_depth must be at least 1, not -1"),
    (["--max-layers", "0"],
     r"argument --max-layers: EIEConfig\.max_layers must be between 1 and 1024, not 0"),
    (["--pes", "4", "--spmat-depth", "9000"],
     r"argument --spmat-depth: EIEConfig\.spmat_depth of 9000 words holds more entries than "
     r"16-bit pointers address; at most 8192 words"),
])
def test_cli_rejects_bad_arguments(tmp_path, capsys, args, message):
    out = tmp_path / "eie.v"
    assert cli.run(cli_args(*args, "-o", str(out))) == 2
    captured = capsys.readouterr()
    assert re.fullmatch(rf"eie verilog: error: {message}\n", captured.err), captured.err
    assert captured.out == "" and not out.exists()


def test_cli_names_every_argument_of_an_invalid_combination(capsys, tmp_path):
    # Each is valid with the other defaults; together the accumulator needs 65 bits.
    args = cli_args("--pes", "256", "--act-depth", "16777216", "-o", str(tmp_path / "eie.v"))
    assert cli.run(args) == 2
    assert re.fullmatch(r"eie verilog: error: arguments --pes, --act-depth: EIEConfig\.acc_width "
                        r"must be between 65 and 64, not 65\n", capsys.readouterr().err)


def test_cli_rejects_an_unwritable_output(tmp_path, capsys):
    missing = tmp_path / "missing" / "eie.v"
    assert cli.run(cli_args(*TINY_ARGS, "-o", str(missing))) == 2
    assert re.fullmatch(rf"eie verilog: error: argument -o/--output must be a file in an "
                        rf"existing directory, not {re.escape(repr(str(missing)))}\n",
                        capsys.readouterr().err)
    assert cli.run(cli_args(*TINY_ARGS, "-o", str(tmp_path))) == 2
    assert re.fullmatch(rf"eie verilog: error: argument -o/--output must be a file, not the "
                        rf"directory {re.escape(repr(str(tmp_path)))}\n",
                        capsys.readouterr().err)


def test_eie_command_reports_without_traceback(tmp_path):
    """Through the installed entry point's module, as a user runs it."""
    proc = subprocess.run([sys.executable, "-m", "sim.apps.cli", "verilog", "--pes", "0",
                           "-o", str(tmp_path / "eie.v")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr == ("eie verilog: error: argument --pes: EIEConfig.n_pes must be between "
                           "1 and 256, not 0\n")


def cli_args(*argv):
    import argparse

    parser = argparse.ArgumentParser(prog="eie")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["verilog", *argv])


def test_validation():
    with pytest.raises(TypeError, match=r"^config must be an EIEConfig, not dict$"):
        verilog({"n_pes": 4})
