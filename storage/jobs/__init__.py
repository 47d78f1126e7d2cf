"""Tortoise app "jobs": cart-reminder and low-stock markers (models only; their repositories
live with their features: storage/orders/cart_reminders.py, storage/alerts/low_stock.py)."""
