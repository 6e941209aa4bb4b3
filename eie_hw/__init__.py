"""The EIE hardware and its contract (docs/architecture.md).

* the hardware contract: :mod:`eie_hw.config` (``EIEConfig``, every width and depth),
  :mod:`eie_hw.entry` (the sparse entry and memory word), :mod:`eie_hw.fixedpoint` (number
  formats), :mod:`eie_hw.timing` (the cycle contract's latencies) and :mod:`eie_hw.protocol`
  (the host protocol: memory map, words, status, the host port's signature);
* :mod:`eie_hw.image` — the image format, what the compressor writes and the engines load;
* :mod:`eie_hw.host` — the host words and the one host session;
* :mod:`eie_hw.rtl` — the Amaranth RTL of the array and its Verilog export.
"""
