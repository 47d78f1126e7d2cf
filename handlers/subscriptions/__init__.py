"""Stars subscriptions in the chat: the shopper's screen and payments, the merchant's commands."""
