"""The shop's own details and the owner's setup checklist."""
