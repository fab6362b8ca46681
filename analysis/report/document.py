"""report.md and report.html from the sections: one document a researcher can read, cite and re-run.

The HTML is self-contained except for the figures, which it links by relative path (figures/*.png next to it), so
the output folder can be zipped, served or opened from disk as it is. The Markdown -> HTML step is markdown-it-py
(CommonMark and tables): escaping of text, link targets and image texts is its job, not hand-written rules.
"""
from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from analysis.report.section import Section

#: CommonMark with GitHub's tables; raw HTML off, so names from the Hub (data, not markup) are always escaped.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(md: str) -> str:
    """A section's Markdown (headings, paragraphs, lists, tables, emphasis, code, links, images) as HTML."""
    return _MARKDOWN.render(md)


def _inline(md: str) -> str:
    """One line of Markdown as inline HTML (no enclosing paragraph)."""
    return _MARKDOWN.renderInline(md)


def _anchor(section: Section, i: int) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", (section.key or f"s{i}").lower())


def _section_markdown(section: Section) -> str:
    parts = [section.markdown.strip()]
    for fig in section.figures:
        parts.append(f"![{section.title}]({fig.as_posix()})")
    if section.tables:
        parts.append("Tables: " + ", ".join(f"[{t.name}]({t.as_posix()})" for t in section.tables))
    return "\n\n".join(p for p in parts if p)


def _headline(summary: dict[str, Any]) -> str:
    e1 = summary["e1"]
    sel = summary["pareto"]["selected"]
    return (f"**{e1['matching']:,} of {e1['models']:,} model ids ({e1['share_pct']:.2f}%)** match the version "
            f"pattern ({summary['experiments_use']}). Studied tasks: {', '.join(sel) or 'none'}. "
            f"Generated {summary['generated_at']} from code `{summary.get('code_commit') or 'unknown'}`.")


STYLE = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;
line-height:1.45;color:#222}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em} th,td{border:1px solid #ccc;padding:.25em .6em}
th{background:#f3f3f3} figure{margin:1em 0} figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.8em;color:#666} code{background:#f5f5f5;padding:0 .2em} section{margin-top:2.5em}
nav ol{columns:2} .tables{font-size:.85em}"""


def html_page(title: str, body: str, style: str = STYLE) -> str:
    """A whole report page: the reports of every command share its head and style."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
{style}
</style></head><body>
{body}
</body></html>
"""


def write_report(out: Path, sections: list[Section], summary: dict[str, Any]) -> None:
    """Write report.md and report.html under `out`."""
    title = "Are data scientists embracing DevOps principles for model versioning? (reproduction)"
    toc = [f"{i}. [{s.title}](#{_anchor(s, i)})" for i, s in enumerate(sections, 1)]
    md = [f"# {title}", "", _headline(summary), "", *toc, ""]
    for i, s in enumerate(sections, 1):
        md += [f'<a id="{_anchor(s, i)}"></a>', "", f"## {i}. {s.title}", "", _section_markdown(s), ""]
    md += ["---", "", "Headline numbers: [summary.json](summary.json). Method: `../shared/docs/study.md`; "
           "published study: `../shared/docs/original-study.fr.md`."]
    (out / "report.md").write_text("\n".join(md) + "\n", encoding="utf-8")

    body = [f"<h1>{html.escape(title)}</h1>", f"<p>{_inline(_headline(summary))}</p>", "<nav><ol>"]
    body += [f'<li><a href="#{_anchor(s, i)}">{html.escape(s.title)}</a></li>' for i, s in enumerate(sections, 1)]
    body.append("</ol></nav>")
    for i, s in enumerate(sections, 1):
        body.append(f'<section id="{_anchor(s, i)}"><h2>{i}. {html.escape(s.title)}</h2>')
        body.append(markdown_to_html(s.markdown))
        for fig in s.figures:
            src = html.escape(fig.as_posix())
            body.append(f'<figure><a href="{src}"><img src="{src}" alt="{html.escape(s.title)}"></a>'
                        f"<figcaption>{src}</figcaption></figure>")
        if s.tables:
            links = ", ".join(f'<a href="{html.escape(t.as_posix())}">{html.escape(t.name)}</a>' for t in s.tables)
            body.append(f"<p class=tables>Tables: {links}</p>")
        body.append("</section>")
    body.append('<footer><p>Headline numbers: <a href="summary.json">summary.json</a>.</p></footer>')
    page = html_page(title, "\n".join(body))
    (out / "report.html").write_text(page, encoding="utf-8")
