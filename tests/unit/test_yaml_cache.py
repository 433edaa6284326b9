"""Parsed YAML documents kept on disk read back exactly as parsed: values, types and line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rootwatch import yamlio
from rootwatch.yamlio import load_yaml_text


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROOTWATCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _parsed(text: str):
    return yaml.load(text, Loader=yamlio._line_loader())  # noqa: S506 - a SafeLoader subclass


def _lines(value):
    """The value with every mapping's own line and key lines made visible to ==."""
    if isinstance(value, yamlio.LineDict):
        return ("map", value.line, sorted(((repr(k), value.key_lines.get(k), _lines(v)) for k, v in value.items())))
    if isinstance(value, list):
        return [_lines(v) for v in value]
    return (type(value).__name__, value)


def test_every_yaml_file_of_the_repository_reads_back_as_parsed(repo: Path, cache_dir: Path) -> None:
    files = [p for p in repo.rglob("*.yaml") if ".venv" not in p.parts and "build" not in p.parts]
    assert len(files) > 20
    for path in files:
        text = path.read_text("utf-8")
        try:
            expected = _lines(_parsed(text))
        except yaml.YAMLError:
            continue  # test fixtures of invalid YAML: never kept
        assert _lines(load_yaml_text(text, path)) == expected, path  # parsed, kept
        assert _lines(load_yaml_text(text, path)) == expected, path  # read back
    assert list((cache_dir / "yaml").rglob("*.json"))


def test_scalars_of_every_kind_and_their_lines_survive(cache_dir: Path) -> None:
    text = "a: 1\nb: 1.5\nc: true\nd: null\ne: 2026-01-02\nf: 2026-01-02T03:04:05Z\n2: int key\ntrue: bool key\ng:\n  - x\n  - {h: [1, 2]}\n"
    first = load_yaml_text(text, None)
    again = load_yaml_text(text, None)
    assert _lines(again) == _lines(first) == _lines(_parsed(text))
    assert again["g"][1].line == 11 and again.line_of("g") == 9


def test_a_corrupt_entry_is_parsed_again(cache_dir: Path) -> None:
    text = "title: T\nseverity: low\n"
    load_yaml_text(text, None)
    for entry in (cache_dir / "yaml").rglob("*.json"):
        entry.write_text('{"key": "')
    assert load_yaml_text(text, None) == {"title": "T", "severity": "low"}


def test_invalid_yaml_is_reported_every_time(cache_dir: Path) -> None:
    from rootwatch.errors import InputError

    for _ in range(2):
        with pytest.raises(InputError, match="invalid YAML"):
            load_yaml_text("a: [1\n", Path("x.yaml"))
