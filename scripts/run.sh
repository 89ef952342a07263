#!/usr/bin/env bash
# run.sh: builds strom (Release) and starts its main job, the server stromd, on the embedded
# default: one node, the data directory ./strom-data, 127.0.0.1:7070, no external services.
# Extra arguments go to stromd (`build-release/src/server/stromd --help`), e.g.
#   scripts/run.sh --data-dir /var/lib/strom --listen 127.0.0.1:7171
# The `strom` command is built next to it: build-release/src/cli/strom.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build-release -j "${JOBS:-2}" stromd strom
echo "stromd: data in ${STROM_DATA:-strom-data}; the CLI is build-release/src/cli/strom" >&2
exec build-release/src/server/stromd --data-dir "${STROM_DATA:-strom-data}" "$@"
