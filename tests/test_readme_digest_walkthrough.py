"""The README's "Email digests, end to end on a laptop", followed as written but on a non-default port
(issue 18, items 1 and 2): ``serve --demo --port P``, subscribe from the header, open the confirmation
link copied from the outbox file, choose cs.CL, ``digest send --period 2026-02-20`` in a second
process, and unsubscribe from the digest's link. Every link the CLI wrote points at port P: ``serve``
recorded where it is reached in the store, and the CLI uses it. (The data dir starts as a copy of the
session's demo store, so ``serve --demo`` finds the corpus loaded instead of spending 15 s on it.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.test_cli_serve import environment, free_port

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
WALK = README.split("### Email digests, end to end on a laptop", 1)[1].split("\n## ", 1)[0]


def _csrf(html: str) -> str:
    return html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def _newest_link(outbox: Path, kind: str, base: str) -> str:
    """A link of ``kind`` copied from the raw text of the newest outbox file that has one."""
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        found = re.findall(re.escape(base) + r"/digest/" + kind + r"/[^\s<>\"]+", path.read_text("utf-8"))
        if found:
            return found[0]
    raise AssertionError(f"no /digest/{kind}/ link to {base} in {sorted(outbox.iterdir())}")


def test_the_digest_walk_through_on_another_port(tmp_path: Path, demo_template: Path) -> None:
    assert "python -m paperfeed serve --demo" in WALK
    assert "python -m paperfeed digest send --period 2026-02-20" in WALK
    data = tmp_path / "data"
    shutil.copytree(demo_template, data)
    port = free_port()
    assert port != 8000
    base = f"http://127.0.0.1:{port}"
    env = environment(PAPERFEED_INDEXER="false", PAPERFEED_EMBED_AFTER_INGEST="false")
    server = subprocess.Popen(
        [sys.executable, "-m", "paperfeed", "--data-dir", str(data), "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, server.communicate()
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        outbox = data / "outbox"
        with httpx.Client(base_url=base, timeout=30) as browser:
            # 1. The header's form.
            home = browser.get("/trending").text
            subscribed = browser.post(
                "/digest/subscribe", data={"email": "me@example.org", "csrf_token": _csrf(home)}
            )
            assert subscribed.status_code == 200 and "confirmation link for me@example.org" in subscribed.text
            # 2. The /digest/confirm/… link, copied from the outbox file, then cs.CL and Save.
            confirm = _newest_link(outbox, "confirm", base).removeprefix(base)
            page = browser.get(confirm)
            assert page.status_code == 200
            manage = browser.post(confirm, data={"csrf_token": _csrf(page.text)}, follow_redirects=True)
            assert "Confirmed" in manage.text
            saved = browser.post(
                str(manage.url).removeprefix(base).split("?")[0],
                data={
                    "csrf_token": _csrf(manage.text),
                    "frequency": "daily",
                    "trending": "1",
                    "categories": "cs.CL",
                    "action": "save",
                },
                follow_redirects=True,
            )
            assert "Saved" in saved.text
            # 3. A second terminal: the send, twice (the second sends nothing).
            send = [sys.executable, "-m", "paperfeed", "--data-dir", str(data), "digest", "send",
                    "--period", "2026-02-20"]  # fmt: skip
            first = subprocess.run(send, env=env, capture_output=True, text=True, timeout=300)
            assert first.returncode == 0, first.stderr
            assert "1 sent" in first.stdout, first.stdout
            assert ":8000" not in first.stdout + first.stderr and "a guess" not in first.stderr
            digest = max(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime).read_text("utf-8")
            ours = re.findall(r"https?://(?:127\.0\.0\.1|localhost)[^\s<>\"]*", digest)
            assert ours and all(url.startswith(base + "/") for url in ours), {
                u for u in ours if base not in u
            }
            again = subprocess.run(send, env=env, capture_output=True, text=True, timeout=300)
            assert again.returncode == 0 and "0 sent" in again.stdout, again.stdout
            # 4. The digest's Unsubscribe link and its button, without signing in.
            view = browser.get(_newest_link(outbox, "view", base).removeprefix(base))
            assert view.status_code == 200 and "cs.CL" in view.text
            leave = _newest_link(outbox, "unsubscribe", base).removeprefix(base)
            assert browser.get(leave).status_code == 200
            done = browser.post(leave)
            assert done.status_code == 200 and "Unsubscribed" in done.text
    finally:
        server.terminate()
        server.communicate(timeout=30)
