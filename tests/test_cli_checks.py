"""Every ``eie`` subcommand refuses a bad argument before doing any work: one line
``eie CMD: error: …`` naming the argument and echoing the value, exit status 2."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.apps.cli import main

ROOT = Path(__file__).resolve().parent.parent


def exit_status(argv):
    """The exit status of ``eie ARGV`` run in-process (``argparse`` exits, commands return)."""
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


@pytest.fixture
def inputs(tmp_path, monkeypatch):
    """A directory with a file ``x.npy`` and a file ``f.txt``, as the current directory."""
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "x.npy", np.zeros((2, 3)))
    (tmp_path / "f.txt").write_text("not a directory")
    return tmp_path


@pytest.mark.parametrize("argv, message", [
    # bench
    ("bench --pes 0", r"argument --pes: must be between 1 and 256, not 0"),
    ("bench --pes 6", r"argument --pes: must be a power of two, not 6"),
    ("bench --fifo 0", r"argument --fifo: must be between 1 and 1024, not 0"),
    ("bench --seed -1", r"argument --seed: must be a non-negative integer, not -1"),
    ("bench --row-sigma -0.5", r"argument --row-sigma: must be a non-negative number, not -0.5"),
    ("bench --image-pes 2 3", r"argument --image-pes: must be a power of two, not 3"),
    ("bench --image none.eie", r"argument --image: no such file: 'none.eie'"),
    ("bench --json no/b.json", r"argument --json: the directory of 'no/b.json' does not exist"),
    ("bench --inputs x.npy", r"--inputs needs --image"),
    ("bench --inputs x.npy --image-pes 2", r"--inputs, --image-pes need --image"),
    ("bench --image x.npy --pes 8 --layers NT-We",
     r"--pes, --layers cannot be used with --image \(it times the image's layers at "
     r"--image-pes\)"),
    ("bench --image x.npy --sweep fifo",
     r"--sweep fifo cannot be used with --image \(only --sweep broadcast\)"),
    ("bench --image x.npy --plot p.png", r"--plot needs --sweep"),
    ("bench --plot p.png", r"--plot needs --sweep"),
    ("bench --load-plot p.png", r"--load-plot needs --balance"),
    # regress
    ("regress --count 0", r"argument --count: must be a positive integer, not 0"),
    ("regress --pes 3", r"argument --pes: must be a power of two, not 3"),
    ("regress --fifo -1", r"argument --fifo: must be between 1 and 1024, not -1"),
    ("regress --seed -5", r"argument --seed: must be a non-negative integer, not -5"),
    # demo
    ("demo --pes 1024", r"argument --pes: must be between 1 and 256, not 1024"),
    ("demo --limit 0", r"argument --limit: must be a positive integer, not 0"),
    ("demo --out f.txt", r"argument --out: must be a directory, not the file 'f.txt'"),
    # build
    ("build --board icebreaker --pes 0", r"argument --pes: must be between 1 and 256, not 0"),
    ("build --board icebreaker --baud 0", r"argument --baud: must be a positive integer, not 0"),
    ("build --board ulx3s-85f --freq -30", r"argument --freq: must be a positive number, not -30"),
    ("build --board icebreaker --build-dir f.txt",
     r"argument --build-dir: must be a directory, not the file 'f.txt'"),
    ("build --board icebreaker --freq 400 --dry-run",
     r"--freq 400: the closest clock icebreaker's PLL makes from 12 MHz is 270 MHz"),
    ("build --board ulx3s-85f --freq 5000 --dry-run",
     r"--freq 5000: the closest clock ulx3s-85f's PLL makes from 25 MHz is 800 MHz"),
    ("build --board icebreaker --baud 24000000 --dry-run",
     r"--baud 24000000: baud rate 24000000 is too fast for a 24 MHz clock"),
    # run
    ("run --sim none.eie --input x.npy", r"argument image: no such file: 'none.eie'"),
    ("run --sim x.npy --input none.npy", r"argument --input: no such file: 'none.npy'"),
    ("run --sim x.npy --input x.npy --timeout 0",
     r"argument --timeout: must be a positive number, not 0"),
    ("run --sim x.npy --input x.npy --pes 2", r"--pes needs --board"),
    ("run --port /dev/null x.npy --input x.npy --uart", r"--uart needs --sim"),
    ("run --sim x.npy --input x.npy --baud 9600", r"--baud needs --port"),
    # unpack, pack
    ("unpack none.eiz", r"argument MODEL.eiz: no such file: 'none.eiz'"),
    ("unpack x.npy -o no/x.eie", r"argument -o/--output: the directory of 'no/x.eie' does not "
                                 r"exist"),
    ("pack f.txt -o .", r"argument -o/--output: must be a file to write, not the directory '.'"),
    # cnn-demo
    ("cnn-demo --pes 3", r"argument --pes: must be a power of two, not 3"),
    ("cnn-demo --limit 0", r"argument --limit: must be a positive integer, not 0"),
    ("cnn-demo --out f.txt", r"argument --out: must be a directory, not the file 'f.txt'"),
])
def test_bad_argument(inputs, capsys, argv, message):
    assert exit_status(argv.split()) == 2
    err = capsys.readouterr().err.splitlines()
    command = argv.split()[0]
    assert re.fullmatch(rf"eie {command}: error: {message}", err[-1]), err
    assert not (inputs / "build").exists()      # eie build wrote no project


def test_exit_status_and_no_traceback():
    """The real command line: status 2 and argparse's usage + one error line, no traceback."""
    proc = subprocess.run([sys.executable, "-m", "sim.apps.cli", "bench", "--pes", "0"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("usage: eie bench ")
    assert lines[-1] == "eie bench: error: argument --pes: must be between 1 and 256, not 0"
    assert "Traceback" not in proc.stderr
