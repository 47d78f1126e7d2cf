"""The shop itself: entities, rules and services. Imports nothing from the rest of Kiosk."""
