"""The versions that the project's workarounds were checked against are the ones pinned and
installed. An upgrade of Amaranth or cocotb fails here first: then revisit
``eie_hw/rtl/compat.py`` (Amaranth internals) and ``sim/verify/cocotb_bench/runner.py``
(cocotb's Verilator command line, whose ``--public-flat-rw`` the runner's build arguments
undo), update the pins in ``pyproject.toml`` and :data:`eie_hw.rtl.compat.CHECKED_WITH`."""

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

from eie_hw.rtl.compat import CHECKED_WITH

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def pinned(distribution):
    """The ``==`` version of ``distribution`` in pyproject.toml's dependencies."""
    with open(PYPROJECT, "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    pattern = rf"{re.escape(distribution)}(\[[^\]]*\])?==(\S+)"
    pins = [m.group(2) for d in dependencies if (m := re.fullmatch(pattern, d.strip()))]
    assert len(pins) == 1, f"pyproject.toml must pin {distribution} exactly once: {dependencies}"
    return pins[0]


@pytest.mark.parametrize("distribution", ["amaranth", "cocotb"])
def test_installed_version_is_the_pinned_one(distribution):
    assert version(distribution) == pinned(distribution)


def test_compat_was_checked_with_the_pinned_amaranth():
    assert CHECKED_WITH == {"amaranth": pinned("amaranth")}
