#!/usr/bin/env bash
# The suite's driver, for people and CI alike: installs the dependencies
# (Debian packages), configures, builds, runs the tests of one selection and
# prints a short summary. JUnit XML goes to build/junit-<selection>.xml and
# each test binary's gtest XML to build/test-results/.
#
#   ctest/run.sh autoscale   # the main job: the autoscale suite against the reference worker
#   ctest/run.sh all         # every test: harness, worker and autoscale suites
#   ctest/run.sh LABEL       # one label: unit, worker, setup, grow, shrink, loglines, extra, suite, bench
#
# Environment: BUILD_DIR (default build), CTEST_PARALLEL_LEVEL (default 2),
# AUTOSCALE_WORKER_COMMANDS (see README) and anything ctest takes after `--`.
set -euo pipefail

selection=${1:-all}
shift || true
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
jobs=${CTEST_PARALLEL_LEVEL:-2}

case "$selection" in
  all) label_args=() ;;
  [a-z]*) label_args=(-L "^${selection}\$") ;;
  *) echo "usage: ctest/run.sh [all|autoscale|LABEL] [ctest args...]   (labels: ctest --print-labels)" >&2; exit 2 ;;
esac

bash "$root/third_party/install-deps.sh"

generator=()
if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --parallel "$(nproc)"

start=$(date +%s)
rm -rf "$build/test-results"  # this run's gtest XML only, no stale files from earlier runs
set +e
ctest --test-dir "$build" "${label_args[@]}" --parallel "$jobs" --output-on-failure --no-tests=error \
  --output-junit "$build/junit-$selection.xml" "$@" | tee "$build/ctest-$selection.log"
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - start ))

echo
echo "== Summary ($selection) =="
grep -E '^[0-9]+% tests passed' "$build/ctest-$selection.log" || echo "no test ran"
sed -n '/^The following tests FAILED:/,$p' "$build/ctest-$selection.log"
echo "time taken: $((elapsed / 60)) min $((elapsed % 60)) s"
echo "reports: $build/junit-$selection.xml, $build/test-results/"
exit "$status"
