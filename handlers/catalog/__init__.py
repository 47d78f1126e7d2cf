"""Shopping UI: browse the category tree, product cards, search, inline mode, favourites,
recently viewed and product reviews. Each module has its own router (see handlers/__init__)."""
