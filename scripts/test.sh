#!/usr/bin/env bash
# test.sh: THE test command of strom. Builds and runs everything a change must pass:
#
#   1. deps       Debian packages (scripts/deps.sh, idempotent) and the pinned npm packages
#                 of the interop tests (npm ci from tests/interop/package-lock.json)
#   2. release    Release build, warnings fatal (-DSTROM_WERROR=ON), all CTest tests
#                 (unit + interop)
#   3. sanitize   ASan + UBSan build, all CTest tests again
#   4. tsan       clang ThreadSanitizer build of the unit tests (group commit, flusher)
#   5. fuzz       clang + libFuzzer build; each fuzz target runs for FUZZ_SECONDS (default
#                 30) on its checked-in seed corpus (tests/fuzz/corpus/<target>/); a crash,
#                 leak or sanitizer report fails the run
#
# Environment: JOBS (default 2), FUZZ_SECONDS (default 30), STROM_SKIP_FUZZ=1 to skip step 5
# (for quick local iterations; CI never sets it). Build trees: build-release, build-asan,
# build-fuzz. Exit status 0 only when every step passed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
START=$(date +%s)

step() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

step "deps: Debian packages"
scripts/deps.sh

step "deps: npm ci (tests/interop, apache-arrow pinned by package-lock.json)"
(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in tests/interop"

build_and_test() { # name, cmake args...
  local name=$1; shift
  local dir=build-$name
  step "$name: configure ($*)"
  cmake -S . -B "$dir" -G Ninja "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; fail "$name: cmake configure"; }
  step "$name: build"
  ninja -C "$dir" -j "$JOBS" || fail "$name: build"
  step "$name: ctest"
  (cd "$dir" && ctest -j "$JOBS" --output-on-failure --timeout 300) || fail "$name: tests"
}

build_and_test release -DCMAKE_BUILD_TYPE=Release -DSTROM_WERROR=ON
build_and_test asan -DCMAKE_BUILD_TYPE=Debug -DSTROM_WERROR=ON -DSTROM_SANITIZE=ON

step "tsan: configure and build (clang, ThreadSanitizer)"
CC=clang cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTROM_WERROR=ON \
  -DSTROM_BENCH=OFF -DCMAKE_C_FLAGS="-fsanitize=thread -g" >build-tsan.configure.log 2>&1 ||
  { cat build-tsan.configure.log; fail "tsan: cmake configure"; }
ninja -C build-tsan -j "$JOBS" || fail "tsan: build"
step "tsan: unit tests"
# die_after_fork=0: the crash tests fork children that append until they are killed, while
# the parent has the log's runway thread; TSan does not follow a child that starts threads
(cd build-tsan && TSAN_OPTIONS="halt_on_error=1 die_after_fork=0 suppressions=$PWD/../tests/tsan.supp" ctest -j "$JOBS" -R '^unit\.' \
  --output-on-failure --timeout 300) || fail "tsan: unit tests"

if [ "${STROM_SKIP_FUZZ:-0}" = 1 ]; then
  step "fuzz: skipped (STROM_SKIP_FUZZ=1)"
else
  step "fuzz: configure and build (clang, libFuzzer)"
  CC=clang cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSTROM_WERROR=ON \
    -DSTROM_FUZZ=ON >build-fuzz.configure.log 2>&1 ||
    { cat build-fuzz.configure.log; fail "fuzz: cmake configure"; }
  ninja -C build-fuzz -j "$JOBS" || fail "fuzz: build"
  for src in tests/fuzz/fuzz_*.c; do
    target=$(basename "$src" .c)
    seeds=$ROOT/tests/fuzz/corpus/$target
    work=$ROOT/build-fuzz/corpus-$target      # new inputs land here, not in the repo
    mkdir -p "$work"
    step "fuzz: $target for ${FUZZ_SECONDS}s ($(ls "$seeds" | wc -l) seeds)"
    (cd build-fuzz && ./tests/fuzz/$target -max_total_time="$FUZZ_SECONDS" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 "$work" "$seeds" \
        >"$target.log" 2>&1) ||
      { tail -n 60 "build-fuzz/$target.log"; fail "fuzz: $target found a crash (see build-fuzz/$target.log, crash-* in build-fuzz/)"; }
    grep -E '^stat::number_of_executed_runs|^stat::new_units_added' "build-fuzz/$target.log" | tr '\n' ' '
    echo
  done
fi

step "all tests passed in $(( $(date +%s) - START ))s"
