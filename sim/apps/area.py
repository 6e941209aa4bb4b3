"""The area model: Yosys' generic gate count of the RTL plus memory area from a per-bit
density table (docs/energy.md, "Area"), per PE and per array, beside the paper's Table II.

Logic: the transistor estimate of :func:`eie_hw.rtl.export.gate_count` (``eie verilog
--stat``) × area per transistor. Memories: every PE memory (:mod:`.memories`) × µm² per bit
by its capacity, or per flip-flop bit for the small ones (register files). Cell area only: no
filler, no routing overhead, no power grid; nothing is fitted to the paper's figures.
"""

from pathlib import Path

from eie_hw.rtl.export import gate_count
from sim.verify.paper import PAPER_CHIP_AREA_MM2, TABLE_II_TOTAL_UM2

from .energy import interpolate
from .energy_table import check_table, read_file
from .memories import memories

__all__ = ["AREA_SCHEMA", "DEFAULT_AREA_TABLE_PATH", "load_area_table", "area_report",
           "print_area"]

#: Where the default area table lives (package data).
DEFAULT_AREA_TABLE_PATH = Path(__file__).resolve().parent / "data" / "area-45nm.toml"

#: Section → key → what the value is (checked as the energy table is).
AREA_SCHEMA = {
    "logic": {"transistor_um2": "µm² per transistor of Yosys' CMOS estimate"},
    "memory": {
        "density_um2_per_bit": "capacity in bytes -> µm² per bit",
        "register_file_max_bytes": "memories up to this size are register files",
        "register_file_um2_per_bit": "µm² per register-file bit",
    },
}


def load_area_table(path=None):
    """The area table of ``path`` (TOML or JSON, every entry given), or the 45 nm defaults."""
    path = DEFAULT_AREA_TABLE_PATH if path is None else path
    name = path.name if path == DEFAULT_AREA_TABLE_PATH else str(path)
    return check_table(read_file(path), name, AREA_SCHEMA, positive=set())


def memory_area_um2(config, table):
    """µm² of every memory of one PE, by name (all instances of it)."""
    mem = table["memory"]
    result = {}
    for name, m in memories(config).items():
        per_bit = mem["register_file_um2_per_bit"] if m.bytes <= mem["register_file_max_bytes"] \
            else interpolate(mem["density_um2_per_bit"], m.bytes)
        result[name] = m.bits * per_bit
    return result


def area_report(config, table, *, transistors=None):
    """The area of ``config``'s array as a JSON-able dict (µm²): ``logic_um2`` (whole array),
    ``memory_um2`` (per PE, by memory), ``pe_um2`` (one PE: its memories and its share of the
    logic, the CCU's included), ``array_mm2``. ``transistors``: Yosys' estimate, if already
    known (otherwise :func:`gate_count` is run: seconds for a few PEs, minutes for 64)."""
    if transistors is None:
        transistors, _ = gate_count(config)
        if transistors is None:
            raise RuntimeError("Yosys printed no transistor estimate")
    logic = transistors * table["logic"]["transistor_um2"]
    mem = memory_area_um2(config, table)
    pe = sum(mem.values()) + logic / config.n_pes
    return {"n_pes": config.n_pes, "transistors": transistors, "logic_um2": logic,
            "memory_um2": mem, "pe_um2": pe, "array_mm2": pe * config.n_pes * 1e-6}


def print_area(report, source):
    n = report["n_pes"]
    mem = report["memory_um2"]
    print(f"\narea (table {source}; logic: {report['transistors']:,} transistors from Yosys' "
          f"generic synthesis, memories by capacity):")
    print(f"  per PE   {report['pe_um2']:>11,.0f} µm²: logic {report['logic_um2'] / n:,.0f}, "
          + ", ".join(f"{k} {v:,.0f}" for k, v in mem.items()))
    print(f"  paper    {TABLE_II_TOTAL_UM2:>11,.0f} µm² per PE (Table II, filler included)")
    print(f"  array    {report['array_mm2']:>11.2f} mm² for {n} PEs "
          f"(paper: {PAPER_CHIP_AREA_MM2} mm² for 64 PEs)")
