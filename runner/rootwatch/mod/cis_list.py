"""The normalised CIS recommendation list and the version files written from it.

The list is a CSV with one row per recommendation, in benchmark order::

    version,item,section,title,level,assessment[,control]
    7.0.0,2.4,Identity and Access Management,Ensure no 'root' user account access key exists,1,automated,root_no_access_keys

``section`` is the title of the section the item sits in (``2`` for ``2.4``, ``2.1`` for ``2.1.1``),
``level`` is 1, 2 or "1,2", ``assessment`` automated/manual (scored/not_scored in v1.2.0), and the
optional ``control`` is the rootwatch control grading the item in that version. A *heading row*
(``item`` a section number, ``level`` and ``assessment`` empty) titles a section that holds only
subsections, such as "2 Storage" above "2.1 Simple Storage Service (S3)". Other columns (the reference
list's ``steampipe_query``) are ignored.

``scripts/gen-cis-catalogue`` writes ``cis/v<version>.yaml`` from such a list; the tests compare every
version file with the reference list (``../shared/reference/cis_aws_foundations.csv``) through
:func:`read_recommendation_list`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rootwatch.errors import InputError, Problem

REQUIRED_COLUMNS = ("version", "item", "section", "title", "level", "assessment")
ITEM = re.compile(r"^\d+(\.\d+)*$")


@dataclass(frozen=True)
class Recommendation:
    """One row of the list: a recommendation, or a heading (``level`` and ``assessment`` empty)."""

    version: str
    item: str
    section: str
    title: str
    level: str
    assessment: str
    control: str = ""

    @property
    def is_heading(self) -> bool:
        return not self.level and not self.assessment


def read_recommendation_list(path: Path) -> list[Recommendation]:
    """Every row of the list at ``path`` (InputError naming the line of a malformed row)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InputError(Problem(path, None, f"cannot read: {exc.strerror}")) from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InputError(Problem(path, 1, f"missing column(s) {', '.join(missing)}; expected {','.join(REQUIRED_COLUMNS)}[,control]"))
    rows = []
    for line, raw in enumerate(reader, start=2):
        row = Recommendation(**{k: (raw.get(k) or "").strip() for k in (*REQUIRED_COLUMNS, "control")})
        if not ITEM.match(row.item) or not row.title:
            raise InputError(Problem(path, line, f"item {row.item!r} needs a number such as 2.1.1 and a title"))
        rows.append(row)
    return rows


def versions(rows: Iterable[Recommendation]) -> list[str]:
    """The versions in the list, in order of appearance."""
    return list(dict.fromkeys(r.version for r in rows))


def section_titles(rows: Sequence[Recommendation]) -> dict[str, str]:
    """Section number → title, from each item's ``section`` column and from heading rows."""
    titles: dict[str, str] = {}
    for row in rows:
        if row.is_heading:
            titles.setdefault(row.item, row.title)
        elif "." in row.item and row.section:
            titles.setdefault(row.item.rsplit(".", 1)[0], row.section)
    return titles


def render_version_file(version: str, rows: Sequence[Recommendation], titles: Mapping[str, str]) -> str:
    """The text of ``cis/v<version>.yaml`` for the items of ``rows`` (headings left out).

    Raises ValueError naming a section no row gives a title for.
    """
    items = [r for r in rows if not r.is_heading]
    used: list[str] = []
    for row in items:
        parts = row.item.split(".")
        for n in range(1, len(parts)):
            number = ".".join(parts[:n])
            if number not in used:
                if number not in titles:
                    raise ValueError(f"v{version}: section {number} has no title (add a heading row for it)")
                used.append(number)
    lines = [
        "# yaml-language-server: $schema=../runner/rootwatch/schemas/cis-version.schema.json",
        f"# CIS AWS Foundations Benchmark v{version}: every recommendation, in benchmark order, and the",
        "# rootwatch control that grades it with this version's semantics (no control: not assessed).",
        "# Written by scripts/gen-cis-catalogue; tests/mod/test_cis_catalogue.py checks it against the",
        "# reference list. The benchmark is cis_v" + version.replace(".", "") + ".",
        "sections:",
        *(f"  {json.dumps(number)}: {json.dumps(titles[number])}" for number in used),
        "recommendations:",
    ]
    for row in items:
        fields = [f"item: {json.dumps(row.item)}", f"title: {json.dumps(row.title)}", f"level: {_level(row.level)}", f"type: {row.assessment}"]
        if row.control:
            fields.append(f"control: {row.control}")
        lines.append("  - {" + ", ".join(fields) + "}")
    return "\n".join(lines) + "\n"


def _level(level: str) -> str:
    return level if level in ("1", "2") else json.dumps(level)
