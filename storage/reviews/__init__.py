"""Product reviews (Tortoise app "reviews")."""
