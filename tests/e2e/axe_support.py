"""axe-core in the browser tests: WCAG 2.1 A and AA, run on a page as a reader sees it.

axe-core is vendored under ``tests/e2e/vendor/axe-core`` (see its VERSION file), not in the package.
It is added to each page as an init script (through the DevTools protocol, so the pages' strict
Content-Security-Policy, which forbids inline and injected scripts, stays on for everything else).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async ([tags, rules]) => {
  const only = rules ? {type: "rule", values: rules} : {type: "tag", values: tags};
  const result = await window.axe.run(document, {runOnly: only, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary, html: n.html.slice(0, 200)})),
  }));
}"""


def install_axe(context: Any) -> None:
    """Make ``window.axe`` available on every page the browser context opens."""
    context.add_init_script(path=str(AXE))


COLOUR_RULES = ["color-contrast", "link-in-text-block"]
"""The rules whose outcome depends on the colour scheme (a dark run needs no others)."""


def axe_violations(page: Any, rules: list[str] | None = None) -> list[dict[str, Any]]:
    """The WCAG 2.1 A/AA violations axe finds on ``page`` now (an empty list when there are none);
    ``rules`` runs only those rules."""
    return list(page.evaluate(_RUN, [WCAG_21_AA, rules]))


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [
            f"    {n['target']}: {n['summary'].splitlines()[-1] if n['summary'] else ''}"
            for n in v["nodes"][:8]
        ]
    return "\n".join(lines)
