"""Profile: name, phone (shared by button), language, promotions opt-in, addresses."""
