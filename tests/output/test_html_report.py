"""The HTML report and the CIS HTML table as files: self-contained, escaped, complete.

What a browser makes of them (script, sorting, filtering, payloads) is in test_html_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from cis_fixtures import A1, A2, A3, AS_OF, CAPTURED_AT, PAYLOADS, parse_html, sample_result

from rootwatch.output import cis_table_html, html
from rootwatch.output.html_assets import esc, script_json
from rootwatch.status import Status
from rootwatch.wording import instant


def _report(*benchmarks: str, payload: bool = False) -> str:
    return html.render(sample_result(*(benchmarks or ("root", "cis_v700")), payload=payload))


def _data(document: str) -> dict:
    """The page's data block, each row completed with its control's fields as the script does."""
    match = re.search(r'<script type="application/json" id="rw-data">(.*?)</script>', document, re.S)
    assert match, "no data block"
    data = json.loads(match.group(1))
    data["rows"] = [{**data["controls"][row["c"]], **row} for row in data["rows"]]
    return data


def assert_self_contained(document: str) -> None:
    """Nothing a browser would fetch: no src, no link, no href leaving the page, no url() in CSS."""
    tree = parse_html(document)
    assert not tree.find_all("link") and not tree.find_all("iframe") and not tree.find_all("img")
    for element in tree.iter():
        assert "src" not in element.attrs, element.tag
        href = element.attrs.get("href")
        assert href is None or href.startswith("#"), href
    for style in tree.find_all("style"):
        css = "".join(c for c in style.children if isinstance(c, str))
        assert "url(" not in css and "@import" not in css
    policy = tree.find("meta", **{"http-equiv": "Content-Security-Policy"})
    assert policy is not None and "default-src 'none'" in policy.attrs["content"]


def test_report_is_self_contained() -> None:
    document = _report()
    assert_self_contained(document)
    assert document.startswith("<!DOCTYPE html>")


def test_only_the_report_script_may_run() -> None:
    document = _report()
    tree = parse_html(document)
    scripts = tree.find_all("script")
    assert [s.attrs.get("type") for s in scripts] == ["application/json", None]
    code = "".join(c for c in scripts[1].children if isinstance(c, str))
    digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
    policy = tree.find("meta", **{"http-equiv": "Content-Security-Policy"}).attrs["content"]
    assert f"script-src 'sha256-{digest}'" in policy
    assert "innerHTML" not in code and "eval(" not in code


def test_header_states_what_was_graded() -> None:
    tree = parse_html(_report())
    meta = {dt.text: dd.text for dt, dd in zip(tree.find_all("dt"), tree.find_all("dd"))}
    # As people read them: no microseconds, the time zone shown.
    assert meta["As of"] == "2026-03-01 12:00 UTC" == instant(AS_OF)
    assert meta["Snapshot captured at"] == "2026-03-01 06:30 UTC" == instant(CAPTURED_AT)
    assert meta["Run"] == "2026-03-02 09:15 UTC, took 3 s"
    assert meta["Data source"] == "snapshot examples/org.duckdb"
    assert meta["Exit code"] == "2: at least one control or result in error"
    totals = tree.find("p", id="rw-totals").text
    assert re.sub(r"\s+", " ", totals) == (
        "alarm 3 error 6 ok 23 info 2 skip 11 45 results; 23 controls (15 assessed, 8 not assessed)"
    )


def test_live_endpoint_and_alarm_only_runs() -> None:
    tree = parse_html(html.render(sample_result("root", snapshot=False)))
    meta = {dt.text: dd.text for dt, dd in zip(tree.find_all("dt"), tree.find_all("dd"))}
    assert meta["Snapshot captured at"] == "live endpoint (no snapshot)"


def test_data_block_holds_every_record() -> None:
    result = sample_result("root", "cis_v700")
    data = _data(html.render(result))
    records = result.records()
    assert len(data["rows"]) == len(records)
    assert [c["key"] for c in data["columns"]] == [key for key, _ in html.COLUMNS]
    keys = next(r for r in data["rows"] if r["control_id"] == "cis_v700_2_4" and r["account"] == A2)
    assert keys["status"] == "alarm"
    assert {k: v for k, v in keys.items() if k != "c"} == html.row_data(
        next(r for r in records if r.control_id == "cis_v700_2_4" and r.dimensions.get("account_id") == A2)
    )
    # once per control run that has rows (2.8's control returned none, so it has no table row)
    assert len(data["controls"]) == sum(1 for _, run in result.control_runs() if run.rows or run.error) == 22
    assert keys["group"] == "CIS AWS Foundations Benchmark v7.0.0 \u203a 2 Identity and Access Management"
    assert "cis_item_id=2.4" in keys["tags"]
    error = next(r for r in data["rows"] if r["control_id"] == "root_usage_monitored")
    assert error["reason"].startswith("control could not run: control root_usage_monitored failed")


def _bars(chart) -> dict[str, object]:
    return {row.attrs["data-label"]: row for row in chart.find_all("div") if row.has_class("bar-row")}


def test_charts_count_by_section_and_by_account() -> None:
    tree = parse_html(_report())
    sections = next(div for div in tree.find_all("div") if div.attrs.get("id") == "chart-sections")
    bars = {label: int(row.attrs["data-total"]) for label, row in _bars(sections).items()}
    assert bars["2 Identity and Access Management"] == 19
    assert bars["Evidence"] == 3 and bars["3 Storage"] == 2
    # Labels are HTML text, which wraps: a long section title is never cut off.
    labels = [span.text for span in sections.find_all("span") if span.has_class("label")]
    assert "Evidence prerequisites (rootwatch, not a CIS section)" in labels
    headings = [div.text for div in sections.find_all("div") if div.has_class("heading")]
    assert headings == ["AWS root user", "CIS AWS Foundations Benchmark v7.0.0"]
    accounts = next(div for div in tree.find_all("div") if div.attrs.get("id") == "chart-accounts")
    per_account = _bars(accounts)
    # Accounts with alarms or errors first, the most first; clean ones after.
    assert list(per_account) == [A2, A3, A1]
    segments = {s.attrs["data-status"]: int(s.attrs["data-count"]) for s in per_account[A2].find_all("rect")}
    records = [r for r in sample_result("root", "cis_v700").records() if r.dimensions.get("account_id") == A2]
    expected = {s.value: sum(1 for r in records if r.status is s) for s in Status}
    assert segments == {k: v for k, v in expected.items() if v}


def test_every_payload_is_escaped_in_markup_and_json() -> None:
    document = _report(payload=True)
    for payload in PAYLOADS:
        assert payload not in document  # each holds < or a quote, which must never pass raw
    match = re.search(r'<script type="application/json" id="rw-data">(.*?)</script>', document, re.S)
    block = match.group(1)
    assert "<" not in block and ">" not in block and "\u2028" not in block
    text = json.dumps(json.loads(block))
    for payload in PAYLOADS:
        assert json.dumps(payload)[1:-1] in text  # and JSON.parse gives each back exactly
    tree = parse_html(document)
    assert len(tree.find_all("script")) == 2
    assert not tree.find_all("img") and not tree.find_all("b")
    assert f"{PAYLOADS[3]} (source)" in tree.find("dl").text  # shown as text


def test_a_status_narrowed_report_says_so() -> None:
    selection = pytest.importorskip("rootwatch.selection", reason="--status lives in rootwatch.selection")
    shown = selection.shown_result(sample_result("root"), frozenset({Status.ALARM, Status.ERROR}))
    tree = parse_html(html.render(shown))
    assert tree.find("dd", id="rw-narrowed").text == (
        "only alarm, error results (--status); whole run: alarm 2, error 3, ok 9, info 0, skip 1"
    )
    assert tree.find("dd", id="rw-exit").text.startswith("2:")


def test_script_json_cannot_end_the_script_element() -> None:
    value = {"a": "</script><!-- & \u2028 \u2029 >"}
    text = script_json(value)
    assert text == '{"a":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028 \\u2029 \\u003e"}'
    assert json.loads(text) == value


def test_esc_covers_text_and_attributes() -> None:
    assert esc('"><img src=x>\'&') == "&quot;&gt;&lt;img src=x&gt;&#x27;&amp;"
    assert esc(None) == ""


def test_cis_html_is_self_contained_escaped_and_scriptless() -> None:
    document = cis_table_html.render(sample_result("cis_v700", "cis_v120", payload=True))
    assert_self_contained(document)
    for payload in PAYLOADS:
        assert payload not in document
    tree = parse_html(document)
    assert not tree.find_all("script") and not tree.find_all("img")
    assert "script-src 'none'" in tree.find("meta", **{"http-equiv": "Content-Security-Policy"}).attrs["content"]
    sections = tree.find_all("section")
    assert [s.attrs["data-benchmark"] for s in sections] == ["cis_v700", "cis_v120"]
    items = [tr.attrs["data-item"] for tr in sections[0].find_all("tr") if tr.has_class("item")]
    # Each section's items the mod does not assess are folded right under its heading, in order.
    assert items == ["2.2", "2.3", "2.14", "2.1.2", "2.1.1", "2.4", "2.5", "2.6", "2.7", "2.8", "3.1.1", "3.1.2", "4.2", "4.1", "5.1", "5.3"]
    folds = [tr for tr in sections[0].find_all("tr") if tr.has_class("folded")]
    assert [f.find("summary").text for f in folds] == [
        "3 items not assessed by this mod: 2.2, 2.3, 2.14",
        "1 item not assessed by this mod: 2.1.2",
        "2 items not assessed by this mod: 3.1.1, 3.1.2",  # section 3 holds nothing graded: folded whole
        "1 item not assessed by this mod: 4.2",
        "1 item not assessed by this mod: 5.1",
    ]
    assert all(tr.has_class("not-assessed") for f in folds for tr in f.find_all("tr") if tr is not f)
    headings = [tr.attrs["data-section"] for tr in sections[0].find_all("tr") if tr.has_class("section")]
    assert headings == ["2", "2.1", "3", "4", "5"]
    note = sections[0].find("div")
    assert note.has_class("prerequisite") and note.text.startswith("Evidence prerequisites (rootwatch, not a CIS section):")
    row = next(tr for tr in sections[0].find_all("tr") if tr.attrs.get("data-item") == "2.4")
    assert row.attrs["data-result"] == "fail"
    assert f"{PAYLOADS[4]} (remediation)" in row.find("pre").text
