"""The bureau node's HTTP API: one router per audience (hospitals, insurers, patients)."""
