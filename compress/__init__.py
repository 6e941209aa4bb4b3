"""The Deep Compression front end and the EIE image writer.

Light on purpose: importing ``compress`` pulls in no PyTorch. It writes the EIE image of
:mod:`eie_hw.image` (layer layout, network image, ``.eie`` file) and its compressed storage form
(``.eiz``). The modules, one idea each:

* :mod:`compress.prune` — magnitude pruning, masks, iterative schedules;
* :mod:`compress.sensitivity` — per-layer accuracy-vs-sparsity scan;
* :mod:`compress.kmeans` — 1-D k-means weight sharing (NumPy only);
* :mod:`compress.quantize` — shared-weight layers (linear and convolution), centroid fine-tuning;
* :mod:`compress.huffman` — canonical Huffman coding (pure Python);
* :mod:`compress.bitstream`, :mod:`compress.storage` — the ``.eiz`` file: the image in Deep
  Compression's storage form (Huffman-coded entries and column counts), its field types;
  :mod:`compress.storage_cli` — ``eie pack`` / ``eie unpack``;
* :mod:`compress.accounting` — storage accounting per layer (NumPy only);
* :mod:`compress.dsd` — dense-sparse-dense training;
* :mod:`compress.model` — which models EIE can run, loading saved models;
* :mod:`compress.train` — training and evaluation loops;
* :mod:`compress.pipeline` — prune → retrain → share → fine-tune;
* :mod:`compress.export` — image, plots, golden-model accuracy;
* :mod:`compress.report`, :mod:`compress.plots` — report and figures;
* :mod:`compress.cnn_model` — a CNN's host part (convolutions) and EIE part;
  :mod:`compress.conv_accounting` — a convolution's storage in Deep Compression's form;
* :mod:`compress.demo` — the digits demo; :mod:`compress.cnn`, :mod:`compress.cnn_report` —
  the LeNet-5 demo and its tables; :mod:`compress.cli` — ``eie compress``.
"""
