"""The models of the engine: the bit-exact golden model (:mod:`.golden`), the per-cycle
reference (:mod:`.cycle_reference`) and the cycle recurrence (:mod:`.cycle_model`) with their
result types (:mod:`.timing_result`). They depend only on the hardware contract and the image
format (docs/architecture.md)."""
