"""The owner's first run: the setup checklist and its way back after each step's flow."""
