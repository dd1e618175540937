"""Comment text: a small, safe subset of Markdown, with ``$…$`` maths left for KaTeX.

Members write comments in Markdown; other members read them, so a comment is hostile text. The
renderer writes only its own few tags, and every character of the comment is escaped:

- blocks: paragraphs (blank lines between them; a single line break is kept), ``- `` or ``* ``
  bullet lists, ``1. `` numbered lists, ``> `` quotes, and fenced code blocks (```` ``` ````);
- inline: ``**bold**``, ``*italic*`` / ``_italic_``, `` `code` ``, links ``[text](https://…)``
  and bare ``http(s)://`` addresses. A link is made only for ``http://`` and ``https://``
  (never ``javascript:``, ``data:`` or a relative path), always ``rel="nofollow ugc noopener"``;
- maths: ``$…$``, ``$$…$$``, ``\\(…\\)`` and ``\\[…\\]`` are kept as written (escaped) for KaTeX,
  which renders them in the browser as it renders abstracts; nothing inside them is read as
  Markdown (``$a_1 * b_2$`` stays maths).

Everything else (raw HTML, images, headings, tables) is shown as the characters typed.
:func:`plain_text` gives the text without markup for feeds and mail. Pure functions.
"""

from __future__ import annotations

import re
from html import escape

from markupsafe import Markup

_FENCE = re.compile(r"^\s*```")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,9}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")

# Spans read before any emphasis, in this order of preference at one position.
_SPANS = re.compile(
    r"(?P<code>(?P<ticks>`+)(?P<code_text>.+?)(?P=ticks))"
    r"|(?P<math>\$\$.+?\$\$|\\\[.+?\\\]|\\\(.+?\\\)|(?<![\\$])\$(?=\S)[^$\n]+?(?<=\S)\$)"
    r"|(?P<link>\[(?P<label>[^\[\]\n]{1,500})\]\((?P<href>https?://[^\s()<>\"']{1,2000})\))"
    r"|(?P<url>https?://[^\s<>\"'()\[\]{}]{1,2000})",
    re.IGNORECASE,
)
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])|(?<![\w])_(?=\S)([^_]+?)(?<=\S)_(?![\w])")
_TRAILING = ".,;:!?"
MAX_BODY_CHARS = 10_000


def _emphasis(escaped: str) -> str:
    """Bold and italic on already escaped text (escaping never makes ``*`` or ``_``)."""
    escaped = _BOLD.sub(r"<strong>\1</strong>", escaped)
    return _ITALIC.sub(lambda m: f"<em>{m[1] if m[1] is not None else m[2]}</em>", escaped)


def _anchor(href: str, label_html: str) -> str:
    return f'<a href="{escape(href, quote=True)}" rel="nofollow ugc noopener">{label_html}</a>'


def inline(text: str) -> str:
    """One block's text as safe inline HTML."""
    out: list[str] = []
    cursor = 0
    for match in _SPANS.finditer(text):
        out.append(_emphasis(escape(text[cursor : match.start()], quote=False)))
        if match["code"] is not None:
            out.append(f"<code>{escape(match['code_text'].strip(), quote=False)}</code>")
            cursor = match.end()
        elif match["math"] is not None:
            out.append(escape(match["math"], quote=False))
            cursor = match.end()
        elif match["link"] is not None:
            out.append(_anchor(match["href"], _emphasis(escape(match["label"], quote=False))))
            cursor = match.end()
        else:
            url = match["url"].rstrip(_TRAILING)
            out.append(_anchor(url, escape(url, quote=False)))
            cursor = match.start() + len(url)
    out.append(_emphasis(escape(text[cursor:], quote=False)))
    return "".join(out)


def _paragraph(lines: list[str]) -> str:
    return "<p>" + "<br>\n".join(inline(line.strip()) for line in lines) + "</p>"


def render(body: str) -> Markup:
    """The comment as safe HTML (see the module docstring for what is understood)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    html: list[str] = []
    paragraph: list[str] = []
    n = 0

    def flush() -> None:
        if paragraph:
            html.append(_paragraph(paragraph))
            paragraph.clear()

    while n < len(lines):
        line = lines[n]
        if _FENCE.match(line):
            flush()
            code: list[str] = []
            n += 1
            while n < len(lines) and not _FENCE.match(lines[n]):
                code.append(lines[n])
                n += 1
            n += 1  # the closing fence (or the end)
            html.append(f"<pre><code>{escape(chr(10).join(code), quote=False)}</code></pre>")
            continue
        for pattern, tag in ((_BULLET, "ul"), (_NUMBERED, "ol")):
            if pattern.match(line):
                flush()
                items: list[str] = []
                while n < len(lines) and (found := pattern.match(lines[n])):
                    items.append(f"<li>{inline(found[1].strip())}</li>")
                    n += 1
                html.append(f"<{tag}>" + "".join(items) + f"</{tag}>")
                break
        else:
            if _QUOTE.match(line):
                flush()
                quoted: list[str] = []
                while n < len(lines) and (found := _QUOTE.match(lines[n])):
                    quoted.append(found[1])
                    n += 1
                inner = [part for part in "\n".join(quoted).split("\n\n") if part.strip()]
                html.append(
                    "<blockquote>" + "".join(_paragraph(p.split("\n")) for p in inner) + "</blockquote>"
                )
                continue
            if line.strip():
                paragraph.append(line)
            else:
                flush()
            n += 1
    flush()
    return Markup("\n".join(html))


def plain_text(body: str) -> str:
    """The comment's words without Markdown punctuation, on one line (feeds, mail, snippets);
    links keep their address so a reader of the plain text still has it."""
    text = re.sub(r"\[([^\[\]\n]{1,500})\]\((https?://[^\s()<>]+)\)", r"\1 (\2)", body)
    text = re.sub(r"```+", " ", text)
    text = _BOLD.sub(r"\1", text)
    return " ".join(text.split())
