"""Storage for campaigns, their per-recipient delivery rows and scheduled-job bookkeeping."""
