"""Rules as data: one YAML file per region policy (``regions/``) and per product (``products/``).

Loaded and validated by :func:`trustshare.domain.load_rules`; read as package resources.
"""
