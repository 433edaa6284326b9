"""Loading the mod: every problem at once, each with its file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rootwatch.errors import ValidationFailed
from rootwatch.mod.loader import load_mod, load_mod_partly

GOOD_META = textwrap.dedent(
    """\
    title: T
    description: D
    severity: high
    docs:
      rationale: R
      remediation: M
    """
)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


CIS_SHARED = """\
    title: CIS {version}
    description: Every item of CIS {version}.
    tags: {plugin: aws}
    prerequisites:
      title: Evidence
      controls: [c1]
    """


def test_a_cis_version_file_is_a_benchmark(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "mod.yaml": "mod: {name: m}\n",
            "cis/cis.yaml": CIS_SHARED,
            "cis/v7.0.0.yaml": """\
                sections: {"2": IAM, "2.1": Orgs}
                recommendations:
                  - {item: "2.1.1", title: Central root, level: 2, type: manual, control: c1}
                  - {item: "2.2", title: Contacts, level: 1, type: manual}
                """,
            "controls/c1.sql": "select 'r' as resource, 'ok' as status, 'fine' as reason",
            "controls/c1.yaml": GOOD_META + "tags: {service: AWS/IAM}\n",
        },
    )
    mod = load_mod(root)
    bench = mod.benchmark("cis_v700")
    assert (bench.title, bench.description, bench.cis_version) == ("CIS v7.0.0", "Every item of CIS v7.0.0.", "v7.0.0")
    assert dict(bench.tags) == {"cis": "true", "cis_version": "v7.0.0", "plugin": "aws"}
    nodes = list(bench.control_nodes())
    assert [n.id for n in nodes] == ["c1", "cis_v700_2_1_1", "cis_v700_2_2"]
    assert [b.id for b in bench.benchmarks()] == ["cis_v700", "cis_v700_prerequisites", "cis_v700_2", "cis_v700_2_1"]
    assert dict(nodes[0].tags) == {"service": "AWS/IAM", "cis": "true", "cis_version": "v7.0.0"}
    assert nodes[1].title == "2.1.1 Central root"
    assert dict(nodes[1].tags) == {
        "service": "AWS/IAM",
        "cis": "true",
        "cis_version": "v7.0.0",
        "cis_section_id": "2.1",
        "cis_item_id": "2.1.1",
        "cis_level": "2",
        "cis_type": "manual",
    }
    assert nodes[1].control is mod.controls["c1"]
    assert nodes[2].control is None and nodes[2].description == ""
    assert mod.benchmark("cis_v700_2_1").title == "2.1 Orgs"


def test_cis_versions_sort_by_number_and_problems_name_their_line(tmp_path: Path) -> None:
    item = '  - {item: "1.1", title: T, level: 1, type: automated}\n'
    root = write(
        tmp_path,
        {
            "mod.yaml": "mod: {name: m}\nbenchmarks:\n  cis_v900: {title: Taken}\n",
            "cis/cis.yaml": CIS_SHARED,
            "cis/v9.0.0.yaml": 'sections: {"1": S}\nrecommendations:\n' + item,
            "cis/v10.0.0.yaml": 'sections: {"1": S}\nrecommendations:\n' + item,
            "cis/v11.0.0.yaml": (
                'sections: {"1": S, "4": Unused}\nrecommendations:\n'
                '  - {item: "1.1", title: T, level: 3, type: automated, control: c2}\n'
                '  - {item: "2.1", title: U, level: 1, type: manual}\n'
                '  - {item: "1.1", title: T, level: 1, type: manual}\n'
            ),
            "cis/v12.0.0.yaml": (
                'sections: {"1": S, "4": Unused}\nrecommendations:\n'
                '  - {item: "1.1", title: T, level: 1, type: automated, control: c2}\n'
                '  - {item: "2.1", title: U, level: 1, type: manual}\n'
                '  - {item: "1.1", title: T, level: 1, type: manual}\n'
            ),
            "cis/latest.yaml": "sections: {}\n",
            "controls/c1.sql": "select 1",
            "controls/c1.yaml": GOOD_META,
        },
    )
    loaded = load_mod_partly(root)
    cis = root / "cis"
    messages = [str(p) for p in loaded.problems]
    assert f"{cis / 'latest.yaml'}: a CIS version file is named after its version, e.g. cis/v7.0.0.yaml" in messages
    assert f"{cis / 'v9.0.0.yaml'}: benchmark id 'cis_v900' is used twice (first at {root / 'mod.yaml'}:3)" in messages
    assert f"{cis / 'v11.0.0.yaml'}:3: recommendation #1: level must be one of 1, 2, \"1,2\"" in messages
    v12 = cis / "v12.0.0.yaml"
    assert any(m.startswith(f"{v12}:3: unknown control 'c2'") for m in messages)
    assert f"{v12}:4: item 2.1: section 2 has no title under 'sections'" in messages
    assert f"{v12}:5: item 1.1 is listed twice (first at line 3)" in messages
    assert f"{v12}:1: section 4 holds no recommendation" in messages
    assert [b for b in loaded.mod.benchmarks if b.startswith("cis_")] == ["cis_v900", "cis_v1000", "cis_v1200"]


def test_every_problem_is_reported_with_file_and_line(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "mod.yaml": """\
                mod: {name: m}
                variables:
                  days: {type: integr, description: x}
                benchmarks:
                  root:
                    title: R
                    children:
                      - control: c_missing
                      - control: c1
                    colour: red
                """,
            "controls/c1.sql": "select 1",
            "controls/c1.yaml": "title: T\nseverity: huge\ndocs: {rationale: R}\n",
            "controls/orphan.yaml": GOOD_META,
            "controls/Bad-Name.sql": "select 1",
        },
    )
    with pytest.raises(ValidationFailed) as caught:
        load_mod(root)
    messages = [str(p) for p in caught.value.problems]
    mod_yaml, c1 = root / "mod.yaml", root / "controls" / "c1.yaml"
    assert f"{mod_yaml}:3: variable 'days': type must be one of integer, number, string, bool, list(string), list(number)" in messages
    assert f"{mod_yaml}:8: unknown control 'c_missing'" in messages
    assert any(m.startswith(f"{mod_yaml}:10: unknown key 'colour'") for m in messages)
    assert f"{c1}:2: severity must be one of low, medium, high, critical" in messages
    assert f"{c1}:1: missing 'description'" in messages
    assert f"{c1}:3: missing 'remediation' in 'docs'" in messages
    assert f"{root / 'controls' / 'orphan.yaml'}: control metadata without SQL: expected orphan.sql beside it" in messages
    assert any("'Bad-Name'" in m and "lower_snake_case" in m for m in messages)


def test_control_id_must_match_its_file(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "mod.yaml": "mod: {name: m}\nbenchmarks:\n  b: {title: B, children: [{control: c1}]}\n",
            "controls/c1.sql": "select 1",
            "controls/c1.yaml": "id: c2\n" + GOOD_META,
        },
    )
    with pytest.raises(ValidationFailed, match=r"c1.yaml:1: id 'c2' disagrees with the file name 'c1'"):
        load_mod(root)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    root = write(tmp_path, {"mod.yaml": "mod:\n  name: m\n  title: [unclosed\n"})
    with pytest.raises(ValidationFailed, match=r"mod.yaml:\d+: invalid YAML"):
        load_mod(root)


def test_duplicate_yaml_keys_are_problems(tmp_path: Path) -> None:
    root = write(tmp_path, {"mod.yaml": "mod: {name: m}\nmod: {name: n}\n"})
    with pytest.raises(ValidationFailed, match=r"mod.yaml:2: invalid YAML: duplicate key 'mod'"):
        load_mod(root)


def test_optional_evidence_names_known_tables(tmp_path: Path) -> None:
    mod = "mod: {name: m}\nbenchmarks:\n  root: {title: R, children: [{control: c1}, {control: c2}]}\n"
    root = write(
        tmp_path,
        {
            "mod.yaml": mod,
            "controls/c1.sql": "select 1",
            "controls/c1.yaml": GOOD_META + "optional_evidence: [aws_iam_account_summary]\n",
            "controls/c2.sql": "select 1",
            "controls/c2.yaml": GOOD_META + "optional_evidence: [aws_iam_acount_summary]\n",
        },
    )
    with pytest.raises(ValidationFailed) as caught:
        load_mod(root)
    assert [str(p) for p in caught.value.problems] == [
        f"{root / 'controls' / 'c2.yaml'}:{GOOD_META.count(chr(10)) + 1}: optional_evidence: unknown table 'aws_iam_acount_summary'"
    ]
    (root / "controls" / "c2.yaml").write_text(GOOD_META)
    assert load_mod(root).controls["c1"].optional_evidence == frozenset({"aws_iam_account_summary"})


def test_a_partly_loaded_mod_keeps_what_loaded_beside_its_problems(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "mod.yaml": """\
                mod: {name: m}
                variables:
                  days: {type: integer, default: 30, description: window}
                  bad: {type: integer, default: soon, description: x}
                benchmarks:
                  root:
                    title: R
                    children:
                      - control: c1
                      - control: no_meta
                      - control: c_missing
                """,
            "controls/c1.sql": "select 1",
            "controls/c1.yaml": GOOD_META.replace("high", "huge"),
            "controls/no_meta.sql": "select 2",
            "queries/q.sql": "select 3",
            "queries/q.yaml": "title: [unclosed\n",
        },
    )
    loaded = load_mod_partly(root)
    messages = [str(p) for p in loaded.problems]
    assert f"{root / 'controls' / 'c1.yaml'}:3: severity must be one of low, medium, high, critical" in messages
    assert f"{root / 'controls' / 'no_meta.sql'}: control no_meta has no metadata file no_meta.yaml" in messages
    assert f"{root / 'mod.yaml'}:11: unknown control 'c_missing'" in messages
    assert any(m.startswith(f"{root / 'queries' / 'q.yaml'}:") for m in messages)
    assert not loaded.valid
    # What did load is there for `rootwatch check` to check: the control with a bad severity, the
    # control without metadata (blank, so the benchmark still resolves it), the query with broken
    # metadata, the valid variable; the invalid variable is declared but not loaded.
    assert set(loaded.mod.controls) == {"c1", "no_meta"}
    assert loaded.mod.controls["no_meta"].sql == "select 2"
    assert [n.control.id for n in loaded.mod.benchmark("root").control_nodes() if n.control] == ["c1", "no_meta"]
    assert loaded.mod.queries["q"].sql == "select 3"
    assert set(loaded.mod.variables) == {"days"}
    assert loaded.declared_variables == {"days", "bad"}
    assert loaded.benchmarks_known
    # Commands that run the mod refuse it with exactly these problems.
    with pytest.raises(ValidationFailed) as caught:
        load_mod(root)
    assert caught.value.problems == list(loaded.problems)


def test_an_unreadable_mod_yaml_still_loads_the_controls(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "mod.yaml": "mod: {name: m\n",
            "controls/c1.sql": "select 1",
            "controls/c1.yaml": GOOD_META,
        },
    )
    loaded = load_mod_partly(root)
    assert [p.path for p in loaded.problems] == [root / "mod.yaml"]
    assert set(loaded.mod.controls) == {"c1"}
    # Nothing is known about the benchmarks or variables, so `rootwatch check` claims nothing about them.
    assert not loaded.benchmarks_known
    assert loaded.declared_variables is None
