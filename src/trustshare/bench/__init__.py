"""Benchmarks: each headline figure measured on this machine, and ``trustshare bench`` over all.

One module per measurement (:mod:`~trustshare.bench.engine`, :mod:`~trustshare.bench.clearing`,
:mod:`~trustshare.bench.hospital`, :mod:`~trustshare.bench.realtime`,
:mod:`~trustshare.bench.claims`, :mod:`~trustshare.bench.consent`), the run over all of them
(:mod:`~trustshare.bench.runner`) and its table (:mod:`~trustshare.bench.report`). Method and
recorded figures: docs/BENCHMARKS.md. Speed is measured here, never asserted in tests.
"""
