"""The per-action energy table of the energy model: its schema, the 45 nm defaults and a
checked loader for a user's TOML or JSON file (docs/energy.md).

A table has the sections and keys of :data:`SCHEMA`; every value is a non-negative number
(``sram.read_64bit`` a table of capacity in bytes → pJ per 64-bit read). A user's file gives
every entry (start from a copy of ``data/energy-45nm.toml``, whose comments state the source
of every default number).
"""

import json
import math
import tomllib
from pathlib import Path

__all__ = ["SCHEMA", "DEFAULT_TABLE_PATH", "EnergyTableError", "check_table", "read_file",
           "default_table", "load_table"]

#: Where the default table lives (package data).
DEFAULT_TABLE_PATH = Path(__file__).resolve().parent / "data" / "energy-45nm.toml"

#: How the description of a curve (capacity → value) begins.
_CURVE = "capacity in bytes -> "

#: Section → key → what the value is. Values must be non-negative numbers; those named in
#: :data:`_POSITIVE` must be above zero.
SCHEMA = {
    "operation": {
        "add_32bit": "pJ per 32-bit addition (adders scale linearly with width)",
        "mult_32bit": "pJ per 32 x 32-bit multiply",
        "mult_16bit_saving": "how many times less a 16 x 16-bit multiply costs",
        "register_file_32bit": "pJ per 32-bit register-file access",
    },
    "sram": {
        "read_64bit": _CURVE + "pJ per 64-bit read",
        "write_over_read": "energy of a write relative to a read",
        "register_file_max_bytes": "memories up to this size are register files",
    },
    "lnzd": {
        "unit_mw": "power of one LNZD unit, mW",
        "unit_clock_mhz": "clock at which unit_mw was given, MHz",
    },
    "clock": {
        "flop_clock_ff": "clock capacitance per flip-flop, fF",
        "supply_v": "supply voltage, V",
    },
    "leakage": {
        "sram_pw_per_bit": "leakage per SRAM bit, pW",
        "flop_nw": "leakage per flip-flop with its logic, nW",
    },
}

_POSITIVE = {("operation", "mult_16bit_saving"), ("lnzd", "unit_clock_mhz"),
             ("clock", "supply_v")}


class EnergyTableError(ValueError):
    """A malformed energy table; the message names the file, the entry and the problem."""


def _number(where, value, positive):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EnergyTableError(f"{where} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise EnergyTableError(f"{where} must be finite, not {value!r}")
    if value < 0 or (positive and value == 0):
        raise EnergyTableError(f"{where} must be {'positive' if positive else 'non-negative'}, "
                               f"not {value!r}")
    return float(value)


def _curve(where, value, what):
    if not isinstance(value, dict) or not value:
        raise EnergyTableError(f"{where} must be a non-empty table of capacity in bytes -> "
                               f"{what}, not {value!r}")
    points = {}
    for key, energy in value.items():
        try:
            size = int(key)
        except ValueError:
            size = 0
        if size <= 0 or str(size) != str(key).strip():
            raise EnergyTableError(f"{where}: capacity {key!r} must be a positive whole number "
                                   f"of bytes")
        points[size] = _number(f"{where}.{key}", energy, positive=True)
    return dict(sorted(points.items()))


def check_table(table, source, schema=None, positive=None):
    """``table`` (nested dicts) checked against ``schema`` (default :data:`SCHEMA`; a key
    whose description starts with "capacity in bytes -> " holds a curve); raise
    :class:`EnergyTableError` naming ``source`` and the entry on any problem. Returns the
    table with floats (and curves with integer capacities). ``positive``: the
    ``(section, key)`` pairs that must be above zero (default those of :data:`SCHEMA`)."""
    schema = SCHEMA if schema is None else schema
    positive = _POSITIVE if positive is None else positive
    if not isinstance(table, dict):
        raise EnergyTableError(f"{source}: the table must be a mapping of sections, not "
                               f"{type(table).__name__}")
    unknown = set(table) - set(schema)
    if unknown:
        raise EnergyTableError(f"{source}: unknown section(s) {', '.join(sorted(unknown))}; "
                               f"sections are {', '.join(schema)}")
    result = {}
    for section, keys in schema.items():
        given = table.get(section, {})
        if not isinstance(given, dict):
            raise EnergyTableError(f"{source}: [{section}] must be a table, not {given!r}")
        unknown = set(given) - set(keys)
        if unknown:
            raise EnergyTableError(f"{source}: unknown key(s) {', '.join(sorted(unknown))} in "
                                   f"[{section}]; its keys are {', '.join(keys)}")
        result[section] = {}
        for key in keys:
            where = f"{source}: {section}.{key}"
            if key not in given:
                raise EnergyTableError(f"{where} is missing ({keys[key]})")
            value, curve = given[key], keys[key].startswith(_CURVE)
            result[section][key] = _curve(where, value, keys[key][len(_CURVE):]) if curve \
                else _number(where, value, (section, key) in positive)
    return result


def read_file(path):
    """The nested dicts of a TOML file (JSON if it ends in ``.json``), or
    :class:`EnergyTableError` naming the file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise EnergyTableError(f"cannot read energy table {path}: {e.strerror}") from None
    is_json = path.suffix.lower() == ".json"
    try:
        return json.loads(text) if is_json else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise EnergyTableError(f"{path}: not valid {'JSON' if is_json else 'TOML'}: "
                               f"{e}") from None


def default_table():
    """The default 45 nm table (``data/energy-45nm.toml``), checked."""
    return check_table(read_file(DEFAULT_TABLE_PATH), DEFAULT_TABLE_PATH.name)


def load_table(path=None):
    """The energy table of ``path`` (TOML, or JSON if it ends in ``.json``), checked; it must
    give every entry of :data:`SCHEMA` (copy the default file and edit it). ``None`` gives
    the defaults."""
    if path is None:
        return default_table()
    return check_table(read_file(path), str(path))
