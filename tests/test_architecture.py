"""The layers hold: import-linter's contracts from pyproject.toml, run on the installed code.

Shells (cli, web) over the evaluation harness, over the features (digest over For you and community,
For you over the library; community beside both), over search and the shared services (ingest,
mail, accounts, paper look-ups, rate limits), over the running context, over the store (the only
package allowed to import SQLAlchemy, Alembic or psycopg), over the base modules (formats, periods,
the clock, records, settings, errors); no import cycles between sibling modules or packages; and
only the clock reads the machine's date.
"""

from __future__ import annotations

import logging
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    # import-linter configures logging with dictConfig, which disables every logger that exists at
    # that moment ("paperfeed.mail" among them, if imported): later tests of log output would fail
    # depending on the order modules were imported in. Put the loggers back as they were.
    loggers = [x for x in logging.Logger.manager.loggerDict.values() if isinstance(x, logging.Logger)]
    disabled = {logger: logger.disabled for logger in loggers}
    try:
        exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    finally:
        for logger, was in disabled.items():
            logger.disabled = was
    report = capsys.readouterr().out
    assert exit_code == 0, report
    assert "0 broken" in report


def test_sqlalchemy_is_spoken_only_in_the_store() -> None:
    """A plain text check as well, so a lazy import inside a function is caught even if the graph misses it."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "src" / "paperfeed").rglob("*.py")
        if "store" not in path.relative_to(ROOT / "src" / "paperfeed").parts[:1]
        and any(word in path.read_text(encoding="utf-8") for word in ("import sqlalchemy", "from sqlalchemy"))
    ]
    assert offenders == []


def test_only_the_clock_reads_the_machines_date() -> None:
    """Business time comes from ``app.clock``; the machine's clock is read in :mod:`paperfeed.clock`
    alone (``wall_now`` for leases, claims and audit stamps). Elapsed time (``time.monotonic``,
    ``time.perf_counter``) is not the date and is allowed anywhere."""
    import re

    reads = re.compile(
        r"datetime\.now\(|datetime\.utcnow\(|date\.today\(|\btime\.time\(\)|time\.gmtime\(|time\.localtime\("
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "src" / "paperfeed").rglob("*.py")
        if path.name != "clock.py" or path.parent.name != "paperfeed"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if reads.search(line)
    ]
    assert offenders == []
