"""Python client for Allotment (work in progress: see issue 4)."""

__version__ = "0.1.0"
