"""Back-in-stock subscriptions and price-drop alerts (Tortoise app label "alerts")."""
