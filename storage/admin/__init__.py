"""Merchant admin storage: staff, audit log, stock ledger, catalogue tools."""
