"""The checked-in results of the FPGA builds (``boards/results/<board>.json``), written by
``eie build --json`` and read by the demo and the docs' tables."""

import json
from pathlib import Path

__all__ = ["RESULTS_DIR", "result_path", "load_result"]

#: Where the routed results live.
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def result_path(board):
    """The result file of ``board`` (a name of :data:`boards.boards.BOARDS`)."""
    return RESULTS_DIR / f"{board}.json"


def load_result(board):
    """The checked-in result of ``board`` as a dict, or ``None`` if there is none."""
    try:
        return json.loads(result_path(board).read_text())
    except FileNotFoundError:
        return None
