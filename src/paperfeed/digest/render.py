"""Digest mail as people see it: plain text and HTML from this package's own Jinja2 templates.

The HTML is self-contained: inline styles, no images, no scripts, nothing loaded from anywhere
(:func:`paperfeed.mail.build_message` refuses remote content), so it can neither track its reader
nor break in a client that blocks remote content. Paper text is escaped by the template engine:
hostile titles stay text. Each paper's formatting (wrapped text, short abstract, links) is done once
per period and shared by every digest that shows the paper.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from paperfeed.config import Settings
from paperfeed.digest import links
from paperfeed.digest.choices import describe
from paperfeed.digest.compose import SECTION_TITLES, ComposedDigest
from paperfeed.mail import build_message
from paperfeed.papers_json import arxiv_urls
from paperfeed.periods import Period
from paperfeed.records import PaperRecord
from paperfeed.store import Subscription

TEMPLATES = Path(__file__).with_name("templates")
ABSTRACT_CHARS = 320
MAX_AUTHORS = 5
CONFIRM_SUBJECT = "Confirm your paperfeed digest subscription"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The templates, compiled once per process (HTML autoescaped, text not)."""
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
    )


def short_abstract(text: str, limit: int = ABSTRACT_CHARS) -> str:
    """The start of an abstract, cut at a word boundary, with an ellipsis when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + " …"


def authors_line(authors: list[str], limit: int = MAX_AUTHORS) -> str:
    if not authors:
        return "Unknown authors"
    shown = ", ".join(authors[:limit])
    return shown + (f", et al. ({len(authors)} authors)" if len(authors) > limit else "")


@dataclass(frozen=True, slots=True)
class PaperView:
    """A paper formatted for a digest (computed once per period, shared by every digest)."""

    paper_id: str
    title: str
    authors: str
    abstract: str
    url: str
    arxiv: str | None
    pdf: str | None
    tldr: tuple[str, str] | None = None  # (the AI summary's first sentence, the model)


SummaryLines = Callable[[Sequence[str]], dict[str, tuple[str, str]]]
"""Papers' one-line AI summaries with the model's name (``paperfeed.enrich.view.summary_lines``);
papers without one are absent."""


@dataclass(frozen=True, slots=True)
class PaperParts:
    """A paper's ready-made pieces of a digest: the HTML under its reasons, and the plain text above
    (title, authors) and below (abstract, links) its "Why:" line."""

    html: Markup
    text_head: str
    text_tail: str


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    subject: str
    text: str
    html: str
    unsubscribe_url: str


def _wrap(text: str, indent: str = "   ") -> str:
    return textwrap.fill(text, width=76, initial_indent=indent, subsequent_indent=indent)


class DigestRenderer:
    """Renders the digests of one run; holds the per-paper formatting cache."""

    def __init__(self, settings: Settings, *, summaries: SummaryLines | None = None) -> None:
        self.settings = settings
        self._views: dict[str, PaperParts] = {}
        self._summaries = summaries
        self._tldrs: dict[str, tuple[str, str] | None] = {}
        env = environment()
        self._html = env.get_template("digest.html")
        self._text = env.get_template("digest.txt")
        self._paper_html = env.get_template("paper.html").module.body  # type: ignore[attr-defined]

    def view(self, paper: PaperRecord) -> PaperParts:
        found = self._views.get(paper.paper_id)
        if found is None:
            urls = arxiv_urls(paper)
            view = PaperView(
                paper_id=paper.paper_id,
                title=" ".join(paper.title.split()),
                authors=authors_line(paper.authors),
                abstract=short_abstract(paper.abstract),
                url=links.paper_url(self.settings, paper.paper_id),
                arxiv=urls["abs"],
                pdf=urls["pdf"],
                tldr=self._tldrs.get(paper.paper_id),
            )
            tail = [_wrap(f"TL;DR (AI summary, {view.tldr[1]}): {view.tldr[0]}")] if view.tldr else []
            tail += [_wrap(view.abstract)] if view.abstract else []
            tail.append(f"   {view.url}")
            if view.arxiv:
                tail.append(f"   arXiv: {view.arxiv}")
            found = PaperParts(
                html=Markup(self._paper_html(view)),
                text_head=textwrap.fill(view.title, width=76, subsequent_indent="   ")
                + "\n"
                + _wrap(view.authors),
                text_tail="\n".join(tail),
            )
            self._views[paper.paper_id] = found
        return found

    def render(
        self,
        subscription: Subscription,
        period: Period,
        digest: ComposedDigest,
        paper: Callable[[str], PaperRecord | None],
        *,
        view_url: str | None,
    ) -> RenderedDigest:
        """Subject, plain text and HTML of ``digest`` (papers that vanished meanwhile are left out)."""
        sections = []
        count = 0
        if self._summaries is not None:
            unknown = [item.paper_id for _, items in digest.sections() for item in items]
            unknown = [paper_id for paper_id in unknown if paper_id not in self._tldrs]
            if unknown:
                found = self._summaries(unknown)
                self._tldrs.update({paper_id: found.get(paper_id) for paper_id in unknown})
        for kind, items in digest.sections():
            shown = []
            for item in items:
                record = paper(item.paper_id)
                if record is not None:
                    count += 1
                    shown.append((item, self.view(record), count))
            if shown:
                sections.append((SECTION_TITLES[kind], shown))
        frequency = subscription.choices.frequency
        unsubscribe = links.unsubscribe_url(self.settings, subscription.id)
        noun = "paper" if count == 1 else "papers"
        subject = f"paperfeed {frequency} digest · {period.short_label} · {count} {noun}"
        context = {
            "subject": subject,
            "frequency": frequency,
            "period": period,
            "count": count,
            "noun": noun,
            "sections": sections,
            "email": subscription.email,
            "choices": describe(subscription.choices),
            "view_url": view_url,
            "manage_url": links.manage_url(self.settings, subscription.id),
            "unsubscribe_url": unsubscribe,
            "base_url": self.settings.base_url.rstrip("/"),
        }
        return RenderedDigest(subject, self._text.render(context), self._html.render(context), unsubscribe)


def digest_message(
    settings: Settings, subscription: Subscription, rendered: RenderedDigest, *, message_id: str | None = None
) -> EmailMessage:
    """The digest as a message: multipart text + HTML, list headers for one-click unsubscribe
    (RFC 8058 over https), ``Precedence: bulk``. ``message_id`` reuses a Message-ID fixed earlier."""
    frequency = subscription.choices.frequency
    message = build_message(
        settings,
        to=subscription.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        unsubscribe_url=rendered.unsubscribe_url,
        list_id=frequency,
        list_name=f"paperfeed {frequency} digest",
        bulk=True,
    )
    if message_id:
        del message["Message-ID"]
        message["Message-ID"] = message_id
    return message


def confirmation_message(settings: Settings, subscription: Subscription, link: str) -> EmailMessage:
    """The double opt-in mail: plain text, the link on a line of its own."""
    text = (
        environment()
        .get_template("confirm.txt")
        .render(
            email=subscription.email,
            choices=describe(subscription.choices),
            link=link,
            days=links.CONFIRM_TTL.days,
            base_url=settings.base_url.rstrip("/"),
        )
    )
    return build_message(settings, to=subscription.email, subject=CONFIRM_SUBJECT, text=text)
