"""Building blocks of rootwatch's self-contained HTML files (the report and the CIS table).

Everything a page needs is inline: styles, scripts and charts. Two escaping rules hold for every
value that comes from a run: text and attribute values go through :func:`esc`; data handed to
JavaScript goes through :func:`script_json` into a ``<script type="application/json">`` element
and is read back with ``JSON.parse``, never spliced into code. On top of that, each page carries a
Content-Security-Policy that allows only its own inline script (by hash) and no network access at
all, so a file that escaped something wrongly still would not run it or fetch anything.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from typing import Any

from rootwatch.status import Status

STATUS_COLOURS: dict[Status, str] = {
    Status.OK: "#2e7d32",
    Status.ALARM: "#c62828",
    Status.ERROR: "#7b1fa2",
    Status.INFO: "#0277bd",
    Status.SKIP: "#8d8d8d",
}

BASE_CSS = """
:root { color-scheme: light; --fg: #1d1d1f; --muted: #5f6368; --line: #d9dce1; --head: #f3f4f6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--fg); margin: 0; padding: 24px 32px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.muted { color: var(--muted); }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); position: sticky; top: 0; z-index: 1; }
/* break-word, not anywhere: a column is never narrower than its longest word, so an ARN or a
   control id stays whole instead of breaking in the middle of an account number. */
td { overflow-wrap: break-word; }
.badge { display: inline-block; min-width: 46px; padding: 1px 7px; border-radius: 10px; color: #fff;
         font-size: 12px; font-weight: 600; text-align: center; white-space: nowrap; }
.st-ok { background: #2e7d32; } .st-alarm { background: #c62828; } .st-error { background: #7b1fa2; }
.st-info { background: #0277bd; } .st-skip { background: #8d8d8d; }
.note { border-left: 4px solid #0277bd; background: #eef6fb; padding: 8px 12px; margin: 10px 0; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 4px 0; font-size: 12px; }
@media print { th { position: static; } body { padding: 0; } }
"""


def esc(value: object) -> str:
    """``value`` as HTML text, safe in element content and in quoted attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def script_json(data: Any) -> str:
    """``data`` as JSON that can sit inside a ``<script>`` element.

    The HTML parser ends a script element at ``</script`` and changes state at ``<!--``, whatever
    the script's type; ``<``, ``>`` and ``&`` only ever occur inside JSON strings, where their
    ``\\u`` escapes mean the same. U+2028/2029 are escaped for older JavaScript parsers.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii") + "'"


def page(*, title: str, body: str, css: str = "", scripts: tuple[str, ...] = (), data: Any = None) -> str:
    """A complete HTML document: ``body`` (already escaped markup), inline ``css`` and ``scripts``.

    ``data``, when given, is embedded as ``<script type="application/json" id="rw-data">``.
    """
    script_src = " ".join(_script_hash(s) for s in scripts) if scripts else "'none'"
    policy = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src {script_src}; base-uri 'none'; form-action 'none'"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(policy)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{BASE_CSS}{css}</style>",
        "</head>",
        "<body>",
        body,
    ]
    if data is not None:
        parts.append(f'<script type="application/json" id="rw-data">{script_json(data)}</script>')
    parts += [f"<script>{script}</script>" for script in scripts]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def badge(status: str, css_status: str | None = None) -> str:
    """A coloured status label; ``css_status`` picks the colour when the text is not a status."""
    return f'<span class="badge st-{esc(css_status or status)}">{esc(status)}</span>'
