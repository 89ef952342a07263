#!/usr/bin/env bash
# deps.sh: installs the Debian packages strom needs to build and test, idempotently.
#
# When every package is already installed (checked with dpkg-query) apt is not touched at
# all, so this is cheap to call before every build. Otherwise it runs `apt-get update` once
# and installs what is missing, as root or through sudo. Debian 12 (bookworm) names.
#
# node and npm: the interop tests need a Node.js runtime and npm. Some machines carry them
# from another source (e.g. a NodeSource nodejs package that bundles npm); when the `node`
# and `npm` commands exist, the Debian packages are not required.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config   # compiler, build
  clang libclang-rt-14-dev libfuzzer-14-dev      # fuzz targets (libFuzzer), sanitizers
  libzstd-dev liblz4-dev libjansson-dev          # compression, JSON
  libisal-dev                                    # CRC-32C (ISA-L)
  librocksdb-dev                                 # primary-key state (src/kv)
  libsnappy-dev                                  # Parquet SNAPPY pages (src/lake)
  libavro-dev avro-bin zlib1g-dev                # Paimon manifests (src/lake: avro-c, deflate)
  zstd lz4                                       # reference CLIs (benchmarks, interop codecs)
  fio                                            # disk benchmarks
  redis-server libhiredis-dev                    # peers of the server benchmark (bench/)
  nats-server libnats-dev
  ca-certificates                                # npm over https
)
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm  >/dev/null 2>&1 || PACKAGES+=(npm)

installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: not root and sudo is not available; install them as root" >&2
    exit 1
  fi
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
