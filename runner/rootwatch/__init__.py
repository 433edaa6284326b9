"""rootwatch: a compliance mod and runner for the AWS root user.

The library surface is in :mod:`rootwatch.api`; the ``rootwatch`` command is a thin layer over it.
Heavy dependencies (sqlglot, DuckDB, psycopg) are imported only when a command needs them, so
``rootwatch --help`` and listings start quickly.
"""

__version__ = "0.1.0"
