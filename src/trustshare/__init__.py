"""TrustShare: one-stop settlement of basic and commercial health insurance over a trusted chain."""

__version__ = "0.1.0"
