"""Library file formats: BibTeX, CSL JSON and RIS, read from Zotero-style exports and round-tripped.

The fixtures in tests/data/library are hand-written exports of real arXiv records (see its README)
with the quirks real files have. The round trips check that what paperfeed writes, paperfeed reads
back to the same papers, tags, notes and (BibTeX) read marks, including for hostile text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.errors import InvalidInput
from paperfeed.formats import bibtex_text as latex
from paperfeed.library.bibtex import read_bibtex, unique_keys, write_bibtex
from paperfeed.library.csl_json import read_csl_json, write_csl_json
from paperfeed.library.importers import decode, detect_format, parse_references
from paperfeed.library.references import Reference, arxiv_id_in, clean_doi, split_tags, user_note
from paperfeed.library.ris import read_ris, write_ris

DATA = Path(__file__).parent / "data" / "library"
WRITERS = {"bibtex": write_bibtex, "csl-json": write_csl_json, "ris": write_ris}
READERS = {"bibtex": read_bibtex, "csl-json": read_csl_json, "ris": read_ris}


def fixture(name: str) -> list[Reference]:
    text, _ = decode((DATA / name).read_bytes())
    refs, _ = parse_references(text, detect_format(text, name))
    return refs


def test_zotero_bibtex_export_reads_every_entry_with_its_quirks() -> None:
    text, notice = decode((DATA / "zotero.bib").read_bytes())
    refs, problems = read_bibtex(text)
    assert notice is None
    by_key = {(r.key, r.title[:10]): r for r in refs}
    robo = refs[0]
    assert robo.title == "Robo-Saber: Generating and Simulating Virtual Reality Players"  # braces gone
    assert robo.arxiv_id == "2602.18319" and robo.doi == "10.48550/arXiv.2602.18319"
    assert "Perttu Hämäläinen" in robo.authors and "James F. O'Brien" in robo.authors
    assert (robo.year, robo.month) == (2026, 2)  # month = feb, an unbraced macro
    assert robo.tags == ["Computer Science - Artificial Intelligence", "Computer Science - Graphics", "VR"]
    som = refs[1]
    assert som.arxiv_id == "2602.18201" and som.read  # biblatex eprint + JabRef's readstatus
    assert (som.year, som.month) == (2026, 2)  # biblatex date instead of year
    assert som.note is not None and "50% claim" in som.note
    agente = refs[2]
    assert agente.title.startswith("El Agente Gráfico") and agente.arxiv_id is None
    assert "Marcel Müller" in agente.authors and "Alán Aspuru-Guzik" in agente.authors  # LaTeX accents
    # A repeated citation key is still an entry, read with its own fields.
    repeated = by_key[("kim_robo-saber_2026", "Multi-agen")]
    assert repeated.arxiv_id == "2602.16301" and "repeated key" in repeated.where
    assert "Blaise Agüera y Arcas" in repeated.authors
    assert refs[4].doi == "10.1103/PhysRevD.76.013009" and refs[4].arxiv_id is None
    assert refs[5].arxiv_id == "2602.18409"  # only arXiv's DOI, upper case
    assert [r.arxiv_id for r in refs if r.key == "kim2026robo"] == ["2602.18319"]  # versioned eprint
    assert refs[-1].title.startswith("The Cascade Equivalence Hypothesis") and refs[-1].authors == []
    assert problems and problems[0].reason == "missing title" and "notitle" in problems[0].where


def test_zotero_csl_json_reads_names_dates_numbers_and_reports_bad_items() -> None:
    refs, problems = read_csl_json((DATA / "zotero.json").read_text(encoding="utf-8"))
    assert [r.arxiv_id for r in refs] == [
        "2602.18319",
        "2602.18201",
        None,
        "2602.16301",
        None,
        "1707.08567",
        None,
    ]
    assert refs[0].note == "First VR playtesting paper I have seen."  # Zotero's arXiv Extra line dropped
    assert refs[0].tags == ["Computer Science - Graphics", "VR"]
    assert (refs[0].year, refs[0].month, refs[0].day) == (2026, 2, 20)  # date parts given as strings
    assert (refs[1].year, refs[1].month, refs[1].day) == (2026, 2, 20)  # {"raw": "2026-02-20"}
    assert refs[3].authors == ["Marissa A. Weis", "Blaise Agüera y Arcas", "João Sacramento"]
    assert refs[4].doi == "10.1103/PhysRevD.76.013009"  # a doi.org URL in the DOI field
    assert [p.where for p in problems] == ["item 8", "item 9 (untitled)"]


def test_zotero_ris_reads_bom_crlf_continuations_html_notes_and_keyword_lists() -> None:
    refs, problems = read_ris((DATA / "zotero.ris").read_text(encoding="utf-8-sig"))
    robo = refs[0]
    assert robo.abstract.endswith("virtual reality (VR) games.")  # continuation line joined
    assert robo.note == "Comment: 13 pages, 15 figures.\n\nTry it with the beat-saber levels & compare."
    assert robo.arxiv_id == "2602.18319" and robo.authors[3] == "Perttu Hämäläinen"
    assert refs[1].tags == ["fairness", "reading group"] and refs[1].arxiv_id == "2602.18201"
    assert refs[3].doi == "10.1103/PhysRevD.76.013009" and refs[3].journal == "Physical Review D"
    assert refs[4].arxiv_id == "1707.08567"
    assert len(refs) == 6 and problems[0].reason == "no title (TI)"


def test_format_detection_by_name_and_by_content() -> None:
    for name, fmt in (("zotero.bib", "bibtex"), ("zotero.json", "csl-json"), ("zotero.ris", "ris")):
        text, _ = decode((DATA / name).read_bytes())
        assert detect_format(text, name) == fmt
        assert detect_format(text, "export.txt") == fmt  # no telling extension: the content decides
    with pytest.raises(InvalidInput, match="cannot tell the file's format"):
        detect_format("just some words", "notes.txt")
    with pytest.raises(InvalidInput, match="not a CSL JSON file"):
        parse_references("[{broken", "csl-json")


def test_non_utf8_files_are_read_as_windows_1252_with_a_notice() -> None:
    text, notice = decode("@misc{a, title = {Fréchet}}".encode("cp1252"))
    assert text == "@misc{a, title = {Fréchet}}" and notice and "Windows-1252" in notice


def sample_references() -> list[Reference]:
    """References with the hard cases: braces, math, accents, specials, missing fields, one key twice."""
    return [
        Reference(
            title="A {Braced} $x_1$ title: 50% & more #1_a",
            authors=["Perttu Hämäläinen", "Blaise Agüera y Arcas", "Plato"],
            year=2026,
            month=2,
            day=20,
            arxiv_id="2602.18319",
            categories=["cs.GR"],
            tags=["to read", "méthodes", "VR"],
            note="Line one -- \"quoted\" <b>not html</b>\nline two\n\nParagraph: 50% {x} \\ ~ ^ _ $ & # ``q''",
            read=True,
            abstract="We study things.",
        ),
        Reference(title="Only a title, nothing else", key="same"),
        Reference(
            title="Second with the same key",
            key="same",
            doi="10.1103/PhysRevD.76.013009",
            journal="Physical Review D",
            year=2007,
        ),
        Reference(title="Old style id", arxiv_id="hep-th/9901001", authors=["Juan Maldacena"], year=1999),
    ]


@pytest.mark.parametrize("fmt", ["bibtex", "csl-json", "ris"])
def test_round_trip_keeps_ids_titles_authors_tags_and_notes(fmt: str) -> None:
    refs = sample_references()
    text = WRITERS[fmt](refs)
    back, problems = READERS[fmt](text)
    assert problems == []
    assert len(back) == len(refs)
    assert len({r.key for r in back}) == len(back)  # repeated keys were made unique
    for original, read in zip(refs, back, strict=True):
        assert read.arxiv_id == original.arxiv_id
        assert read.doi == original.doi
        assert read.authors == original.authors
        assert read.tags == original.tags
        assert read.note == original.note
        assert read.year == original.year
        assert read.title.replace("{", "").replace("}", "") == original.title.replace("{", "").replace(
            "}", ""
        )
    assert back[0].read is (fmt == "bibtex")  # only BibTeX has a read mark (JabRef's readstatus)


@pytest.mark.parametrize("fmt", ["bibtex", "csl-json", "ris"])
def test_round_trip_of_a_zotero_export_is_stable(fmt: str) -> None:
    """Zotero's file → paperfeed's file → read again: the same ids, tags and notes (a fixed point)."""
    first = fixture({"bibtex": "zotero.bib", "csl-json": "zotero.json", "ris": "zotero.ris"}[fmt])
    again, problems = READERS[fmt](WRITERS[fmt](first))
    assert problems == []
    assert [(r.arxiv_id, r.doi, r.tags, r.note) for r in again] == [
        (r.arxiv_id, r.doi, r.tags, r.note) for r in first
    ]


note_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r")
    | st.sampled_from("\n"),
    max_size=200,
).map(lambda s: "\n\n".join(p.strip() for p in s.split("\n\n") if p.strip()).strip())


@settings(max_examples=200, deadline=None)
@given(note=note_text)
def test_bibtex_note_escaping_is_lossless(note: str) -> None:
    assert latex.unescape(latex.escape(note)) == note


@settings(max_examples=60, deadline=None)
@given(
    note=note_text.filter(bool), tags=st.lists(st.sampled_from(["a", "b c", "é", "x-y", "Ω"]), unique=True)
)
def test_notes_and_tags_survive_every_format(note: str, tags: list[str]) -> None:
    ref = Reference(title="A paper about things", arxiv_id="2602.18319", note=note, tags=tags)
    for fmt in WRITERS:
        back, _ = READERS[fmt](WRITERS[fmt]([ref]))
        assert back[0].tags == tags, fmt
        # RIS and CSL JSON keep notes as text; lines that look like Zotero's "arXiv:…" line are dropped
        assert back[0].note == user_note(note), fmt


def test_identity_clues() -> None:
    assert arxiv_id_in("10.48550/arXiv.2602.18409") == "2602.18409"
    assert arxiv_id_in("https://doi.org/10.48550/arxiv.2602.18409") == "2602.18409"
    assert arxiv_id_in("10.1103/PhysRevD.76.013009") is None
    assert arxiv_id_in("http://arxiv.org/abs/2602.16301v1") == "2602.16301"
    assert arxiv_id_in("arXiv:hep-th/9901001 [hep-th]") == "hep-th/9901001"
    assert arxiv_id_in("arXiv preprint arXiv:1412.6980") == "1412.6980"
    assert arxiv_id_in("Nature 521, 436 (2015)", None, "") is None
    assert clean_doi("https://dx.doi.org/10.1000/xyz") == "10.1000/xyz"
    assert clean_doi("doi: 10.1000/xyz") == "10.1000/xyz"
    assert clean_doi("not a doi") is None
    assert split_tags("a, b;c\nd,, a") == ["a", "b", "c", "d"]
    assert user_note("arXiv:2602.18319 [cs]\nMy note") == "My note"
    assert user_note("arXiv:2602.18319 [cs]") is None


def test_unique_keys_suffixes_beyond_z() -> None:
    keys = unique_keys(["k"] * 30 + ["ka"])
    assert len(set(keys)) == 31
    assert keys[:3] == ["k", "kb", "kc"]  # "ka" is taken by a later entry
    assert "kaa" in keys
