"""README.md's tables, made from the code: controls and benchmarks from the mod, variables from
mod.yaml, formats from the output registry, exit codes from rootwatch.exitcodes.

README.md calls these functions from cog blocks. After changing a control, a variable, a format or
an exit code, regenerate the tables (tests/docs/test_readme_tables.py fails while they are stale):

    .venv/bin/cog -r -I scripts README.md
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _mod():  # noqa: ANN202 - rootwatch.mod.Mod, imported late so cog can load this module first
    from rootwatch.mod.loader import load_mod

    return load_mod(REPO)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cis_items(mod, control_id: str) -> str:  # noqa: ANN001 - rootwatch.mod.Mod
    """The CIS items a control grades, consecutive versions with the same item folded:
    ``1.12 (v1.2.0); 1.5 (v1.3.0–v1.4.0, v2.0.0–v4.0.0)``."""
    runs: list[tuple[str, list[str]]] = []
    prerequisite = False
    for bench in mod.benchmarks.values():
        if not bench.cis_version:
            continue
        items = [n.tags["cis_item_id"] for n in bench.control_nodes() if n.control and n.control.id == control_id and "cis_item_id" in n.tags]
        if not items and any(n.control and n.control.id == control_id for n in bench.control_nodes()):
            prerequisite = True
        item = ", ".join(items)
        if runs and runs[-1][0] == item:
            runs[-1][1].append(bench.cis_version)
        else:
            runs.append((item, [bench.cis_version]))
    ranges: dict[str, list[str]] = {}
    for item, versions in runs:
        if item:
            ranges.setdefault(item, []).append(versions[0] + ("–" + versions[-1] if len(versions) > 1 else ""))
    parts = [f"{item} ({', '.join(spans)})" for item, spans in ranges.items()]
    if prerequisite and not parts:
        return "evidence prerequisite of every version"
    return "; ".join(parts) or "—"


def controls() -> str:
    """Every control: title, severity, Security Hub id, and the CIS item it grades per version."""
    mod = _mod()
    rows = [
        (
            f"`{c.id}`",
            c.title,
            c.severity,
            c.tags.get("securityhub_control_id", "—"),
            _cis_items(mod, c.id),
        )
        for c in sorted(mod.controls.values(), key=lambda c: c.id)
    ]
    return _table(["Control", "Passes when", "Severity", "Security Hub", "CIS AWS Foundations item (versions)"], rows)


def benchmarks() -> str:
    """The top-level benchmarks, as a sentence."""
    names = [f"`{b.id}`" for b in _mod().benchmarks.values()]
    return "Benchmarks (`rootwatch benchmark list`): " + ", ".join(names) + "."


def variables() -> str:
    rows = [
        (f"`{v.name}`", v.type, "—" if v.default is None else v.default, v.description)
        for v in _mod().variables.values()
    ]
    return _table(["Variable", "Type", "Default", "Meaning"], rows)


def formats() -> str:
    from rootwatch.output import FORMATS

    rows = [
        (f"`{f.name}`", ", ".join(f"`{e}`" for e in f.extensions), f.description + _format_limits(f))
        for f in FORMATS.values()
    ]
    return _table(["Format", "Extension", "What"], rows)


def _format_limits(fmt) -> str:  # noqa: ANN001 - rootwatch.output.Format
    limits = [text for applies, text in ((fmt.needs_cis_benchmark, "`benchmark run` only"), (not fmt.printable, "`--export` only")) if applies]
    return f" ({', '.join(limits)})" if limits else ""


def exit_codes() -> str:
    from rootwatch.exitcodes import MEANINGS

    header = ["Code", "`benchmark run`, `control run`, `query run`", "`diff`", "`snapshot ...`", "`remediate`"]
    return _table(header, [(code.value, m.run, m.diff, m.snapshot, m.remediate) for code, m in MEANINGS.items()])
