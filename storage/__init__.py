"""Persistence: Tortoise models, migrations, repositories implementing domain Protocols, Redis."""
