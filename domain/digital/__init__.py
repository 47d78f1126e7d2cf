"""Digital goods: the pool of units (codes, keys, links or files) a digital product sells.

`units` holds the entities and the import parsing (pasted lines, .csv/.txt documents, files),
`service` the merchant's and buyer's operations. Taking a unit for an order happens in storage,
inside the payment's transaction (storage.orders.repository), exactly one per item bought.
"""
