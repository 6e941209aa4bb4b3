"""The area model: memory area by capacity, the array's sum, the table's checks, and
``eie bench --area`` end to end on a one-PE array (one Yosys run)."""

import copy
import json
import math

import pytest

from eie_hw.config import EIEConfig
from eie_hw.timing import SCAN_AHEAD
from sim.apps.area import area_report, load_area_table
from sim.apps.cli import main
from sim.apps.energy_table import EnergyTableError


def test_memory_and_pe_area_by_hand():
    """Register files (≤ 64 bytes here) at 5 µm² per bit, every larger memory at 0.5 µm²
    per bit (one density point); logic shared equally by the PEs."""
    config = EIEConfig(n_pes=4)
    table = {"logic": {"transistor_um2": 0.25},
             "memory": {"density_um2_per_bit": {4096: 0.5}, "register_file_max_bytes": 64.0,
                        "register_file_um2_per_bit": 5.0}}
    report = area_report(config, table, transistors=40_000)
    c = config
    # The slot buffer: the SCAN_AHEAD slots read ahead and the current one, one activation
    # per PE each.
    small = {"queue": c.fifo_depth * (c.act_width + 2 * c.ptr_width),
             "slots": (SCAN_AHEAD + 1) * c.act_width}
    large = {"spmat": c.spmat_depth * c.spmat_word_bits, "ptr": c.ptr_depth * c.ptr_width,
             "codebook": c.max_layers * c.codebook_size * c.weight_width,
             "bias": c.bias_depth * c.act_width, "act": 2 * c.act_depth * c.act_width,
             "acc": c.act_depth * c.acc_width}
    assert all(bits / 8 <= 64 for bits in small.values())
    expected = {**{k: 5.0 * v for k, v in small.items()}, **{k: 0.5 * v for k, v in large.items()}}
    assert report["memory_um2"] == pytest.approx(expected)
    pe = sum(expected.values()) + 40_000 * 0.25 / 4
    assert report["pe_um2"] == pytest.approx(pe)
    assert report["array_mm2"] == pytest.approx(4 * pe * 1e-6)


def test_default_area_table_and_a_negative_entry(tmp_path):
    table = load_area_table()
    assert table["memory"]["register_file_um2_per_bit"] == 4.522
    bad = copy.deepcopy(table)
    bad["logic"]["transistor_um2"] = -1
    path = tmp_path / "a.json"
    path.write_text(json.dumps({s: {k: ({str(c): d for c, d in v.items()}
                                        if isinstance(v, dict) else v) for k, v in keys.items()}
                                for s, keys in bad.items()}))
    with pytest.raises(EnergyTableError,
                       match=r"^.*a\.json: logic\.transistor_um2 must be non-negative, not -1$"):
        load_area_table(path)


def test_bench_area_one_pe(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["bench", "--layers", "NT-LSTM", "--pes", "1", "--area", "--json",
                 str(out)]) == 0
    area = json.loads(out.read_text())["area"]
    assert area["n_pes"] == 1 and area["transistors"] > 10_000
    assert math.isclose(area["pe_um2"], sum(area["memory_um2"].values()) + area["logic_um2"])
    assert "638,024 µm² per PE" in capsys.readouterr().out
