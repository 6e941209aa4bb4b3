"""``eie pack`` / ``eie unpack``: the .eie image through the .eiz file and back, and errors."""

import re

import pytest

from compress.storage import compressed_to_bytes
from eie_hw.config import EIEConfig
from eie_hw.image import encode_network, save_image
from sim.apps.cli import main
from sim.verify.random_layers import random_network


def exit_status(argv):
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


@pytest.fixture
def files(tmp_path, rng, monkeypatch):
    """``net.eie`` (a random two-layer image with a balanced row order) in the current
    directory; returns ``(directory, image)``."""
    config = EIEConfig(n_pes=4)
    image = encode_network(config, random_network(rng, config, [30, 45, 6], [0.2, 0.5]),
                           "balanced")
    save_image(image, tmp_path / "net.eie")
    monkeypatch.chdir(tmp_path)
    return tmp_path, image


def test_pack_then_unpack_is_bit_for_bit(files, capsys):
    tmp, image = files
    assert exit_status(["pack", "net.eie"]) == 0                  # default: net.eiz
    assert (tmp / "net.eiz").read_bytes() == compressed_to_bytes(image)
    assert exit_status(["unpack", "net.eiz", "-o", "back.eie"]) == 0
    assert (tmp / "back.eie").read_bytes() == (tmp / "net.eie").read_bytes()
    out = capsys.readouterr().out.splitlines()
    size = (tmp / "net.eiz").stat().st_size
    assert out[0] == (f"wrote net.eiz ({size} bytes, compressed model) from net.eie "
                      f"({(tmp / 'net.eie').stat().st_size} bytes)")
    assert out[1].startswith("wrote back.eie (")


@pytest.mark.parametrize("argv, message", [
    (["unpack", "none.eiz"], r"eie unpack: error: argument MODEL.eiz: no such file: 'none.eiz'"),
    (["unpack", "net.eie", "-o", "x.eie"],
     r"eie unpack: error: net.eie: not an EIE compressed model \(bad magic bytes\)"),
    (["unpack", "cut.eiz"], r"eie unpack: error: cut.eiz: truncated: the header announces "
                            r"\d+ bytes, the file has 40"),
    (["unpack", "cut.eiz", "-o", "cut.eiz"],
     r"eie unpack: error: the output 'cut.eiz' is the input; give -o"),
    (["pack", "cut.eiz", "-o", "y.eiz"], r"eie pack: error: cut.eiz: not an EIE image "
                                         r"\(bad magic bytes\)"),
    (["pack", "net.eie", "-o", "no/y.eiz"],
     r"eie pack: error: argument -o/--output: the directory of 'no/y.eiz' does not exist"),
])
def test_errors_exit_2_with_a_message(files, capsys, argv, message):
    tmp, image = files
    (tmp / "cut.eiz").write_bytes(compressed_to_bytes(image)[:40])
    before = sorted(p.name for p in tmp.iterdir())
    assert exit_status(argv) == 2
    assert re.fullmatch(message, capsys.readouterr().err.splitlines()[-1])
    assert sorted(p.name for p in tmp.iterdir()) == before     # nothing written
