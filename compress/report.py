"""The compression report: JSON for machines, a Deep-Compression-Table-2 style text table for
people. NumPy/stdlib only."""

import json
import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["format_table", "file_summary", "write_report"]


def _row(a):
    pq, pqh = a["pq"], a["pqh"]
    core_pq = pq["weight_bits"] + pq["index_bits"] + pq["codebook_bits"] + pq["bias_bits"]
    core_pqh = pqh["weight_bits"] + pqh["index_bits"] + pqh["codebook_bits"] + pqh["bias_bits"]
    return (f"{a['name']:<12} {a['weights']:>8} {100 * a['density']:>6.1f}% "
            f"{a['padding']:>5} "
            f"{a['weight_bits_per_entry']['pq']:>3} / {a['weight_bits_per_entry']['pqh']:<4.2f} "
            f"{a['index_bits_per_entry']['pq']:>3} / {a['index_bits_per_entry']['pqh']:<4.2f} "
            f"{_pct(core_pq / a['dense_bits']):>8} / {_pct(core_pqh / a['dense_bits']):<7} "
            f"{_x(a['ratio_pq']):>8} / {_x(a['ratio_pqh']):<8} "
            f"{_x(a['ratio_pqh_with_pointers']):>7} {_x(a['ratio_eiz']):>7}")


def _pct(value):
    return f"{100 * value:.2f}%"


def _x(value):
    return f"{value:.1f}x"


def format_table(accounting):
    """A text table of :func:`~compress.accounting.image_accounting` output."""
    head = (f"{'layer':<12} {'#W':>8} {'W%':>7} {'pad':>5} {'w bits P+Q/H':>13} "
            f"{'i bits P+Q/H':>13} {'rate P+Q / P+Q+H':>18} {'ratio P+Q / P+Q+H':>19} "
            f"{'+ptr H':>7} {'file':>7}")
    lines = [head, "-" * len(head)]
    lines += [_row(a) for a in accounting["layers"]]
    lines += ["-" * len(head), _row(accounting["total"])]
    lines.append("")
    lines.append("W%: non-zero weights kept; pad: EIE padding entries; bits per stored entry; "
                 "rate: compressed/dense (weights, indices, codebook, biases); "
                 "+ptr H: P+Q+H ratio including EIE column pointers; "
                 "file: dense float32 bytes / bytes of the layer in the .eiz file.")
    lines.append(file_summary(accounting["total"]))
    return "\n".join(lines)


def file_summary(total):
    """Two lines: the ``.eiz`` file's size and actual ratio beside the counted ratio, and where
    the bytes between the two go (from :func:`~compress.accounting.image_accounting`'s
    ``total``)."""
    parts = total["eiz_bytes"]
    pqh = total["pqh"]
    counted = pqh["weight_bits"] + pqh["index_bits"] + pqh["codebook_bits"] + pqh["bias_bits"]
    pointers = 8 * (parts["column_counts"] + parts["column_counts_code"])
    rows = 8 * parts["row_order"]
    header = 8 * total["eiz_header_bytes"]
    rest = 8 * total["eiz_file_bytes"] - counted - pointers - rows - header
    return (f".eiz file: {total['eiz_file_bytes']} bytes, actual ratio "
            f"{_x(total['ratio_eiz'])} (dense float32 {total['dense_bits'] // 8} bytes / file) "
            f"beside {_x(total['ratio_pqh'])} counted;\n  the file adds column counts "
            f"{_bytes(pointers)}, row orders {_bytes(rows)}, header {_bytes(header)}, layer "
            f"fields, stream lengths and byte padding {_bytes(rest)}.")


def _bytes(bits):
    return f"{bits // 8} B" if bits % 8 == 0 else f"{bits / 8:.1f} B"


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, Path):
        return str(value)
    return value


def _atomic_write(path, text):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_report(out_dir, report, *, table=None):
    """Write ``report.json`` (and ``report.txt`` if ``table`` is given) into ``out_dir``
    atomically; returns the JSON path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "report.json"
    _atomic_write(path, json.dumps(_plain(report), indent=2) + "\n")
    if table is not None:
        _atomic_write(out_dir / "report.txt", table + "\n")
    return path
