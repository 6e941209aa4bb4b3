"""What a build report takes from nextpnr's timing log."""

from pathlib import Path

import boards.build
from boards.build import critical_path

ROOT = str(Path(boards.build.__file__).resolve().parents[1])

LOG = """Info: Max frequency for clock 'clk': 40.00 MHz (PASS at 30.00 MHz)
Info: Critical path report for clock 'clk' (posedge -> posedge):
Info:       type curr  total name
Info:   clk-to-q  5.83  5.83 Source eie.pe9.pointer.ptr_even.DP16KD.DOA0
Info:    routing  3.00  8.83 Net eie.pe9.pointer.start (10,10) -> (12,12)
Info:                          Sink eie.pe9.lt_LUT4.A
Info:                          Defined in:
Info:                               {root}/eie_hw/rtl/pointer.py:61
Info:      logic  0.40  9.23 Source eie.pe9.lt_LUT4.Z
Info:    routing  2.00 11.23 Net eie.pe9.pop (12,12) -> (14,14)
Info:                          Sink eie.pe9.queue.count_TRELLIS_FF.CE
Info:                          Defined in:
Info:                               {root}/eie_hw/rtl/pe.py:80
Info:                               {root}/eie_hw/rtl/pointer.py:61
Info:                               /share/ecp5/cells_map.v:10.1-12.2
Info:      setup  0.10 11.33 Source eie.pe9.queue.count_TRELLIS_FF.CE
Info: 6.33 ns logic, 5.00 ns routing

Info: Critical path report for cross-domain path '<async>' -> 'posedge clk':
Info: 0.82 ns logic, 5.74 ns routing
"""


def test_critical_path_of_the_first_clock(tmp_path):
    (tmp_path / "top.tim").write_text(LOG.format(root=ROOT))
    assert critical_path(tmp_path / "top.tim") == {
        "clock": "clk", "total_ns": 11.33, "logic_ns": 6.33, "routing_ns": 5.0,
        "from": "eie.pe9.pointer.ptr_even.DP16KD.DOA0",
        "to": "eie.pe9.queue.count_TRELLIS_FF.CE",
        "through": ["eie_hw/rtl/pointer.py:61", "eie_hw/rtl/pe.py:80"]}


def test_no_critical_path_without_a_report(tmp_path):
    assert critical_path(tmp_path / "missing.tim") is None
    (tmp_path / "top.tim").write_text("Info: nothing routed\n")
    assert critical_path(tmp_path / "top.tim") is None
