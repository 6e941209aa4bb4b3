"""``eie compress MODEL``: a saved model, data files and errors through the CLI."""

import argparse
import json
import re

import numpy as np
import pytest
import torch
from torch import nn

from compress.cli import main, parse_sparsity
from compress.storage import load_compressed
from eie_hw.image import load_image
from eie_hw.image.fileformat import image_to_bytes


@pytest.fixture
def files(tmp_path, rng, seed):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(10, 30), nn.ReLU(), nn.Linear(30, 4))
    torch.save(model.state_dict(), tmp_path / "mlp.pt")
    x = rng.random((120, 10)).astype(np.float32)
    y = (x[:, :4].argmax(axis=1)).astype(np.int64)
    np.save(tmp_path / "x.npy", x)
    torch.save(torch.tensor(y), tmp_path / "y.pt")
    return tmp_path


def test_compress_saved_model(files, capsys):
    out = files / "out"
    status = main(["compress", str(files / "mlp.pt"), "--out", str(out), "--pes", "2",
                   "--sparsity", "0=0.8,2=0.5", "--bits", "3", "--epochs", "1",
                   "--prune-steps", "2", "--finetune-epochs", "1", "--no-progress",
                   "--train-x", str(files / "x.npy"), "--train-y", str(files / "y.pt"),
                   "--test-x", str(files / "x.npy"), "--test-y", str(files / "y.pt")])
    assert status == 0, capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    assert report["sparsity"] == pytest.approx({"0": 0.8, "2": 0.5}, abs=1 / 300)
    assert set(report["accuracy"]) >= {"float_test", "compressed_pytorch_test",
                                       "compressed_golden_test"}
    image = load_image(out / "mlp.eie")
    assert image.config.n_pes == 2
    assert len(image_to_bytes(image)) == report["image_file_bytes"]
    assert all(q.index.max() < 8 for q in image.decode())  # 3 bits: 7 shared values + zero
    assert "total" in (out / "report.txt").read_text()
    assert image_to_bytes(load_compressed(out / "mlp.eiz")) == (out / "mlp.eie").read_bytes()
    assert report["compressed"] == "mlp.eiz"
    assert report["compressed_file_bytes"] == (out / "mlp.eiz").stat().st_size
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"wrote {out / 'mlp.eie'}, {out / 'mlp.eiz'} and {out / 'report.json'}")


def test_pe_balanced_pruning_equalises_the_pes(files, capsys):
    """``--pe-balanced-pruning``: every PE (rows i mod N) of every layer stores the same
    number of non-zero weights (to within one), counted on the written image."""
    out = files / "out"
    status = main(["compress", str(files / "mlp.pt"), "--out", str(out), "--pes", "4",
                   "--sparsity", "0.7", "--epochs", "1", "--prune-steps", "2",
                   "--finetune-epochs", "1", "--no-progress", "--pe-balanced-pruning",
                   "--train-x", str(files / "x.npy"), "--train-y", str(files / "y.pt")])
    assert status == 0, capsys.readouterr().err
    assert json.loads((out / "report.json").read_text())["settings"]["prune_groups"] == 4
    for layer in load_image(out / "mlp.eie").decode():
        nonzero = layer.index != 0
        counts = [int(nonzero[k::4].sum()) for k in range(4)]
        assert max(counts) - min(counts) <= 1, counts


def exit_status(argv):
    """The exit status of ``main(argv)``, whether it returns it or ``argparse`` exits."""
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


@pytest.mark.parametrize("extra, message", [
    (["--bits", "5"], r"--bits 5 needs a 32-entry codebook; the configuration holds 16 "
                      r"\(weight_index_bits=4\)"),
    (["--bits", "0"], r"argument --bits: must be a positive integer, not 0"),
    (["--pes", "3"], r"argument --pes: must be a power of two, not 3"),
    (["--sparsity", "1.2"], r"argument --sparsity: must be a fraction in \[0, 1\), not 1.2"),
    (["--sparsity", "0=half"],
     r"argument --sparsity: the value for layer '0' must be a number, not 'half'"),
    (["--sparsity", "0=0.5,0.8"], r"argument --sparsity: items must be NAME=FRACTION, not '0.8'"),
    (["--prune-steps", "0"], r"argument --prune-steps: must be a positive integer, not 0"),
    (["--epochs", "-1"], r"argument --epochs: must be a non-negative integer, not -1"),
    (["--lr", "0"], r"argument --lr: must be a positive number, not 0"),
    (["--seed", "-2"], r"argument --seed: must be a non-negative integer, not -2"),
    (["--train-x", "x.npy"], r"--train-x and --train-y go together"),
    (["--test-y", "none.npy"], r"argument --test-y: no such file: 'none.npy'"),
    (["--quick", "--cache-dir", "c"], r"--quick, --cache-dir need --demo"),
    (["--demo", "digits"], r"give either MODEL or --demo"),
])
def test_errors_exit_2_with_a_message(files, capsys, monkeypatch, extra, message):
    monkeypatch.chdir(files)
    status = exit_status(["compress", "mlp.pt", "--out", "out", "--no-progress", *extra])
    assert status == 2
    err = capsys.readouterr().err.splitlines()
    assert re.fullmatch(rf"eie compress: error: {message}", err[-1]), err
    assert not list(files.glob("out/*.eie"))


@pytest.mark.parametrize("argv, message", [
    (["none.pt", "--out", "out"], r"argument model: no such file: 'none.pt'"),
    (["mlp.pt", "--out", "mlp.pt"], r"argument --out: must be a directory, not the file 'mlp.pt'"),
    (["--demo", "digits", "--out", "out", "--epochs", "3", "--sparsity", "0.5"],
     r"--sparsity, --epochs cannot be used with --demo \(the demo has its own settings\)"),
    (["--demo", "lenet5", "--out", "out", "--dsd"],
     r"--demo lenet5 takes only --pes, --quick, --seed and --no-progress"),
])
def test_files_and_combinations_are_checked_first(files, capsys, monkeypatch, argv, message):
    """A missing model, an output directory that is a file and options the demo would ignore
    are refused before any training (the demo would take seconds to minutes)."""
    monkeypatch.chdir(files)
    assert exit_status(["compress", *argv]) == 2
    assert re.fullmatch(rf"eie compress: error: {message}", capsys.readouterr().err
                        .splitlines()[-1])
    assert not (files / "out").exists()


def test_mismatched_retraining_data(files, capsys, rng):
    np.save(files / "bad.npy", rng.random((120, 9)))
    status = main(["compress", str(files / "mlp.pt"), "--out", str(files / "out"),
                   "--train-x", str(files / "bad.npy"), "--train-y", str(files / "y.pt")])
    assert status == 2
    assert "retraining data: inputs must have shape (N, 10)" in capsys.readouterr().err


def test_parse_sparsity():
    assert parse_sparsity("0.5") == 0.5
    assert parse_sparsity("fc1=0.9, fc2=0.8") == {"fc1": 0.9, "fc2": 0.8}
    with pytest.raises(argparse.ArgumentTypeError,
                       match=r"^the value for layer 'fc2' must be a fraction in \[0, 1\), not 1$"):
        parse_sparsity("fc1=0.9,fc2=1")
