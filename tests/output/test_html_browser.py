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
from cis_fixtures import A2, ACCOUNT_NAMES, PAYLOADS, parse_html, pictures_result, sample_result
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


def assessed(result) -> list:
    """The records the report shows until asked for the items the mod does not assess."""
    return [r for r in result.records() if not r.not_assessed]


def chart_rows(dom, chart_id: str) -> list:
    chart = next(div for div in dom.find_all("div") if div.attrs.get("id") == chart_id)
    return [row for row in chart.find_all("div") if row.has_class("bar-row")]


def test_report_renders_with_payloads_as_text(chromium: str, tmp_path: Path) -> None:
    result = sample_result("root", "cis_v700", payload=True)
    dom = dump_dom(chromium, tmp_path, write(tmp_path, "report.html", html.render(result)))
    assert dom.find("body").attrs.get("data-rw-ready") == "1", "the report's script did not run"
    assert_no_payload_ran(dom, "rootwatch report: AWS root user, ")
    assert len(dom.find_all("script")) == 2
    total, shown = len(result.records()), len(assessed(result))
    assert len(shown_rows(dom)) == shown < total
    assert dom.find("span", id="rw-count").text == f"{shown} of {total} results shown"
    for chart in ("chart-sections", "chart-accounts"):
        rows = chart_rows(dom, chart)
        assert rows and all(row.find("svg") is not None for row in rows), chart
    visible = dom.find("body").text
    for where, index in (("reason", 1), ("resource", 2), ("account", 3), ("benchmark title", 2), ("source", 3), ("control title", 0), ("region", 4)):
        assert f"{PAYLOADS[index]} ({where})" in visible, where
    accounts = [row.attrs["data-label"] for row in chart_rows(dom, "chart-accounts")]
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
    by_status = shown_rows(dump_dom(chromium, tmp_path, path, "#sort=status&na=1"))
    ranks = [[s.value for s in STATUS_ORDER].index(r["status"]) for r in by_status]
    assert ranks == sorted(ranks) and len(by_status) == len(result.records())


def test_alarms_and_errors_come_first_and_not_assessed_items_wait(chromium: str, tmp_path: Path) -> None:
    result = pictures_result()
    path = write(tmp_path, "report.html", html.render(result))
    rows = shown_rows(dump_dom(chromium, tmp_path, path))
    attention = sum(1 for r in result.records() if r.status.value in ("alarm", "error"))
    assert {r["status"] for r in rows[:attention]} <= {"alarm", "error"}
    assert not {r["status"] for r in rows[attention:]} & {"alarm", "error"}
    assert len(rows) == len(assessed(result))
    # Accounts carry their names; the box brings the items the mod does not assess back.
    assert f"{A2} ({ACCOUNT_NAMES[A2]})" in {r["account"] for r in rows}
    everything = shown_rows(dump_dom(chromium, tmp_path, path, "#na=1"))
    assert len(everything) == len(result.records())


def test_large_reports_draw_one_page_of_rows_until_asked(chromium: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(html, "PAGE_ROWS", 10)
    result = sample_result("root", "cis_v700")
    total = len(result.records())
    path = write(tmp_path, "report.html", html.render(result))
    dom = dump_dom(chromium, tmp_path, path, "#sort=account&dir=desc&na=1")
    rows = shown_rows(dom)
    assert len(rows) == 10
    everything = shown_rows(dump_dom(chromium, tmp_path, path, "#sort=account&dir=desc&na=1&all=1"))
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
        r for r in map(html.row_data, assessed(result)) if r["status"] != "ok" and "root_no" in "\n".join(
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


PHONE_WIDTH = 390
"""A phone's CSS width. Headless Chromium lays no window out narrower than 500 px, so a phone is a
390 px wide frame in a wider page (a screenshot shows the phone at its left)."""


def phone_frame(tmp_path: Path, page: Path, height: int) -> Path:
    frame = (
        '<!DOCTYPE html><html><body style="margin:0;background:#ddd">'
        f'<iframe src="{page.as_uri()}" width="{PHONE_WIDTH}" height="{height}" style="border:0;background:#fff"></iframe>'
        "</body></html>"
    )
    return write(tmp_path, f"phone-{page.name}", frame)


def test_screenshots(chromium: str, tmp_path: Path, capsys, record_property) -> None:
    """Screenshots of the report and the CIS table at desktop and phone widths, kept under the
    test's tmp dir and copied to build/ for a person to look at."""
    build = REPO / "build"
    build.mkdir(exist_ok=True)
    documents = {
        "report": html.render(pictures_result("root", "cis_v700")),
        "cis-table": cis_table_html.render(pictures_result("cis_v700", "cis_v120")),
    }
    for page_name, document in documents.items():
        page = write(tmp_path, f"{page_name}.html", document)
        for device, url, size in (
            ("desktop", page.as_uri(), (1400, 1000)),
            ("phone", phone_frame(tmp_path, page, 2400).as_uri(), (500, 2400)),
        ):
            name = f"{page_name}-{device}-screenshot.png"
            shot = tmp_path / name
            browse(chromium, tmp_path, url, f"--screenshot={shot}", f"--window-size={size[0]},{size[1]}", "--hide-scrollbars")
            assert _png_size(shot) == size
            assert shot.stat().st_size > 20_000, "a blank page compresses far smaller"
            shutil.copyfile(shot, build / name)
            record_property(name, str(shot))
            with capsys.disabled():
                print(f"\n{name}: {shot} (copy: {build / name})")


# Measures the page it is added to and hands the figures to the page framing it (or to itself).
MEASURE = """<script>
(function () {
  var out = {};
  out.page = document.documentElement.scrollWidth;
  out.viewport = window.innerWidth;
  out.chains = Array.prototype.map.call(document.querySelectorAll("svg.alert-chain"), function (s) {
    return Math.round(s.getBoundingClientRect().right); }).join(",");
  out.labels = Array.prototype.map.call(document.querySelectorAll(".chart .label"), function (l) {
    return l.scrollWidth <= l.clientWidth + 1 ? 1 : 0; }).join(",");
  out.cards = Array.prototype.map.call(document.querySelectorAll("table.cis tr.item:not(.not-assessed)"), function (r) {
    return Math.round(r.getBoundingClientRect().right); }).join(",");
  window.parent.postMessage(out, "*");
})();
</script>
</body>"""
RECEIVE = """<script>
window.addEventListener("message", function (event) {
  Object.keys(event.data).forEach(function (k) { document.body.setAttribute("data-m-" + k, String(event.data[k])); });
});
</script>"""


def _measured(chromium: str, tmp_path: Path, name: str, document: str, *, phone: bool) -> dict[str, str]:
    """The figures MEASURE takes of ``document`` in a phone's frame or a desktop window. The test's
    copy drops the page's script-hash policy so that the test's own script may run."""
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", document)
    if phone:
        path = write(tmp_path, name, page.replace("</body>", MEASURE))
        frame = phone_frame(tmp_path, path, 900)
        frame.write_text(frame.read_text().replace("<body", RECEIVE + "<body", 1))
        url, size = frame.as_uri(), "500,900"
    else:  # not framed, the page posts to itself
        url, size = write(tmp_path, name, page.replace("</body>", RECEIVE + MEASURE)).as_uri(), "1400,900"
    dom = parse_html(browse(chromium, tmp_path, url, "--dump-dom", f"--window-size={size}", "--virtual-time-budget=5000"))
    return {k[len("data-m-"):]: v for k, v in dom.find("body").attrs.items() if k.startswith("data-m-")}


def test_pictures_fit_a_phone(chromium: str, tmp_path: Path) -> None:
    """At a phone's width nothing is wider than the screen (the timeline and the results table
    scroll in their own boxes), every chart label is whole, each alerting chain shrinks to fit, and
    the CIS table reads as one card per item."""
    report = _measured(chromium, tmp_path, "report.html", html.render(pictures_result()), phone=True)
    assert int(report["viewport"]) == PHONE_WIDTH
    assert int(report["page"]) <= PHONE_WIDTH
    assert set(report["labels"].split(",")) == {"1"}
    assert all(0 < int(right) <= PHONE_WIDTH for right in report["chains"].split(","))
    cis = _measured(chromium, tmp_path, "audit.cis.html", cis_table_html.render(pictures_result("cis_v700")), phone=True)
    assert int(cis["page"]) <= PHONE_WIDTH
    assert all(0 < int(right) <= PHONE_WIDTH for right in cis["cards"].split(","))
    desktop = _measured(chromium, tmp_path, "report-wide.html", html.render(pictures_result()), phone=False)
    assert int(desktop["viewport"]) == 1400 and int(desktop["page"]) <= 1400
    assert set(desktop["labels"].split(",")) == {"1"}


def test_alerting_chain_and_timeline_are_drawn(chromium: str, tmp_path: Path) -> None:
    result = pictures_result()
    dom = dump_dom(chromium, tmp_path, write(tmp_path, "report.html", html.render(result)))
    chains = {svg.attrs["aria-label"].split(":")[0]: svg for svg in dom.find_all("svg") if svg.has_class("alert-chain")}
    assert list(chains) == [f"{A2} ({ACCOUNT_NAMES[A2]})", f"333333333333 ({ACCOUNT_NAMES['333333333333']})", f"111111111111 ({ACCOUNT_NAMES['111111111111']})"]
    states = {
        account: [g.attrs["data-state"] for g in svg.find_all("g") if g.has_class("link")] for account, svg in chains.items()
    }
    assert states[f"{A2} ({ACCOUNT_NAMES[A2]})"] == ["present", "present", "present", "missing", "beyond", "beyond"]
    assert chains[f"{A2} ({ACCOUNT_NAMES[A2]})"].attrs["data-missing"] == "alarm"
    assert states[f"111111111111 ({ACCOUNT_NAMES['111111111111']})"] == ["present"] * 6
    timeline = next(svg for svg in dom.find_all("svg") if svg.has_class("timeline"))
    events = [c for c in timeline.find_all("circle") if c.has_class("event")]
    assert len(events) == len(result.context.root_activity)
    failed = {(c.attrs["data-day"], c.attrs["data-credential"]) for c in events if c.has_class("failed")}
    assert failed == {("2026-02-14", "password"), ("2026-02-27", "root access key")}
    cis = dump_dom(chromium, tmp_path, write(tmp_path, "audit.cis.html", cis_table_html.render(pictures_result("cis_v700"))))
    row = next(tr for tr in cis.find_all("tr") if tr.attrs.get("data-item") == "5.3")
    assert [svg.attrs["data-missing"] for svg in row.find_all("svg")] == ["", "alarm", "confirmed subscription"]  # account order, as its evidence


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
