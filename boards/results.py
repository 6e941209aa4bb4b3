"""The checked-in results of the FPGA builds (``boards/results/<board>.json``), written by
``eie build --json`` and read by the demo and the docs' tables."""

import json
from pathlib import Path

__all__ = ["RESULTS_DIR", "MET", "MISSED", "result_path", "load_result", "clock_mhz"]

#: Where the routed results live.
RESULTS_DIR = Path(__file__).resolve().parent / "results"

#: A result's ``status`` after routing: the clock constraint met, or missed.
MET, MISSED = "routed, constraint met", "routed, constraint missed"


def result_path(board):
    """The result file of ``board`` (a name of :data:`boards.boards.BOARDS`)."""
    return RESULTS_DIR / f"{board}.json"


def load_result(board):
    """The checked-in result of ``board`` as a dict, or ``None`` if there is none."""
    try:
        return json.loads(result_path(board).read_text())
    except FileNotFoundError:
        return None


def clock_mhz(result):
    """The clock a result's bitstream runs at (MHz): the constraint it was routed for, if
    nextpnr met it; ``None`` for a build that missed it (its bitstream is not to be trusted
    at any stated clock) or has no timing. The routed Fmax above it is only the margin."""
    if not result or "constraint_mhz" not in result or result.get("status") != MET:
        return None
    return float(result["constraint_mhz"])
