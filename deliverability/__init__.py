"""Deliverability analytics: provider delivery reports in, explained failure rates out."""

__version__ = "0.1.0"
