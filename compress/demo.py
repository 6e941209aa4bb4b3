"""The digits demo: LeNet-300-100 scaled to scikit-learn's 8×8 digits, compressed for EIE.

``run_digits_demo`` trains a 64-300-100-10 ReLU MLP (or loads it from the checkpoint cache),
scans per-layer pruning sensitivity on a validation split, prunes iteratively with retraining,
shares weights with k-means (4 bits: 15 centroids and the reserved zero), fine-tunes the
centroids, exports the ``.eie`` image and its Huffman-coded storage form (``.eiz``), and
measures test accuracy three ways: the float model, the compressed PyTorch model, and the
bit-exact golden model running the fixed-point image read back from disk. With ``dsd`` the
dense model is first retrained by Dense-Sparse-Dense (:mod:`compress.dsd`).

Data: ``load_digits`` scaled to ``[0, 1]`` (pixel / 16, exact in activation fixed point),
a stratified 70/30 train/test split and 20 % of train held out for validation, all seeded.
The per-layer sparsities below were chosen from the validation sensitivity scan; the test split
is only ever evaluated.
"""

import contextlib
import copy
import hashlib
import json
import os
import tempfile
import time
from collections import OrderedDict
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from eie_hw.image import load_image
from sim.models.golden import GoldenModel

from .dsd import dsd_classifier
from .export import export_model
from .pipeline import Settings, compress_model
from .plots import plot_sensitivity
from .report import format_table, write_report
from .sensitivity import sensitivity_scan
from .train import accuracy, predict, train

__all__ = ["run_digits_demo", "digits_data", "digits_mlp", "DIGITS_SIZES", "demo_settings",
           "torch_threads"]

DIGITS_SIZES = (64, 300, 100, 10)
# Deep Compression prunes LeNet-300-100 to 8 % / 9 % / 26 %; these are the digits analogue,
# picked from the validation sensitivity scan (the first and last layer are the most sensitive).
DIGITS_SPARSITY = {"fc1": 0.92, "fc2": 0.95, "fc3": 0.75}
_DENSE = {"epochs": 60, "lr": 1e-3, "batch_size": 64}
_DENSE_QUICK = {"epochs": 30, "lr": 2e-3, "batch_size": 64}


def digits_data(seed=0):
    """``{"train": (x, y), "validation": (x, y), "test": (x, y)}`` as float32 / int64 arrays."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3,
                                                        random_state=seed, stratify=y)
    x_fit, x_val, y_fit, y_val = train_test_split(x_train, y_train, test_size=0.2,
                                                  random_state=seed, stratify=y_train)
    return {"train": (x_fit, y_fit), "validation": (x_val, y_val), "test": (x_test, y_test)}


def digits_mlp(sizes=DIGITS_SIZES, seed=0):
    """The ``fc1 … fcN`` ReLU MLP (no ReLU after the last layer)."""
    torch.manual_seed(seed)
    modules = OrderedDict()
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:], strict=False)):
        modules[f"fc{i + 1}"] = nn.Linear(n_in, n_out)
        if i < len(sizes) - 2:
            modules[f"relu{i + 1}"] = nn.ReLU()
    return nn.Sequential(modules)


def demo_settings(quick=False, seed=0):
    """The compression :class:`~compress.pipeline.Settings` of the demo."""
    if quick:
        return Settings(sparsity=dict(DIGITS_SPARSITY), bits=4, prune_steps=3,
                        retrain_epochs=8, finetune_epochs=8, lr=1e-3, finetune_lr=1e-4,
                        seed=seed)
    # Schedule chosen by the mean validation loss over seeds 0-4 (the test split is not used).
    return Settings(sparsity=dict(DIGITS_SPARSITY), bits=4, prune_steps=5, retrain_epochs=25,
                    finetune_epochs=20, lr=1e-3, finetune_lr=1e-4, batch_size=32, seed=seed)


def _default_cache():
    return Path(os.environ.get("EIE_CACHE_DIR", Path.home() / ".cache" / "eie"))


def _dense_model(data, seed, quick, cache_dir, progress):
    """Train the dense model or load it from ``cache_dir`` (keyed by everything that shapes
    it). Returns ``(model, cached)``."""
    hyper = _DENSE_QUICK if quick else _DENSE
    key = json.dumps({"sizes": DIGITS_SIZES, "seed": seed, "hyper": hyper,
                      "torch": torch.__version__.split("+")[0], "v": 1}, sort_keys=True)
    path = Path(cache_dir) / f"digits-mlp-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"
    model = digits_mlp(seed=seed)
    if path.exists():
        try:
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
            return model, True
        except (RuntimeError, ValueError, OSError, EOFError):
            pass  # a stale or corrupt cache entry is retrained and overwritten
    x, y = (torch.as_tensor(a) for a in data["train"])
    train(model, x, y, epochs=hyper["epochs"], lr=hyper["lr"], batch_size=hyper["batch_size"],
          seed=seed, progress=progress, desc="dense training")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return model, False


@contextlib.contextmanager
def torch_threads(n):
    """Tiny MLPs train faster on one thread than on two (less synchronisation)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _pe_balance(config, index):
    """Entries per PE (padding included) under ``i mod N`` and the balanced row order."""
    from eie_hw.image.balance import balanced_row_order, pe_loads

    result = {}
    for name, order in (("i_mod_n", None),
                        ("balanced", balanced_row_order(index, config.n_pes,
                                                        config.max_zero_run))):
        loads = pe_loads(index, config.n_pes, config.max_zero_run, order)
        result[name] = {"max": int(loads.max()), "mean": float(loads.mean()),
                        "max_over_mean": float(loads.max() / loads.mean())}
    return result


def run_digits_demo(out_dir, config, quick=False, *, cache_dir=None, seed=0, progress=True,
                    threads=1, balance=False, pe_balanced_pruning=False, dsd=None):
    """Run the demo, write ``out_dir/{digits.eie, digits.eiz, report.json, report.txt, *.png}``
    and return the report dictionary (see ``report.json``).

    ``config`` is the :class:`~eie_hw.config.EIEConfig` the image is built for (use a board-size
    ``n_pes`` such as 4 or 8). ``cache_dir`` holds the dense checkpoint (default
    ``$EIE_CACHE_DIR`` or ``~/.cache/eie``). ``balance`` uses the load-balanced row order;
    ``pe_balanced_pruning`` prunes every PE's rows to the same count (ESE). ``dsd``
    (:class:`~compress.dsd.DSDSettings`) retrains the dense model with Dense-Sparse-Dense
    before it is compressed; the report's ``dsd`` section then holds the plain model's
    accuracies beside it (``accuracy.float_test`` is the DSD model's).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir = _default_cache() if cache_dir is None else Path(cache_dir)
    started = time.perf_counter()
    with torch_threads(threads):
        data = digits_data(seed)
        x_val, y_val = data["validation"]
        x_test, y_test = data["test"]
        dense, cached = _dense_model(data, seed, quick, cache_dir, progress)
        dsd_report = None
        if dsd is not None:
            dsd_report = {"settings": asdict(dsd),
                          "plain_float_test": accuracy(dense, x_test, y_test),
                          "plain_float_validation": accuracy(dense, x_val, y_val)}
            dense, dsd_report["losses"] = dsd_classifier(copy.deepcopy(dense), data["train"],
                                                         dsd, seed=seed, progress=progress)
        t_dense = time.perf_counter()
        scan = sensitivity_scan(dense, lambda m: accuracy(m, x_val, y_val),
                                (0.0, 0.5, 0.8, 0.9, 0.95, 0.98) if quick else
                                (0.0, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.99))
        settings = demo_settings(quick, seed)
        if pe_balanced_pruning:
            settings = replace(settings, prune_groups=config.n_pes)
        compressed, info = compress_model(copy.deepcopy(dense), settings, data["train"],
                                          progress=progress)
        t_compress = time.perf_counter()
        result = export_model(compressed, config, out_dir, stem="digits",
                              float_weights=info["weights"], balance=balance)
        plot_sensitivity(scan, out_dir / "sensitivity.png",
                         baseline=accuracy(dense, x_val, y_val))
        image = load_image(result["image_path"])  # the golden model runs what is on disk
        golden = GoldenModel(image).predict(x_test)
        torch_pred = predict(compressed, x_test)
    t_end = time.perf_counter()

    float_acc = accuracy(dense, x_test, y_test)
    torch_acc = float(np.mean(torch_pred == y_test))
    golden_acc = float(np.mean(golden == y_test))
    acc_table = result["accounting"]
    total = acc_table["total"]
    layers = []
    for a, q, name in zip(acc_table["layers"], result["layers"], result["names"], strict=True):
        layers.append({**a, "w_frac": q.w_frac, "relu": q.relu,
                       "pe_entries": _pe_balance(config, q.index),
                       "sparsity": info["sparsity"][name]})
    report = {
        "demo": "digits", "quick": quick, "seed": seed, "config": config.to_dict(),
        "balanced_rows": balance,
        "dsd": dsd_report,
        "architecture": list(DIGITS_SIZES),
        "data": {k: len(v[1]) for k, v in data.items()} | {
            "split": "load_digits / 16; stratified test 30 %, validation 20 % of train; "
                     f"random_state={seed}"},
        "settings": asdict(settings),
        "accuracy": {
            "float_test": float_acc,
            "float_validation": accuracy(dense, x_val, y_val),
            "compressed_pytorch_test": torch_acc,
            "compressed_golden_test": golden_acc,
            "compressed_pytorch_validation": accuracy(compressed, x_val, y_val),
            "loss_pp": 100 * (float_acc - golden_acc),
            "golden_vs_pytorch_pp": 100 * (golden_acc - torch_acc),
            "golden_pytorch_agreement": float(np.mean(golden == torch_pred)),
        },
        "compression": {
            "ratio": total["ratio_pqh"],
            "ratio_counting": "dense float32 weights+biases / Huffman-coded weight indices + "
                              "relative indices (actual EIE entries, padding included) + "
                              "codebook + 16-bit biases; pointers excluded as in Deep "
                              "Compression (see ratio_pqh_with_pointers)",
            "ratio_pq": total["ratio_pq"], "ratio_pqh": total["ratio_pqh"],
            "ratio_pq_with_pointers": total["ratio_pq_with_pointers"],
            "ratio_pqh_with_pointers": total["ratio_pqh_with_pointers"],
            "dense_bits": total["dense_bits"], "density": total["density"],
            "image_file_bytes": result["image_bytes"],
            "ratio_vs_image_file": total["dense_bits"] / (8 * result["image_bytes"]),
            "compressed_file_bytes": result["compressed_bytes"],
            "ratio_file": total["ratio_eiz"],
        },
        "totals": total,
        "layers": layers,
        "sensitivity": scan,
        "timing_s": {"dense": t_dense - started, "dense_cached": cached,
                     "compress": t_compress - t_dense, "export_and_golden": t_end - t_compress,
                     "total": t_end - started},
        "files": {"image": result["image_path"].name,
                  "compressed": result["compressed_path"].name, **{k: Path(v).name for k, v in
                                                           result["plots"].items()},
                  "sensitivity": "sensitivity.png", "table": "report.txt"},
    }
    report["targets"] = {
        "ratio_at_least_40x": report["compression"]["ratio"] >= 40,
        "file_ratio_at_least_40x": report["compression"]["ratio_file"] >= 40,
        "loss_at_most_0.5pp": report["accuracy"]["loss_pp"] <= 0.5,
        "golden_within_0.2pp_of_pytorch": abs(report["accuracy"]["golden_vs_pytorch_pp"]) <= 0.2,
    }
    table = format_table(acc_table)
    summary = (f"float test {100 * float_acc:.2f}%  compressed: PyTorch {100 * torch_acc:.2f}%"
               f"  golden {100 * golden_acc:.2f}%  ratio {total['ratio_pqh']:.1f}x "
               f"(P+Q {total['ratio_pq']:.1f}x, with pointers "
               f"{total['ratio_pqh_with_pointers']:.1f}x; the .eiz file "
               f"{total['ratio_eiz']:.1f}x)")
    write_report(out_dir, report, table=summary + "\n\n" + table)
    return report
