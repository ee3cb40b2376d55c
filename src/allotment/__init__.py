"""Allotment: entitlements, plans, usage metering and billing for multi-tenant SaaS."""

__version__ = "0.1.0"
