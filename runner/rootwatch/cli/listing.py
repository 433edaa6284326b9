"""Printing listings (benchmarks, controls, variables, queries) in text, csv, json or md."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

LIST_FORMATS = ("text", "csv", "json", "md")


def add_list_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", default="text", choices=LIST_FORMATS, help="listing format (default: text)")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str) -> None:
    from rootwatch.output.query_results import render_query

    if fmt == "text":
        from tabulate import tabulate

        text = tabulate([[("" if v is None else v) for v in r] for r in rows], headers=list(headers), tablefmt="simple", disable_numparse=True)
        sys.stdout.write(text + "\n")
        return
    sys.stdout.write(render_query(list(headers), [tuple(r) for r in rows], fmt))
