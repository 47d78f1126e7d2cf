"""The merchant admin in the chat: /admin menu, goods, categories, import/export, stock, staff,
audit log. Every router here filters on IsStaff (security.py) for messages AND callbacks."""
