"""The scenario ``make demo`` plays on a real local network (``trustshare demo``).

:func:`trustshare.scenario.run.run_demo` starts the network with :mod:`trustshare.network`
(two provincial bureaus, two insurers, each node its own process), gives each patient a wallet
(:mod:`trustshare.wallet`), and walks every flow — binding, consent, one-click enrollment,
one-stop settlement at discharge, clearing, a cross-province fast claim, a refund that reverses
a claim, a revoked consent and a tampered record — printing each step with its figures and
transactions, then a table per patient and a summary. Every expected outcome is checked
(:mod:`trustshare.scenario.checks`); the network is stopped at the end.
"""
