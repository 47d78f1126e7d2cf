"""The shop's own details, set by the owner in the chat (Tortoise app label "shop")."""
