"""Connection strings: defaults and the masked form that is safe to print."""

from __future__ import annotations

import os

from rootwatch.masking import mask_secrets, secrets_in

STEAMPIPE_DSN = "postgres://steampipe@127.0.0.1:9193/steampipe"
DATABASE_ENV = "ROOTWATCH_DATABASE"
DUCKDB_SCHEME = "duckdb:"


def duckdb_path(dsn: str) -> str | None:
    """The file a ``duckdb:`` connection string names, or None for any other string.

    Powerpipe's form ``duckdb:///path/to/org.duckdb`` names ``/path/to/org.duckdb``;
    ``duckdb://org.duckdb`` a path relative to the working directory.
    """
    if not dsn.lower().startswith(DUCKDB_SCHEME):
        return None
    rest = dsn[len(DUCKDB_SCHEME):]
    return rest[2:] if rest.startswith("//") else rest


def default_dsn() -> str:
    """``$ROOTWATCH_DATABASE`` or Steampipe's local service."""
    return os.environ.get(DATABASE_ENV) or STEAMPIPE_DSN


def mask_dsn(dsn: str) -> str:
    """``dsn`` without its password, as ``postgres://user:***@host:port/db``."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        params = conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001 - an unparsable DSN is still masked by pattern
        return mask_secrets(dsn)
    user = params.get("user", "")
    secret = ":***" if params.get("password") else ""
    host = params.get("host", "")
    port = f":{params['port']}" if params.get("port") else ""
    database = params.get("dbname", "")
    auth = f"{user}{secret}@" if user or secret else ""
    # A password holding "@" leaves its tail in the host: mask the result as any message is.
    return mask_secrets(f"postgres://{auth}{host}{port}/{database}", secrets_in([dsn]))


def hide_password(message: str, dsn: str) -> str:
    """``message`` with the DSN's password masked (a DSN parse error can quote the DSN)."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        password = conninfo_to_dict(dsn).get("password")
    except Exception:  # noqa: BLE001 - an unparsable DSN: whatever in it looks secret
        password = None
    if password:
        message = message.replace(str(password), "***")
    return mask_secrets(message, secrets_in([dsn]))
