"""The JSON Schemas of the mod's YAML files: every file meets its schema and names it for editors,
problems come back at file:line in words, and unchanged files are not validated twice."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from helpers.mods import REPO, write_files
from jsonschema import Draft7Validator

from rootwatch.cases import load_cases
from rootwatch.errors import InputError
from rootwatch.yamlio import load_yaml
from rootwatch.yamlschema import SCHEMA_DIR, schema_path

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")
DOCUMENTS = {
    "mod": ["mod.yaml"],
    "control": ["controls/*.yaml"],
    "query": ["queries/*.yaml"],
    "case": ["tests/cases/*.yaml"],
    "cis": ["cis/cis.yaml"],
    "cis-version": ["cis/v*.yaml"],
}


def _documents() -> list[tuple[str, Path]]:
    return [(name, path) for name, globs in DOCUMENTS.items() for pattern in globs for path in sorted(REPO.glob(pattern))]


@pytest.mark.parametrize(("schema", "path"), _documents(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_each_file_names_its_schema_and_meets_it(schema: str, path: Path) -> None:
    first = path.read_text("utf-8").splitlines()[0]
    match = MODELINE.match(first)
    assert match, f"{path}: first line should be '# yaml-language-server: $schema=...' for editors"
    assert (path.parent / match.group(1)).resolve() == schema_path(schema)
    validator = Draft7Validator(json.loads(schema_path(schema).read_text("utf-8")))
    assert [e.message for e in validator.iter_errors(load_yaml(path))] == []


def test_every_schema_is_valid_and_shipped_with_the_package() -> None:
    for path in SCHEMA_DIR.glob("*.json"):
        Draft7Validator.check_schema(json.loads(path.read_text("utf-8")))
    package_data = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]["rootwatch"]
    assert "schemas/*.schema.json" in package_data
    assert all(p.name.endswith(".schema.json") for p in SCHEMA_DIR.glob("*.json"))  # the package-data glob
    assert {f"{name}.schema.json" for name in DOCUMENTS} <= {p.name for p in SCHEMA_DIR.glob("*.json")}


CASE = """\
cases:
  - name: fine
    as_of: 2026-11-25T12:00:00Z
    given: {{aws_account: [{{account_id: "1"}}]}}
    expect:
      - {{resource: r, status: {status}}}
{extra}"""


@pytest.mark.parametrize(
    ("status", "extra", "message"),
    [
        ("ok", "", None),
        ("passed", "", ":6: expected row: status must be one of ok, alarm, info, skip, error"),
        ("ok", "  - name: Bad Name\n    as_of: 2026-11-25T12:00:00Z\n", ":7: case #2: name must be lower_snake_case"),
        (
            "ok",
            "  - name: other\n    expct: []\n",
            ":8: unknown key 'expct' in case #2 (expected: as_of, description, expect, given, name, not_captured, vars)",
        ),
        ("ok", "  - name: other\n    expect: [{resource: r}]\n", ":8: missing 'status' in expected row"),
        ("ok", "  - name: other\n    as_of: 2026-11-25T12:00:00Z\n    not_captured: aws_iam_virtual_mfa_device\n", ":9: case #2: not_captured must be a list of table names"),
        ("ok", "  - name: other\n    as_of: 2026-11-25T12:00:00Z\n    not_captured: [aws_iam_virtual_mfa]\n", ":9: not_captured: unknown table aws_iam_virtual_mfa"),
    ],
)
def test_a_case_file_problem_names_its_line(tmp_path: Path, status: str, extra: str, message: str | None) -> None:
    path = write_files(tmp_path, {"root_no_access_keys.yaml": CASE.format(status=status, extra=extra)}) / "root_no_access_keys.yaml"
    if message is None:
        assert [c.name for c in load_cases(path)] == ["fine"]
        return
    with pytest.raises(InputError) as caught:
        load_cases(path)
    assert str(caught.value) == f"{path}{message}"


def test_check_reports_a_catalogue_problem_at_its_line(run_cli, tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "mod",
        {
            "mod.yaml": "mod: {name: m}\n",
            "cis/cis.yaml": "title: CIS {version}\ndescription: D\n",
            "cis/v7.0.0.yaml": 'sections: {"1": IAM}\nrecommendations:\n  - {item: "1.1", title: T, level: 1, type: automatic}\n',
        },
    )
    code, out, err = run_cli("check", "--mod-location", str(root))
    assert code == 3
    assert f"{root / 'cis' / 'v7.0.0.yaml'}:3: recommendation #1: type must be one of automated, manual, scored, not_scored" in out + err


def test_an_unchanged_mod_is_not_validated_again(tmp_path: Path) -> None:
    """The second load of the same files skips jsonschema (not even imported); an edit is validated."""
    probe = (
        "import sys; from pathlib import Path; from rootwatch.mod.loader import load_mod_partly; "
        "loaded = load_mod_partly(Path(sys.argv[1])); "
        "print(len(loaded.problems), 'jsonschema' in sys.modules)"
    )
    env = {**os.environ, "ROOTWATCH_CACHE_DIR": str(tmp_path / "cache")}

    def load() -> str:
        done = subprocess.run([sys.executable, "-c", probe, str(REPO)], env=env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    assert load() == "0 True"
    assert load() == "0 False"
    mod_dir = tmp_path / "mod"
    write_files(mod_dir, {"mod.yaml": "mod: {name: m}\nbenchmarks:\n  b: {title: B, colour: red}\n"})
    done = subprocess.run([sys.executable, "-c", probe, str(mod_dir)], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1 True"
    done = subprocess.run([sys.executable, "-c", probe, str(mod_dir)], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1 True"  # a document with problems is never remembered


def test_problems_read_as_sentences_at_their_lines() -> None:
    from rootwatch.yamlio import load_yaml_text
    from rootwatch.yamlschema import schema_problems

    text = """\
mod: {name: m}
variables:
  days: {type: integr, description: x}
  Bad: {type: integer, description: x}
  other: {type: integer}
benchmarks:
  root:
    title: R
    children:
      - control: c1
        colour: blue
      - benchmark: sub
        children: [{control: x}]
      - {}
    colour: red
  x:
    title: " "
"""
    path = Path("mod.yaml")
    assert [str(p) for p in schema_problems(load_yaml_text(text, path), "mod", path)] == [
        "mod.yaml:3: variable 'days': type must be one of integer, number, string, bool, list(string), list(number)",
        "mod.yaml:4: variable name 'Bad' must be lower_snake_case",
        "mod.yaml:5: missing 'description' in variable 'other'",
        "mod.yaml:11: unknown key 'colour' in a control child (expected: control, description, id, tags, title)",
        "mod.yaml:12: missing 'title' in a benchmark child",
        "mod.yaml:14: a child needs 'control' (a control id) or 'benchmark' (a nested benchmark)",
        "mod.yaml:15: unknown key 'colour' in benchmark 'root' (expected: children, description, tags, title)",
        "mod.yaml:17: benchmark 'x': title must be non-empty text",
    ]
