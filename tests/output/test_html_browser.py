"""The HTML report and the CIS HTML table in headless Chromium (Debian's package).

Each test writes a file, lets Chromium load it from file:// with networking features off, and
reads back the DOM Chromium built (--dump-dom): what ran, what shows, what a hostile value became.
Skips with the reason when Chromium is missing; under CI=true a missing Chromium is a failure.
"""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from cis_fixtures import A2, PAYLOADS, parse_html, sample_result
from helpers.browser import browse, chromium_path

from rootwatch.output import cis_table_html, html
from rootwatch.status import STATUS_ORDER

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
MARKER_ATTRIBUTE = "data-xss"


@pytest.fixture(scope="session")
def chromium() -> str:
    return chromium_path()


def dump_dom(chromium: str, tmp_path: Path, path: Path, fragment: str = ""):
    return parse_html(browse(chromium, tmp_path, path.as_uri() + fragment, "--dump-dom"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def shown_rows(dom) -> list[dict[str, str]]:
    """The results table as displayed: one dict per row, column key -> cell text."""
    table = dom.find("table", id="rw-results")
    keys = [th.attrs["data-key"] for th in table.find("thead").find_all("th")]
    return [dict(zip(keys, (td.text for td in tr.find_all("td")))) for tr in table.find("tbody").find_all("tr")]


def assert_no_payload_ran(dom, title_prefix: str) -> None:
    title = dom.find("title").children[0]
    assert title.startswith(title_prefix) and "XSS" not in title.split(":")[0], title
    body = dom.find("body")
    assert MARKER_ATTRIBUTE not in body.attrs
    assert not [e for e in dom.iter() if (e.attrs.get("id") or "").startswith("xss")]
    assert not dom.find_all("img") and not dom.find_all("b")


def test_report_renders_with_payloads_as_text(chromium: str, tmp_path: Path) -> None:
    result = sample_result("root", "cis_v700", payload=True)
    dom = dump_dom(chromium, tmp_path, write(tmp_path, "report.html", html.render(result)))
    assert dom.find("body").attrs.get("data-rw-ready") == "1", "the report's script did not run"
    assert_no_payload_ran(dom, "rootwatch report: AWS root user, ")
    assert len(dom.find_all("script")) == 2
    assert len(shown_rows(dom)) == len(result.records())
    assert dom.find("span", id="rw-count").text == f"{len(result.records())} of {len(result.records())} results shown"
    for chart in ("chart-sections", "chart-accounts"):
        svg = dom.find("svg", id=chart)
        assert svg is not None and [g for g in svg.find_all("g") if g.has_class("bar")], chart
    visible = dom.find("body").text
    for where, index in (("reason", 1), ("resource", 2), ("account", 3), ("benchmark title", 2), ("source", 3), ("control title", 0), ("region", 4)):
        assert f"{PAYLOADS[index]} ({where})" in visible, where
    accounts = [g.attrs["data-label"] for g in dom.find("svg", id="chart-accounts").find_all("g") if g.has_class("bar")]
    assert f"{PAYLOADS[3]} (account)" in accounts


def test_fragment_sorts_and_filters(chromium: str, tmp_path: Path) -> None:
    result = sample_result("root", "cis_v700")
    path = write(tmp_path, "report.html", html.render(result))
    dom = dump_dom(chromium, tmp_path, path, f"#sort=reason&dir=desc&status=alarm,error&q={A2}")
    rows = shown_rows(dom)
    expected = [r for r in map(html.row_data, result.records()) if r["status"] in ("alarm", "error") and A2 in r["account"]]
    assert len(rows) == len(expected) > 2
    assert {r["status"] for r in rows} == {"alarm", "error"} and all(r["account"] == A2 for r in rows)
    reasons = [r["reason"] for r in rows]
    assert reasons == sorted(reasons, key=str.casefold, reverse=True)
    assert dom.find("th", **{"data-key": "reason"}).attrs["aria-sort"] == "descending"
    assert dom.find("span", id="rw-count").text == f"{len(expected)} of {len(result.records())} results shown"
    by_status = shown_rows(dump_dom(chromium, tmp_path, path, "#sort=status"))
    ranks = [[s.value for s in STATUS_ORDER].index(r["status"]) for r in by_status]
    assert ranks == sorted(ranks) and len(by_status) == len(result.records())


def test_large_reports_draw_one_page_of_rows_until_asked(chromium: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(html, "PAGE_ROWS", 10)
    result = sample_result("root", "cis_v700")
    total = len(result.records())
    path = write(tmp_path, "report.html", html.render(result))
    dom = dump_dom(chromium, tmp_path, path, "#sort=account&dir=desc")
    rows = shown_rows(dom)
    assert len(rows) == 10
    everything = shown_rows(dump_dom(chromium, tmp_path, path, "#sort=account&dir=desc&all=1"))
    assert len(everything) == total and everything[:10] == rows  # the first page of the same order
    assert dom.find("span", id="rw-count").text == f"first 10 of {total} matching results shown ({total} in all)"
    button = dom.find("button", id="rw-more")
    assert "hidden" not in button.attrs and button.text == f"Show all {total} matching results"
    filtered = dump_dom(chromium, tmp_path, path, "#status=alarm")
    assert "hidden" in filtered.find("button", id="rw-more").attrs and len(shown_rows(filtered)) == 3


CLICKS = """<script>
(function () {
  var account = document.querySelector('th[data-key="account"] button');
  account.click();
  account.click();
  document.querySelector('input[name="status"][value="ok"]').click();
  var search = document.getElementById("rw-search");
  search.value = "ROOT_NO";
  search.dispatchEvent(new Event("input"));
  document.body.setAttribute("data-test-fragment", location.hash);
})();
</script>
</body>"""


def test_header_clicks_check_boxes_and_search_box(chromium: str, tmp_path: Path) -> None:
    """Drives the page as a person would; the test's copy drops the page's script-hash policy so
    that the test's own script may run after the report's."""
    result = sample_result("root", "cis_v700")
    page = html.render(result)
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page).replace("</body>", CLICKS)
    dom = dump_dom(chromium, tmp_path, write(tmp_path, "clicked.html", page))
    rows = shown_rows(dom)
    expected = [
        r for r in map(html.row_data, result.records()) if r["status"] != "ok" and "root_no" in "\n".join(
            str(r[k]) for k in [key for key, _ in html.COLUMNS] + ["control_id"]
        ).lower()
    ]
    assert len(rows) == len(expected) > 0
    assert "ok" not in {r["status"] for r in rows}
    accounts = [r["account"] for r in rows]
    assert accounts == sorted(accounts, reverse=True)
    assert dom.find("th", **{"data-key": "account"}).attrs["aria-sort"] == "descending"
    fragment = parse_qs(dom.find("body").attrs["data-test-fragment"].lstrip("#"))
    assert fragment == {"sort": ["account"], "dir": ["desc"], "status": ["alarm,error,info,skip"], "q": ["ROOT_NO"]}


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_screenshots(chromium: str, tmp_path: Path, capsys, record_property) -> None:
    """Screenshots of the report and the CIS table, kept under the test's tmp dir and copied to
    build/ for a person to look at."""
    build = REPO / "build"
    build.mkdir(exist_ok=True)
    shots = {
        "report-screenshot.png": html.render(sample_result("root", "cis_v700")),
        "cis-table-screenshot.png": cis_table_html.render(sample_result("cis_v700", "cis_v120")),
    }
    for name, document in shots.items():
        page = write(tmp_path, name.replace(".png", ".html"), document)
        shot = tmp_path / name
        browse(chromium, tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=1400,1000", "--hide-scrollbars")
        assert _png_size(shot) == (1400, 1000)
        assert shot.stat().st_size > 20_000, "a blank page compresses far smaller"
        shutil.copyfile(shot, build / name)
        record_property(name, str(shot))
        with capsys.disabled():
            print(f"\n{name}: {shot} (copy: {build / name})")


def test_cis_table_html_renders_with_payloads_as_text(chromium: str, tmp_path: Path) -> None:
    result = sample_result("cis_v700", "cis_v120", payload=True)
    dom = dump_dom(chromium, tmp_path, write(tmp_path, "audit.cis.html", cis_table_html.render(result)))
    assert_no_payload_ran(dom, "CIS table for auditors: ")
    assert not dom.find_all("script")
    sections = dom.find_all("section")
    assert [len([tr for tr in s.find_all("tr") if tr.has_class("item")]) for s in sections] == [16, 3]
    visible = dom.find("body").text
    for where, index in (("item title", 3), ("level", 2), ("section title", 0), ("reason", 1), ("remediation", 4), ("source", 3)):
        assert f"{PAYLOADS[index]} ({where})" in visible, where
