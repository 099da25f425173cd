#!/usr/bin/env bash
# Coverage-guided fuzzing of the network parsers (cargo-fuzz / libFuzzer; docs/reliability.md,
# "Hostile input").
#
#   scripts/fuzz.sh [TARGET] [SECONDS]   one target (or every target) for SECONDS each (60)
#   scripts/fuzz.sh --quick              every target for 10 s (CI)
#   scripts/fuzz.sh --list               the targets
#
# Installs cargo-fuzz if missing (exit 3 if it cannot), builds the targets on the stable
# toolchain (RUSTC_BOOTSTRAP=1 for libFuzzer's flags) without a sanitizer but with debug
# assertions and overflow checks, and runs each one seeded with the committed corpus
# (fuzz/corpus/<target>/). New inputs go to a working corpus outside the repository
# ($LIVEROOM_FUZZ_WORK, default /var/tmp/liveroom-fuzz), so campaigns add up; crash inputs go to
# $LIVEROOM_FUZZ_WORK/artifacts/<target>/. Prints a table and, as its last line, a JSON object
# {"fuzz_targets": N, "fuzz_crashes": M, "seconds_per_target": S}; exits 1 on a crash.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${LIVEROOM_FUZZ_TARGET_DIR:-/var/tmp/liveroom-fuzz-target}
WORK=${LIVEROOM_FUZZ_WORK:-/var/tmp/liveroom-fuzz}
TRIPLE=x86_64-unknown-linux-gnu
# The same flags on every build, so a run never rebuilds what the last one built.
BUILD_FLAGS=(-O -a -s none --codegen-units 16)

target="" secs=60 list=0
for arg in "$@"; do
  case "$arg" in
    --quick) secs=10 ;;
    --list) list=1 ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *[!0-9]*) target=$arg ;;
    *) secs=$arg ;;
  esac
done

export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz" >&2
  if ! cargo install cargo-fuzz --locked >&2; then
    echo "fuzz: cargo-fuzz cannot be installed here" >&2
    exit 3
  fi
fi

mapfile -t all < <(cargo fuzz list)
if ((list)); then
  printf '%s\n' "${all[@]}"
  exit 0
fi
if [[ -n $target ]]; then
  if ! printf '%s\n' "${all[@]}" | grep -qx -- "$target"; then
    echo "fuzz: no target $target (have: ${all[*]})" >&2
    exit 2
  fi
  targets=("$target")
else
  targets=("${all[@]}")
fi

echo "fuzz: building ${#targets[@]} target(s) in $CARGO_TARGET_DIR" >&2
build_start=$SECONDS
if [[ -n $target ]]; then
  cargo fuzz build "${BUILD_FLAGS[@]}" "$target" >&2
else
  cargo fuzz build "${BUILD_FLAGS[@]}" >&2
fi
echo "fuzz: built in $((SECONDS - build_start)) s" >&2

crashes=0
rows=()
for t in "${targets[@]}"; do
  bin=$CARGO_TARGET_DIR/$TRIPLE/release/$t
  mkdir -p "$WORK/corpus/$t" "$WORK/artifacts/$t" "$ROOT/fuzz/corpus/$t"
  log=$WORK/$t.log
  echo "fuzz: $t for ${secs}s" >&2
  rc=0
  # -timeout: an input taking 10 s counts as a crash (a hang); -rss_limit_mb: so does 2 GiB.
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t/" \
    "$WORK/corpus/$t" "$ROOT/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  found=0
  if ((rc != 0)); then
    found=1
    crashes=$((crashes + 1))
    echo "fuzz: $t FAILED (exit $rc); log $log; input(s):" >&2
    ls -1 "$WORK/artifacts/$t/" >&2 || true
    grep -m1 -A8 -E 'panicked|ERROR: libFuzzer' "$log" >&2 || tail -20 "$log" >&2
  fi
  rows+=("$(printf '%-16s | %12s | %9s | %6s | %7s' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$found")")
done

printf '%-16s | %12s | %9s | %6s | %7s\n' target runs execs/s cov crashes
printf '%s\n' "${rows[@]}"
printf '{"fuzz_targets": %d, "fuzz_crashes": %d, "seconds_per_target": %d}\n' \
  "${#targets[@]}" "$crashes" "$secs"
((crashes == 0))
