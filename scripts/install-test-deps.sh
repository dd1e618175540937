#!/usr/bin/env bash
# Installs everything the test suite needs, on a fresh Debian machine with Python 3.11:
#   - Debian's chromium (for the end-to-end browser tests) and postgresql (the tests start a
#     throwaway cluster of their own with initdb/pg_ctl), when they are missing;
#   - the CPU build of PyTorch (torch==2.13.0: any other spec pulls several GB of CUDA packages);
#   - paperfeed itself, editable, with the `semantic` and `test` extras, its modules compiled.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
missing=()
if ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing Debian's ${missing[*]} for the tests" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python -m pip install --quiet --disable-pip-version-check torch==2.13.0
python -m pip install --quiet --disable-pip-version-check -e ".[semantic,test]"
# An editable install leaves paperfeed's own modules uncompiled; where PYTHONDONTWRITEBYTECODE is set
# (as on this project's CI machine) every `python -m paperfeed` the tests start (about a hundred)
# would compile them again. Compiling once here takes a few seconds.
python -m compileall -q src tests >/dev/null
