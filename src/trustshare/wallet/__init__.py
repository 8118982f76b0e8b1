"""The patient's wallet: a key in an encrypted keystore, binding, consents, the access log.

Pure logic, no command line: ``trustshare.cli.patient`` is the thin layer over it. The wallet
reads the chain itself (the registries are the source of truth) and talks to the bureau over
HTTP; it imports only ``crypto``, ``chain`` and ``gateway``.
"""
