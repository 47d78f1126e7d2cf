"""Tortoise app "admin": the staff, audit-log and stock-movement tables (their models stay here:
app labels and migration chains depend on them). The repositories live with their features:
storage/staff/, storage/inventory/, storage/catalog/merchant.py."""
