"""The Postgres dialect controls are written in, as sqlglot should read it for rootwatch.

sqlglot's Postgres reader turns ``to_char(ts, 'FMMonth DD')`` into a strftime-style node and loses
the original format on the way (``Month`` becomes ``%month``). Reading ``to_char`` as a plain
function call keeps the Postgres format intact: the Postgres engine receives it unchanged and the
DuckDB rewrite (``duckdb_rewrites.to_char``) translates it token by token.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres


def _plain_call(name: str):  # noqa: ANN202 - sqlglot's builder signature
    def build(args: list[exp.Expression]) -> exp.Expression:
        return exp.Anonymous(this=name, expressions=args)

    return build


class RootwatchPostgres(Postgres):
    """Postgres as Steampipe speaks it, with the function calls rootwatch translates itself."""

    class Parser(Postgres.Parser):
        FUNCTIONS = {
            **Postgres.Parser.FUNCTIONS,
            "TO_CHAR": _plain_call("to_char"),
        }


READ_DIALECT = RootwatchPostgres
