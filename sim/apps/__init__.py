"""The applications: the ``eie`` command (:mod:`.cli`), the demo, the benchmark, the
regression runner and the load-balance report. They may use every layer below them
(docs/architecture.md)."""
