"""Stars subscriptions: plans (a product sold as a 30-day membership in Telegram Stars), the
shoppers' subscriptions, their charges, and the benefits they grant while active."""
