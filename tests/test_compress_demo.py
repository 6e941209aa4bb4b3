"""End to end: the digits demo in quick mode, checked against independent recomputation."""

import json
import time

import numpy as np

from compress.demo import digits_data, run_digits_demo
from compress.storage import load_compressed
from eie_hw.config import EIEConfig
from eie_hw.fixedpoint import act_to_fixed
from eie_hw.image import load_image
from eie_hw.image.fileformat import image_to_bytes
from sim.models.golden import GoldenModel


def test_digits_demo_quick(tmp_path):
    config = EIEConfig(n_pes=4)
    start = time.perf_counter()
    report = run_digits_demo(tmp_path / "out", config, quick=True, cache_dir=tmp_path / "cache",
                             progress=False)
    elapsed = time.perf_counter() - start
    print(f"quick demo: {elapsed:.1f} s, accuracy {report['accuracy']}, "
          f"ratio {report['compression']['ratio']:.1f}x")
    assert elapsed < 30
    out = tmp_path / "out"
    assert json.loads((out / "report.json").read_text())["accuracy"] == report["accuracy"]
    for name in ("digits.eie", "digits.eiz", "report.txt", "weights.png", "sparsity.png",
                 "sensitivity.png"):
        assert (out / name).stat().st_size > 0, name

    # Golden accuracy recomputed from the file on disk and the data split.
    image = load_image(out / "digits.eie")
    assert image.config == config
    x, y = digits_data(report["seed"])["test"]
    golden = GoldenModel(image).run(act_to_fixed(config, x)).argmax(axis=1)
    assert report["accuracy"]["compressed_golden_test"] == np.mean(golden == y)
    assert report["data"]["test"] == len(y)

    # Ratio recomputed from the per-layer figures.
    layers = report["layers"]
    dense = sum(32 * (a["n_in"] * a["n_out"] + a["n_out"]) for a in layers)
    coded = sum(a["pqh"][k] for a in layers
                for k in ("weight_bits", "index_bits", "codebook_bits", "bias_bits"))
    assert report["compression"]["ratio"] == dense / coded
    assert report["compression"]["image_file_bytes"] == (out / "digits.eie").stat().st_size

    # The .eiz file gives the .eie image back bit for bit; its ratio is the file's size.
    eiz = (out / "digits.eiz").stat().st_size
    assert image_to_bytes(load_compressed(out / "digits.eiz")) == (out / "digits.eie").read_bytes()
    assert report["compression"]["compressed_file_bytes"] == eiz
    assert report["compression"]["ratio_file"] == dense / (8 * eiz)
    assert report["files"]["compressed"] == "digits.eiz"
    assert [a["relu"] for a in layers] == [True, True, False]
    for a, q in zip(layers, image.decode(), strict=True):
        assert a["nonzeros"] == np.count_nonzero(q.index)

    # The compressed model is a real classifier, and the fixed-point image agrees with it.
    assert report["accuracy"]["compressed_golden_test"] > 0.5
    assert report["accuracy"]["golden_pytorch_agreement"] >= 0.99

    # A second run reuses the dense checkpoint.
    again = run_digits_demo(tmp_path / "out2", config, quick=True, cache_dir=tmp_path / "cache",
                            progress=False)
    assert again["timing_s"]["dense_cached"] and not report["timing_s"]["dense_cached"]
    assert again["accuracy"]["float_test"] == report["accuracy"]["float_test"]
