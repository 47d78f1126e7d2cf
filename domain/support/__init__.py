"""The support line: shoppers' conversations with the shop's staff, blocks, maintenance mode."""
