"""The support line's tables (Tortoise app "support") and its repository."""
