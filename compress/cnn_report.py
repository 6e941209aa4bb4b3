"""The CNN demo's report: Deep Compression's Table 1 (error, size, compression rate of the whole
network) and Table 3 (per layer: weights kept, bits per weight and index, compression rate)
for a network whose convolutions are counted by :mod:`compress.conv_accounting` and whose fully
connected part by :mod:`compress.accounting`. NumPy/stdlib only."""

__all__ = ["network_bytes", "cnn_tables"]

_CORE = ("weight_bits", "index_bits", "codebook_bits", "bias_bits")


def _core(a, scheme):
    return sum(a[scheme][k] for k in _CORE)


def network_bytes(convs, fcs):
    """Sizes of the whole network in bytes: ``dense`` (float32), ``pq`` and ``pqh`` (Deep
    Compression's counting: weights, indices, codebooks, biases), ``pqh_with_pointers`` (adds
    the EIE part's column pointers), ``eiz_file`` (the EIE part's actual ``.eiz`` file) and
    ``host_pqh`` / ``eie_pqh`` (the two parts' counted sizes), with the ratios ``ratio_pq``,
    ``ratio_pqh`` and ``ratio_pqh_with_pointers``."""
    total = fcs["total"]
    dense = sum(a["dense_bits"] for a in convs) + total["dense_bits"]
    host_pq, host_pqh = sum(_core(a, "pq") for a in convs), sum(_core(a, "pqh") for a in convs)
    eie_pq, eie_pqh = _core(total, "pq"), _core(total, "pqh")
    pointers = total["pqh"]["pointer_bits"]
    sizes = {"dense": dense / 8, "pq": (host_pq + eie_pq) / 8, "pqh": (host_pqh + eie_pqh) / 8,
             "pqh_with_pointers": (host_pqh + eie_pqh + pointers) / 8,
             "host_pqh": host_pqh / 8, "eie_pqh": eie_pqh / 8,
             "eiz_file": total["eiz_file_bytes"]}
    for k in ("pq", "pqh", "pqh_with_pointers"):
        sizes[f"ratio_{k}"] = sizes["dense"] / sizes[k]
    return sizes


def _row(a, where):
    pq, pqh = _core(a, "pq"), _core(a, "pqh")
    return (f"{a['name']:<8} {where:<5} {a['weights']:>7} {100 * a['density']:>6.1f}% "
            f"{a['weight_bits_per_entry']['pq']:>3} / {a['weight_bits_per_entry']['pqh']:<5.2f}"
            f"{a['index_bits_per_entry']['pq']:>3} / {a['index_bits_per_entry']['pqh']:<5.2f}"
            f"{_pct(pq / a['dense_bits']):>9} / {_pct(pqh / a['dense_bits']):<8}")


def _pct(value):
    return f"{100 * value:.2f}%"


def cnn_tables(report):
    """Table 1 and Table 3 of the CNN demo's ``report`` (:func:`compress.cnn.run_lenet5_demo`)
    as text."""
    acc, sizes = report["accuracy"], report["sizes"]
    kb = lambda n: f"{n / 1000:.1f} KB"  # noqa: E731 (a local formatting shorthand)
    head1 = f"{'network':<30} {'top-1 error':>11} {'parameters':>11} {'compression':>12}"
    lines = [head1, "-" * len(head1),
             f"{'LeNet-5 (digits) reference':<30} {100 * (1 - acc['float_test']):>10.2f}% "
             f"{kb(sizes['dense']):>11}",
             f"{'LeNet-5 (digits) compressed':<30} "
             f"{100 * (1 - acc['compressed_golden_test']):>10.2f}% {kb(sizes['pqh']):>11} "
             f"{sizes['ratio_pqh']:>11.1f}x",
             "",
             f"compressed: host convolutions (PyTorch) + fully connected part on EIE (golden "
             f"model, bit-exact with the RTL), {acc['test_samples']} test images; PyTorch "
             f"model {100 * (1 - acc['compressed_pytorch_test']):.2f}% error.",
             f"size counted as Deep Compression counts it (weights, indices, codebooks, "
             f"biases); with the EIE part's column pointers {kb(sizes['pqh_with_pointers'])} "
             f"({sizes['ratio_pqh_with_pointers']:.1f}x). The EIE part's .eiz file: "
             f"{sizes['eiz_file']} bytes (counted {sizes['eie_pqh']:.0f}); host part counted "
             f"{sizes['host_pqh']:.0f} bytes.",
             ""]
    head3 = (f"{'layer':<8} {'where':<5} {'#W':>7} {'W%':>7} {'w bits P+Q/H':>13}"
             f"{'i bits P+Q/H':>13} {'rate P+Q / P+Q+H':>18}")
    lines += [head3, "-" * len(head3)]
    lines += [_row(a, "host") for a in report["host_layers"]]
    lines += [_row(a, "EIE") for a in report["eie_layers"]]
    lines.append("")
    lines.append("W%: weights kept; bits per stored entry (padding and filler entries "
                 "included); rate: compressed / dense float32 (weights, indices, codebook, "
                 "biases). Host: 32-bit codebook values and biases; EIE: 16-bit.")
    return "\n".join(lines)
