"""Promotion campaigns: the admin's /campaign and the shopper's side (/settings, promo buttons)."""
