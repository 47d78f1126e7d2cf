"""The support line in chat: shoppers write to the shop, staff answer in place (a forum topic
per shopper in the staff group, or replies in their private chats); blocks; maintenance."""
