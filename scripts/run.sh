#!/usr/bin/env bash
# run.sh: builds strom (Release) and starts its main job. Until the server exists, the main
# job is the codec demo: `strom demo` generates a table, encodes it as Arrow IPC with each
# body compression, projects and filters it, and prints what it saved. Extra arguments are
# passed to `strom demo` (see `build-release/src/cli/strom demo --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build-release -j "${JOBS:-2}" strom
exec build-release/src/cli/strom demo "$@"
