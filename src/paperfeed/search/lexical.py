"""The keyword index: a tantivy index in ``<index_dir>/lexical`` derived from the store.

Fields: ``paper_id`` (raw, stored; the delete key), ``ids`` (paper id, DOI; exact match), ``title``
(stemmed English, with positions, stored: ``title:`` clauses and the title's extra weight), ``body``
(title and abstract as two values of one stemmed field with positions, not stored: what plain words
are ranked on and phrases matched in), ``abstract`` (stored only, as UTF-8 bytes: snippets),
``authors`` (names, folded, not stemmed), ``categories`` (lowercased, exact), ``published`` (epoch
seconds, fast field for the --since/--until range filters).

Why this layout (schema version 2): tokenizing and stemming is most of what indexing costs, and the
first layout analysed every abstract twice (an ``abstract`` field for phrases and snippets beside
``body`` for ranking). Now the abstract is analysed once, in ``body``; snippets are cut from the
stored abstract with ``body``'s analyzer (:meth:`LexicalIndex.search`), and the two values of
``body`` keep a phrase from running from the end of the title into the abstract. Ranking is the
same: one BM25 over title + abstract plus the title's small boost (see ``FieldWeights``). Ranking is tantivy's BM25 (k1 1.2, b 0.75: the Python binding does
not expose them; what that gives on SciFact is measured in docs/benchmarks.md).

The index only knows documents; which store change it is current up to is kept beside it (see
:mod:`paperfeed.search.marks`). Exactly one process writes an index directory (the indexer, see
:mod:`paperfeed.search.indexer`); every other process opens it with :meth:`LexicalIndex.open_reader`,
which never writes. Results carry plain text and character spans of the matched words; turning spans
into markup is the web layer's job.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import tantivy

from paperfeed.records import PaperRecord
from paperfeed.search import analysis
from paperfeed.search.query import (
    DEFAULT_WEIGHTS,
    HIGHLIGHT_WEIGHTS,
    FieldWeights,
    ParsedQuery,
    build_query,
    category_query,
    constraint_clauses,
)

INDEX_ID_FILE = "INDEX_ID"
WRITER_HEAP = 128_000_000
COUNT_CAP = 10_000
"""Plain-word searches whose matches surely exceed this are not counted: the result says "more than
10,000" (``total_exact`` False). Counting every match means visiting the whole union of the words'
postings (1.8–2.6 million papers for three common words at 2.7M), which keeps tantivy from skipping
blocks that cannot reach the top hits (block-max WAND); the document frequency of one word is
already a lower bound on the union, and costs one look-up."""


class IndexBusy(RuntimeError):
    """Another process holds the index writer lock (an ingest is updating the index)."""


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("paper_id", stored=True, tokenizer_name="raw")
    builder.add_text_field("ids", tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name=analysis.STEMMED)
    # The abstract is kept for snippets only: it is analysed once, as the second value of ``body``.
    builder.add_bytes_field("abstract", stored=True, indexed=False)
    # title + abstract, for ranking plain words (see FieldWeights) and matching phrases.
    builder.add_text_field("body", tokenizer_name=analysis.STEMMED)
    builder.add_text_field("authors", stored=True, tokenizer_name=analysis.NAMES)
    builder.add_text_field("categories", stored=True, tokenizer_name="raw")
    builder.add_integer_field("published", stored=True, indexed=True, fast=True)
    return builder.build()


def to_epoch(value: datetime | date) -> int:
    """Seconds since the epoch (UTC) of a datetime, or of midnight UTC of a date."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def paper_document(paper: PaperRecord) -> tantivy.Document:
    """The indexed form of a paper."""
    when = paper.published or paper.updated
    return make_document(
        paper_id=paper.paper_id,
        doi=paper.doi,
        title=paper.title,
        abstract=paper.abstract,
        authors=list(paper.authors),
        categories=paper.categories,
        published=to_epoch(when) if when is not None else None,
    )


def make_document(
    *,
    paper_id: str,
    doi: str | None,
    title: str,
    abstract: str,
    authors: list[str],
    categories: list[str],
    published: int | None,
) -> tantivy.Document:
    """The indexed form of a paper from its parts (also built straight from store rows during an
    import, see :mod:`paperfeed.search.live_index`)."""
    fields: dict[str, object] = {
        "paper_id": paper_id,
        "ids": [i for i in {paper_id.lower(), (doi or "").lower()} if i],
        "title": title,
        "abstract": abstract.encode("utf-8"),
        "body": [title, abstract],
        "authors": authors,
        "categories": [c.lower() for c in categories],
    }
    if published is not None:
        fields["published"] = published
    return tantivy.Document(**fields)


def stored_text(doc: dict[str, list[object]] | tantivy.Document, name: str) -> str:
    """A stored field's first value as text: ``abstract`` is stored as UTF-8 bytes."""
    if isinstance(doc, dict):
        values = doc.get(name) or [""]
        value = values[0]
    else:
        value = doc.get_first(name)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return "" if value is None else str(value)


Spans = list[tuple[int, int]]
"""Character offsets ``[start, end)`` of matched words in a text."""


@dataclass(slots=True)
class LexicalHit:
    paper_id: str
    score: float
    title_spans: Spans
    snippet: str
    snippet_spans: Spans


@dataclass(slots=True)
class LexicalResults:
    hits: list[LexicalHit]
    total: int
    total_exact: bool = True
    """False when ``total`` is :data:`COUNT_CAP` and more papers match (see there)."""


def char_spans(text: str, byte_ranges: Iterable[tuple[int, int]]) -> Spans:
    """tantivy's UTF-8 byte ranges over ``text`` as character offsets, sorted, overlaps dropped."""
    data = text.encode("utf-8")
    spans: Spans = []
    cursor = 0
    for start, end in sorted(byte_ranges):
        if start < cursor or end <= start or end > len(data):
            continue
        first = len(data[:start].decode("utf-8", "ignore"))
        spans.append((first, first + len(data[start:end].decode("utf-8", "ignore"))))
        cursor = end
    return spans


class LexicalIndex:
    """One tantivy index directory: :meth:`open_reader` to search, :meth:`open_writer` (the indexer)."""

    def __init__(self, path: Path, index: tantivy.Index, index_id: str) -> None:
        self.path = path
        self.schema = build_schema()
        self.index = index
        analysis.register(self.index)
        self.index_id = index_id

    @classmethod
    def open_reader(cls, path: Path) -> LexicalIndex:
        """Open an existing index to search it; writes nothing (ValueError when there is none)."""
        if not cls.exists(path):
            raise ValueError(f"no keyword index at {path}")
        index_id = (path / INDEX_ID_FILE).read_text().strip()
        return cls(path, tantivy.Index.open(str(path)), index_id)

    @classmethod
    def open_writer(cls, path: Path) -> LexicalIndex:
        """Open (or create) the index to write it: only the indexer, holding the indexer lock."""
        path.mkdir(parents=True, exist_ok=True)
        index = tantivy.Index(build_schema(), path=str(path), reuse=True)
        id_file = path / INDEX_ID_FILE
        if not id_file.exists():
            id_file.write_text(uuid.uuid4().hex)
        return cls(path, index, id_file.read_text().strip())

    @classmethod
    def exists(cls, path: Path) -> bool:
        return (path / INDEX_ID_FILE).exists() and (path / "meta.json").exists()

    @classmethod
    def create_empty(cls, path: Path) -> LexicalIndex:
        """A new, empty index with a new id (so marks of the old one no longer apply)."""
        if path.exists():
            shutil.rmtree(path)
        return cls.open_writer(path)

    # -------------------------------------------------------------------- writes
    def writer(self, threads: int = 1) -> tantivy.IndexWriter:
        """The index writer; ``threads`` > 1 for large (re)builds: tantivy then tokenizes and
        indexes on that many threads while Python reads the store and builds documents."""
        try:
            return self.index.writer(WRITER_HEAP * threads, threads)
        except ValueError as exc:
            raise IndexBusy(f"the keyword index at {self.path} is being written by another process") from exc

    def upsert(self, writer: tantivy.IndexWriter, papers: Sequence[PaperRecord]) -> None:
        """Replace the documents of ``papers`` (delete by id, then add: idempotent)."""
        for paper in papers:
            writer.delete_documents_by_term("paper_id", paper.paper_id)
            writer.add_document(paper_document(paper))

    def delete(self, writer: tantivy.IndexWriter, paper_ids: Iterable[str]) -> None:
        for paper_id in paper_ids:
            writer.delete_documents_by_term("paper_id", paper_id)

    # --------------------------------------------------------------------- reads
    def num_docs(self) -> int:
        self.index.reload()
        return int(self.index.searcher().num_docs)

    def filter_queries(
        self, *, category: str | None, since: date | None, until: date | None
    ) -> list[tantivy.Query]:
        """Filters for --category, --since (on or after) and --until (on or before, whole day)."""
        filters: list[tantivy.Query] = []
        if category:  # a dotless name is the whole archive, as in the query syntax's cat:cs
            filters.append(category_query(self.schema, category))
        if since or until:
            lower = to_epoch(since) if since else None
            upper = to_epoch(until) + 86_399 if until else None
            filters.append(
                tantivy.Query.range_query(self.schema, "published", tantivy.FieldType.Integer, lower, upper)
            )
        return filters

    def search(
        self,
        parsed: ParsedQuery,
        *,
        category: str | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int = 10,
        offset: int = 0,
        snippets: bool = True,
        weights: FieldWeights = DEFAULT_WEIGHTS,
        only_ids: Sequence[str] | None = None,
    ) -> LexicalResults:
        """Ranked papers for a parsed query with filters; an empty result for an unmatched query.

        ``only_ids`` restricts the search to those papers (to highlight semantic hits)."""
        filters = self.filter_queries(category=category, since=since, until=until)
        if only_ids is not None:
            filters.append(tantivy.Query.term_set_query(self.schema, "paper_id", list(only_ids)))
        query = build_query(self.schema, parsed, filters=filters, weights=weights)
        if query is None or limit <= 0:
            return LexicalResults([], 0)
        self.index.reload()
        searcher = self.index.searcher()
        over_cap = not filters and weights.body > 0 and self._surely_over_cap(searcher, parsed)
        result = searcher.search(query, limit, count=not over_cap, offset=offset)
        hits: list[LexicalHit] = []
        title_gen: tantivy.SnippetGenerator | None = None
        abstract_gen: tantivy.SnippetGenerator | None = None
        highlight = build_query(self.schema, parsed, weights=HIGHLIGHT_WEIGHTS) if snippets else None
        if highlight is not None and result.hits:
            title_gen = tantivy.SnippetGenerator.create(searcher, highlight, self.schema, "title")
            title_gen.set_max_num_chars(1000)
            # The abstract is not an indexed field: its snippet is cut by body's analyzer from a
            # document holding only the stored abstract as body (see the module docstring).
            abstract_gen = tantivy.SnippetGenerator.create(searcher, highlight, self.schema, "body")
            abstract_gen.set_max_num_chars(300)
        for score, address in result.hits:
            doc = searcher.doc(address)
            paper_id = doc.get_first("paper_id")
            title_spans: Spans = []
            snippet, snippet_spans = "", []
            if title_gen is not None and abstract_gen is not None:
                title = doc.get_first("title") or ""
                title_spans = char_spans(
                    title, [(r.start, r.end) for r in title_gen.snippet_from_doc(doc).highlighted()]
                )
                abstract = stored_text(doc, "abstract")
                snip = abstract_gen.snippet_from_doc(tantivy.Document(body=abstract))
                snippet = snip.fragment()
                if snippet:
                    snippet_spans = char_spans(snippet, [(r.start, r.end) for r in snip.highlighted()])
                else:
                    snippet = abstract[:300]
            hits.append(LexicalHit(str(paper_id), float(score), title_spans, snippet, snippet_spans))
        if over_cap:
            return LexicalResults(hits, COUNT_CAP, total_exact=False)
        return LexicalResults(hits, int(getattr(result, "count", 0) or 0))

    @staticmethod
    def _surely_over_cap(searcher: tantivy.Searcher, parsed: ParsedQuery) -> bool:
        """Whether a query of plain words alone matches more than :data:`COUNT_CAP` papers, judged
        from its words' document frequencies in ``body`` (each a lower bound on the union the query
        matches). Frequencies still count documents deleted since the last merge of their segment,
        so right after many re-indexed papers the bound can overstate by that many."""
        if parsed.required or parsed.excluded or not parsed.words:
            return False
        return any(
            searcher.doc_freq("body", term) > COUNT_CAP
            for term in dict.fromkeys(analysis.stem_tokens(" ".join(parsed.words)))
        )

    def search_in(self, parsed: ParsedQuery, paper_ids: Sequence[str]) -> list[LexicalHit]:
        """Hits with snippets among ``paper_ids`` only (those the query matches)."""
        if not paper_ids:
            return []
        return self.search(parsed, only_ids=paper_ids, limit=len(paper_ids)).hits

    def matching_ids(
        self,
        paper_ids: Sequence[str],
        parsed: ParsedQuery,
        *,
        category: str | None = None,
        since: date | None = None,
        until: date | None = None,
    ) -> set[str]:
        """Which of ``paper_ids`` meet the query's constraints and filters (not its plain words).

        Semantic search finds candidates by meaning; this applies ``author:``, ``cat:``, phrases,
        exclusions and the date/category filters to them with the same code as keyword search.
        """
        if not paper_ids:
            return set()
        clauses = constraint_clauses(self.schema, parsed)
        clauses.extend(
            (tantivy.Occur.Must, q) for q in self.filter_queries(category=category, since=since, until=until)
        )
        clauses.append(
            (tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, "paper_id", list(paper_ids)))
        )
        query = tantivy.Query.boolean_query(clauses)
        self.index.reload()
        searcher = self.index.searcher()
        result = searcher.search(query, len(paper_ids), count=False)
        return {str(searcher.doc(address).get_first("paper_id")) for _, address in result.hits}

    def constrained_ids(
        self,
        parsed: ParsedQuery,
        *,
        category: str | None = None,
        since: date | None = None,
        until: date | None = None,
        cap: int = 5000,
    ) -> list[str] | None:
        """All papers meeting the query's constraints and filters (not its words), or None when more
        than ``cap`` do (then a semantic search filters its nearest candidates instead)."""
        clauses = constraint_clauses(self.schema, parsed)
        clauses.extend(
            (tantivy.Occur.Must, q) for q in self.filter_queries(category=category, since=since, until=until)
        )
        if not any(occur == tantivy.Occur.Must for occur, _ in clauses):
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        self.index.reload()
        searcher = self.index.searcher()
        result = searcher.search(tantivy.Query.boolean_query(clauses), cap + 1, count=False)
        if len(result.hits) > cap:
            return None
        return [str(searcher.doc(address).get_first("paper_id")) for _, address in result.hits]

    def newest_constrained_ids(
        self, parsed: ParsedQuery, *, category: str | None = None, limit: int, offset: int = 0
    ) -> list[str]:
        """One page of the papers meeting the query's constraints, newest first version first.

        Ordered by the ``published`` fast field inside tantivy, so only the page's documents are
        read, however many papers match (a common surname in the whole catalogue)."""
        clauses = constraint_clauses(self.schema, parsed)
        clauses.extend(
            (tantivy.Occur.Must, q) for q in self.filter_queries(category=category, since=None, until=None)
        )
        if not any(occur == tantivy.Occur.Must for occur, _ in clauses):
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        self.index.reload()
        searcher = self.index.searcher()
        result = searcher.search(
            tantivy.Query.boolean_query(clauses),
            limit,
            count=False,
            order_by_field="published",
            offset=offset,
        )
        return [str(searcher.doc(address).get_first("paper_id")) for _, address in result.hits]

    def stored(self, paper_ids: Sequence[str]) -> dict[str, dict[str, list[object]]]:
        """Stored fields of indexed papers by id (for snippets of semantic hits)."""
        if not paper_ids:
            return {}
        self.index.reload()
        searcher = self.index.searcher()
        query = tantivy.Query.term_set_query(self.schema, "paper_id", list(paper_ids))
        result = searcher.search(query, len(paper_ids), count=False)
        out: dict[str, dict[str, list[object]]] = {}
        for _, address in result.hits:
            doc = searcher.doc(address).to_dict()
            out[str(doc["paper_id"][0])] = doc
        return out
