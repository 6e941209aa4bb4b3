"""The energy model: the table's checks, per-action energies against hand-computed oracles,
and ``eie bench --energy`` end to end."""

import copy
import json
import math
import re

import numpy as np
import pytest

from eie_hw.config import EIEConfig
from sim.apps.cli import main
from sim.apps.energy import EnergyModel, interpolate, lnzd_units
from sim.apps.energy_table import EnergyTableError, check_table, default_table, load_table
from sim.apps.memories import memories
from sim.models.cycle_model import layer_timing

FLOPS = {"pe": 700, "ccu": 300, "counters": 90}


def zero_table(**given):
    """A table in which nothing costs energy (every memory a free register file; unit
    clock, supply and saving), with the ``section.key`` values given."""
    table = copy.deepcopy(default_table())
    for keys in table.values():
        for key in keys:
            keys[key] = {s: 1.0 for s in keys[key]} if key == "read_64bit" else 0.0
    table["operation"]["mult_16bit_saving"] = 1.0
    table["lnzd"]["unit_clock_mhz"] = 1.0
    table["clock"]["supply_v"] = 1.0
    table["sram"]["read_64bit"] = {8192: 1.0}
    table["sram"]["register_file_max_bytes"] = 1e30
    for name, value in given.items():
        section, key = name.split(".")
        table[section][key] = value
    return check_table(table, "test")


def toml(path, table):
    lines = []
    for section, keys in table.items():
        lines.append(f"[{section}]")
        for key, value in keys.items():
            if isinstance(value, dict):
                inner = ", ".join(f"{k} = {v}" for k, v in value.items())
                lines.append(f"{key} = {{ {inner} }}")
            else:
                lines.append(f"{key} = {value!r}" if not isinstance(value, str)
                             else f'{key} = "{value}"')
    path.write_text("\n".join(lines) + "\n")
    return path


def random_timing(rng, config):
    counts = rng.poisson(3, (config.n_pes, 40)) * (rng.random((config.n_pes, 40)) < 0.6)
    acts = (rng.random(40) < 0.5).astype(int)
    return layer_timing(config, counts, acts, 5, next_rows_per_pe=4)


def test_default_table_loads_and_json_equals_toml(tmp_path):
    table = load_table()
    assert table["operation"]["mult_32bit"] == 3.1
    path = tmp_path / "t.json"
    path.write_text(json.dumps({s: {k: ({str(c): e for c, e in v.items()}
                                        if isinstance(v, dict) else v)
                                    for k, v in keys.items()} for s, keys in table.items()}))
    assert load_table(path) == table


@pytest.mark.parametrize("edit, message", [
    (lambda t: t["clock"].pop("supply_v"),
     r"t\.toml: clock\.supply_v is missing \(supply voltage, V\)"),
    (lambda t: t["operation"].__setitem__("add_32bit", -0.1),
     r"t\.toml: operation\.add_32bit must be non-negative, not -0\.1"),
    (lambda t: t["operation"].__setitem__("mult_32bit", "3.1"),
     r"t\.toml: operation\.mult_32bit must be a number, not '3\.1'"),
    (lambda t: t["operation"].__setitem__("mult_16bit_saving", 0),
     r"t\.toml: operation\.mult_16bit_saving must be positive, not 0"),
    (lambda t: t["leakage"].__setitem__("flop_mw", 1.0),
     r"t\.toml: unknown key\(s\) flop_mw in \[leakage\]; its keys are sram_pw_per_bit, "
     r"flop_nw"),
    (lambda t: t.__setitem__("dram", {"read": 1.0}),
     r"t\.toml: unknown section\(s\) dram; sections are operation, sram, lnzd, clock, "
     r"leakage"),
    (lambda t: t["sram"].__setitem__("read_64bit", {"8KB": 10.0}),
     r"t\.toml: sram\.read_64bit: capacity '8KB' must be a positive whole number of bytes"),
    (lambda t: t["sram"].__setitem__("read_64bit", {}),
     r"t\.toml: sram\.read_64bit must be a non-empty table"),
])
def test_bad_tables_name_the_entry(tmp_path, edit, message):
    table = copy.deepcopy(default_table())
    edit(table)
    path = toml(tmp_path / "t.toml", table)
    with pytest.raises(EnergyTableError, match=rf"^.*{message}"):
        load_table(path)


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(EnergyTableError, match=r"^cannot read energy table .*nope\.toml"):
        load_table(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[clock\n")
    with pytest.raises(EnergyTableError, match=r"^.*bad\.toml: not valid TOML: "):
        load_table(bad)


def test_interpolation_hits_the_points_and_is_log_linear_between():
    points = {8192: 10.0, 32768: 20.0, 1048576: 100.0}
    for size, value in points.items():
        assert math.isclose(interpolate(points, size), value)
    assert math.isclose(interpolate(points, 16384), math.sqrt(10.0 * 20.0))
    assert math.isclose(interpolate(points, 2048), 5.0)          # first segment, slope 1/2
    assert interpolate({100: 4.0}, 400) == interpolate({100: 4.0}, 1) == 4.0   # a constant


def test_lnzd_units_of_the_quadtree():
    assert [lnzd_units(n) for n in (1, 2, 4, 16, 64, 256)] == [0, 1, 1, 5, 21, 85]


def test_multiplies_alone(rng, seed):
    """With only the multiplier's energy non-zero, the energy is entries × 3.1 / 5 pJ (16 ×
    16 bits) — and scales with the product of the operand widths."""
    for widths in ((16, 16), (8, 16)):
        config = EIEConfig(n_pes=4, weight_width=widths[0], weight_frac_bits=4)
        model = EnergyModel(config, zero_table(**{"operation.mult_32bit": 3.1,
                                                  "operation.mult_16bit_saving": 5.0}), FLOPS)
        timing = random_timing(rng, config)
        entries = int(timing.busy.sum())
        expected = entries * 3.1 / 5 * widths[0] * widths[1] / 256
        assert math.isclose(model.energy(timing, 1e8)["total_pj"], expected), seed


def test_memory_reads_alone(rng, seed):
    """Only SRAM reads (register files free): every useful access of every memory, priced by
    its width from a one-point table (the same per bit at every capacity)."""
    config = EIEConfig(n_pes=2)
    table = zero_table(**{"sram.read_64bit": {1024: 1.0}, "sram.write_over_read": 2.0,
                          "sram.register_file_max_bytes": 0.0})
    model = EnergyModel(config, table, FLOPS)
    timing = random_timing(rng, config)
    a = {k: int(v.sum()) for k, v in timing.actions.items()}

    def pj(depth, width):
        return width / 64

    c = config
    expected = (a["spmat_word_reads"] * pj(c.spmat_depth, c.spmat_word_bits)
                + a["pointer_reads"] * 2 * pj(c.ptr_depth // 2, c.ptr_width)
                + (a["acc_reads"] + 2 * a["acc_writes"]) * pj(c.act_depth, c.acc_width)
                + (a["act_reads"] + 2 * a["act_writes"]) * pj(c.act_depth, c.act_width)
                + a["bias_reads"] * pj(c.bias_depth, c.act_width)
                + a["codebook_reads"] * pj(c.max_layers * c.codebook_size, c.weight_width)
                + a["queue_pops"] * pj(c.fifo_depth, c.act_width + 2 * c.ptr_width)
                + 2 * a["queue_pushes"] * pj(c.fifo_depth, c.act_width + 2 * c.ptr_width)
                + (a["slot_takes"] + 2 * a["slot_writes"]) * pj(4, c.act_width))
    assert math.isclose(model.energy(timing, 1e8)["total_pj"], expected), seed
    assert set(memories(config)) == {"spmat", "ptr", "codebook", "bias", "act", "acc", "queue",
                                     "slots"}


def test_clock_and_leakage_alone(rng, seed):
    """Clock: flip-flops × C × V² per cycle; leakage: power × time, memory bits and flops."""
    config = EIEConfig(n_pes=4)
    flops = 4 * FLOPS["pe"] + FLOPS["ccu"] + FLOPS["counters"]
    timing = random_timing(rng, config)
    clock = EnergyModel(config, zero_table(**{"clock.flop_clock_ff": 2.0,
                                              "clock.supply_v": 0.9}), FLOPS)
    assert math.isclose(clock.energy(timing, 1e8)["total_pj"],
                        timing.total * flops * 2e-3 * 0.81), seed
    leak = EnergyModel(config, zero_table(**{"leakage.flop_nw": 10.0}), FLOPS)
    e = leak.energy(timing, 2e8)
    assert math.isclose(e["total_pj"], flops * 10e-9 * timing.total / 2e8 * 1e12), seed
    assert math.isclose(e["power_mw"], flops * 10e-6), seed


def test_modules_add_up_and_the_rtl_as_built_costs_more(rng, seed):
    config = EIEConfig(n_pes=4)
    model = EnergyModel(config, default_table(), FLOPS)
    timing = random_timing(rng, config)
    e = model.energy(timing, 8e8)
    assert math.isclose(sum(e["modules"].values()), e["total_pj"])
    assert math.isclose(sum(e["per_action_pj"].values()) + e["modules"]["clock"]
                        + e["modules"]["leakage"], e["total_pj"])
    assert model.energy(timing, 8e8, every_cycle_reads=True)["total_pj"] > e["total_pj"]
    two = model.energy([timing, timing], 8e8)
    assert math.isclose(two["total_pj"], 2 * e["total_pj"]) and \
        math.isclose(two["power_mw"], e["power_mw"])


def test_bench_energy_json(tmp_path, capsys):
    out = tmp_path / "b.json"
    assert main(["bench", "--layers", "NT-LSTM", "--pes", "8", "--energy", "--json",
                 str(out)]) == 0
    report = json.loads(out.read_text())
    row, = report["layers"]
    e = row["energy"]
    assert math.isclose(sum(e["shares"].values()), 1.0)
    assert row["energy_uj"] == e["energy_uj"]
    # One layer: the report's breakdown is that layer's shares.
    assert report["energy_breakdown"].keys() == e["shares"].keys()
    for module, share in e["shares"].items():
        assert math.isclose(report["energy_breakdown"][module], share)
    assert math.isclose(e["energy_uj"] * e["frames_per_j"], 1e6)
    assert math.isclose(e["power_mw"], e["energy_uj"] / (row["cycles"] / 800e6) * 1e-3)
    assert "Table II" in capsys.readouterr().out


def test_bench_bad_energy_table_is_a_clear_error(tmp_path, capsys):
    table = copy.deepcopy(default_table())
    table["leakage"]["flop_nw"] = "lots"
    path = toml(tmp_path / "mine.toml", table)
    assert main(["bench", "--layers", "NT-LSTM", "--pes", "4", "--energy-table",
                 str(path)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"error: .*mine\.toml: leakage\.flop_nw must be a number, not 'lots'", err)


def test_image_energy(tmp_path, rng, capsys):
    from eie_hw.image import encode_network, save_image
    from sim.verify.random_layers import random_network
    config = EIEConfig(n_pes=4)
    image = encode_network(config, random_network(rng, config, [12, 10, 6], [0.5, 0.5]))
    path = tmp_path / "n.eie"
    save_image(image, path)
    x = tmp_path / "x.npy"
    np.save(x, rng.uniform(0, 1, (3, 12)))
    out = tmp_path / "e.json"
    assert main(["bench", "--image", str(path), "--inputs", str(x), "--image-pes", "4",
                 "--energy", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["energy"]
    assert [r["name"] for r in rows] == ["layer 0", "layer 1", "network"]
    assert math.isclose(rows[0]["energy_uj"] + rows[1]["energy_uj"], rows[2]["energy_uj"])


def test_energy_breakdown_weights_the_layers_by_energy(rng, seed):
    from sim.apps.energy import MODULES
    from sim.apps.energy_report import energy_breakdown

    rows = [{"modules_pj": {m: float(rng.uniform(0, 100)) for m in MODULES}} for _ in range(3)]
    shares = energy_breakdown(rows)
    total = sum(sum(r["modules_pj"].values()) for r in rows)
    for m in MODULES:
        assert math.isclose(shares[m], sum(r["modules_pj"][m] for r in rows) / total), \
            f"seed={seed}"
    assert math.isclose(sum(shares.values()), 1.0)
