"""The insurer node: its keys, policies, and real-time authorisation of its layer at discharge.

Built so far: settings, keystore (chain key and rotating X25519 sealing keys), its own
database, and the server side of :mod:`trustshare.gateway.realtime_contract`.
"""
