"""Config for Tortoise's migration CLI: `tortoise -c tortoise_config.TORTOISE_ORM makemigrations`.

The database comes from DATABASE_URL like everywhere else (default: the SQLite file in data/).
"""

import os

from storage.db import tortoise_config

TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL", "sqlite://data/kiosk.sqlite3"))
