"""Catalogue storage: categories, products, variants, favourites, history and search index."""
