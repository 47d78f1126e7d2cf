"""The storefront's routes, one module per feature, as in handlers/."""
