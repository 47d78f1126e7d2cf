"""Storage of the recommender: recorded interactions and model snapshots."""
