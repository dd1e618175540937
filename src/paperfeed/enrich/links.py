"""A paper's GitHub repository and project page, found in its own words (pure functions).

Authors say where their code and project page are in the arXiv comment ("Code: https://github.com/…",
"Project page: https://….github.io/") or at the end of the abstract ("Code is available at …").
This module reads those two texts (and the code links ingest kept) and decides:

- **GitHub repository**: a ``github.com/owner/repo`` link (never GitHub's own pages such as
  ``github.com/features`` or a bare profile ``github.com/owner``); the one announced with a word
  like "code", "implementation" or "available" wins, else the first. Returned as ``owner/repo``.
- **Project page**: an http(s) link announced as "project page", "project website", "homepage",
  "webpage", "demo" or "website", or any ``*.github.io`` page; never arXiv, DOI, GitHub or
  Hugging Face links, and never a conference's page (an accepted-at note is not a project page).

Nothing is fetched: a link is what the paper says, not what is behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from paperfeed.records import PaperRecord

_URL = re.compile(
    r"https?://[^\s<>\"'{}\[\]\\|^`]+|(?<![\w.@-])(?<![\w.@-]/)(?://)?(?:www\.)?github\.com/[^\s<>\"'{}\[\]\\|^`]+",
    re.IGNORECASE,
)
_GITHUB = re.compile(
    r"^https?://(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9_.-]{1,104})(?:[/#?].*)?$",
    re.IGNORECASE,
)
# github.com/<these> are GitHub's own pages, not an owner.
_NOT_OWNERS = frozenset(
    [
        "about",
        "apps",
        "blog",
        "collections",
        "customer-stories",
        "enterprise",
        "events",
        "explore",
        "features",
        "join",
        "login",
        "marketplace",
        "new",
        "notifications",
        "orgs",
        "organizations",
        "pricing",
        "pulls",
        "issues",
        "search",
        "security",
        "settings",
        "site",
        "sponsors",
        "topics",
        "trending",
        "users",
        "readme",
        "codespaces",
    ]
)
_CODE_CUE = re.compile(
    r"(code|implementation|source|repo(?:sitory)?|github|available|released|open[- ]sourced?)"
    r"(?:\W+(?:is|are|and|data|will|be|made|can|found|at|in|on|from|here|via|publicly|available))*\W*$",
    re.IGNORECASE,
)
_PAGE_CUE = re.compile(
    r"(project(?:\s+(?:page|website|site|homepage|webpage))?|home\s*page|web\s*page|website|web\s*site|demos?|"
    r"page|site|visit)\s*(?:is|at|:)?\s*(?:available\s+)?(?:at|on|in)?\s*[:\-–—]?\s*\W*$",
    re.IGNORECASE,
)
_NOT_PAGES = (
    "arxiv.org",
    "doi.org",
    "github.com",
    "gitlab.com",
    "huggingface.co",
    "hf.co",
    "openreview.net",
    "aclanthology.org",
    "aclweb.org",
    "iclr.cc",
    "neurips.cc",
    "nips.cc",
    "icml.cc",
    "thecvf.com",
    "ieee.org",
    "acm.org",
    "springer.com",
    "sciencedirect.com",
    "creativecommons.org",
    "youtube.com",
    "youtu.be",
    "zenodo.org",
    "kaggle.com",
    "anonymous.4open.science",
)
_CUE_WINDOW = 48


@dataclass(frozen=True, slots=True)
class Links:
    github_repo: str | None = None  # owner/repo
    project_page: str | None = None


def _clean(url: str) -> str:
    """A URL as written, without the punctuation that ends the sentence around it."""
    url = url.rstrip(".,;:!?*'\"")
    while url.endswith(")") and url.count("(") < url.count(")"):
        url = url[:-1].rstrip(".,;:!?")
    while url.endswith("]") and url.count("[") < url.count("]"):
        url = url[:-1].rstrip(".,;:!?")
    return url


def github_repo_of(url: str) -> str | None:
    """``owner/repo`` of a GitHub repository link; ``None`` for other links and GitHub's own pages."""
    match = _GITHUB.match(url.strip())
    if not match:
        return None
    owner, repo = match[1], match[2].removesuffix(".git")
    if owner.lower() in _NOT_OWNERS or not repo.strip(".") or repo.lower() in {"issues", "pulls"}:
        return None
    return f"{owner}/{repo}"


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _may_be_page(url: str) -> bool:
    host = _host(url)
    if not host or "." not in host:
        return False
    return not any(host == bad or host.endswith("." + bad) for bad in _NOT_PAGES)


def detect_links(paper: PaperRecord) -> Links:
    """The paper's GitHub repository and project page, from its comment, abstract and code links."""
    repos: list[tuple[bool, str]] = []
    cued_pages: list[str] = []
    io_pages: list[str] = []
    for text in (paper.comment or "", paper.abstract or ""):
        for match in _URL.finditer(text):
            url = _clean(match.group(0))
            if not url.lower().startswith(("http://", "https://")):
                url = "https://" + url.lstrip("/")  # "github.com/owner/repo" written without a scheme
            before = text[max(0, match.start() - _CUE_WINDOW) : match.start()]
            before = re.sub(r"\\(?:url|href)\s*\{?$", "", before.rstrip("{ ")).rstrip()
            repo = github_repo_of(url)
            if repo is not None:
                repos.append((bool(_CODE_CUE.search(before)), repo))
                continue
            if not _may_be_page(url):
                continue
            if _PAGE_CUE.search(before):
                cued_pages.append(url)
            elif _host(url).endswith(".github.io"):
                io_pages.append(url)
    for url in paper.code_links:
        repo = github_repo_of(url)
        if repo is not None:
            repos.append((False, repo))
    cued = [repo for has_cue, repo in repos if has_cue]
    repo = next(iter(cued or [r for _, r in repos]), None)
    page = next(iter(cued_pages or io_pages), None)
    return Links(repo, page)
