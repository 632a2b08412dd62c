#!/usr/bin/env bash
# Mutation testing of the counting and ranking core with cosmic-ray (the `test` extra).
#
#   bash tools/mutation.sh                      # every module below, one after the other
#   bash tools/mutation.sh feeds/follow.py      # one (or several) of them
#
# Each module is mutated in place, one mutant at a time, and only its fast tests run (the table
# below); cosmic-ray puts the file back after each mutant, and this script puts back a copy
# when it is stopped half-way. Prints the survivors with their diff and one line of figures
# per module (mutants, killed, survived, timeouts, incompetent); record them in
# docs/testing.md. Sessions stay in $MUTATION_DIR (default /tmp/socwall-mutation): a run that
# was stopped continues where it was with the same command.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DIR=${MUTATION_DIR:-/tmp/socwall-mutation}
mkdir -p "$DIR"

declare -A TESTS=(  # the fast tests of each module: they run once per mutant
  [feeds/follow.py]="tests/feeds/test_follow_edges.py tests/feeds/test_follow_cases.py tests/feeds/test_follow_match.py"
  [feeds/flow_rules.py]="tests/feeds/test_flow_direction_edges.py"
  [feeds/flow_sums.py]="tests/widgets/test_top_talkers_edges.py"
  [widgets/auth_sprays.py]="tests/widgets/test_suspicious_users_edges.py tests/widgets/test_auth_sprays_edges.py"
  [widgets/exploited_recent.py]="tests/widgets/test_cve_order_edges.py tests/widgets/test_exploited_recent.py"
  [feeds/auth_readers.py]="tests/feeds/test_auth_edges.py tests/feeds/test_auth_readers.py"
  [widgets/week_ago.py]="tests/widgets/test_metric_compare_edges.py tests/widgets/test_metric_compare.py tests/widgets/test_week_ago_edges.py"
  [feeds/auth_pairing.py]="tests/feeds/test_auth_pairing_edges.py tests/feeds/test_auth_pairing.py"
  [feeds/feed_parse.py]="tests/feeds/test_cve_extraction_edges.py tests/feeds/test_feed_safety.py"
  [feeds/tail.py]="tests/feeds/test_follow.py tests/feeds/test_follow_long_lines.py tests/feeds/test_sensor_stats.py tests/feeds/test_tail_edges.py tests/feeds/test_tail_clock.py"
)
# Only these functions are mutated (the counting, matching and ranking core of each module);
# a module with none named is mutated whole (feeds/auth_pairing.py: all of it is the pairing).
declare -A FUNCTIONS=(
  [feeds/follow.py]="_match"
  [feeds/flow_rules.py]="repair_direction"
  [feeds/flow_sums.py]="rank_hosts"
  [widgets/auth_sprays.py]="password_sprays"
  [widgets/exploited_recent.py]="compute"
  [feeds/auth_readers.py]="_sshd"
  [widgets/week_ago.py]="band same_local_time values_at bucket_starts in_changes window_start window_end coarser"
  [feeds/feed_parse.py]="find_cves entry_record"
  [feeds/tail.py]="handle _renamed_away _commit_one _only_seen _forget_gone _nothing_recognised"
)
ORDER=(feeds/follow.py feeds/flow_rules.py feeds/flow_sums.py widgets/auth_sprays.py
       widgets/exploited_recent.py feeds/auth_readers.py widgets/week_ago.py feeds/tail.py
       feeds/auth_pairing.py feeds/feed_parse.py)

line_ranges() {  # "first-last" lines of the named functions, as TOML strings
  $PY - "$@" <<'PYTHON'
import ast, sys
path, names = sys.argv[1], set(sys.argv[2:])
tree = ast.parse(open(path).read())
found = [f'"{node.lineno}-{node.end_lineno}"' for node in ast.walk(tree)
         if isinstance(node, ast.FunctionDef) and node.name in names]
assert len(found) == len(names), f"{path}: not every one of {sorted(names)} was found"
print(", ".join(found))
PYTHON
}

run_module() {
  local module=$1 name tests config session
  tests=${TESTS[$module]:?"no tests listed for $module in tools/mutation.sh"}
  name=$(echo "$module" | tr '/.' '__')
  config="$DIR/$name.toml" session="$DIR/$name.sqlite"
  cp "$module" "$DIR/$name.orig"
  trap 'cp "$DIR/'"$name"'.orig" "'"$module"'"' EXIT INT TERM
  cat > "$config" <<EOF
[cosmic-ray]
module-path = "$module"
timeout = 120.0
excluded-modules = []
test-command = "$PY -m pytest -x -q -p no:cacheprovider -p no:randomly $tests"

[cosmic-ray.distributor]
name = "local"

# Binary operators are replaced by every other one: keep the neighbours (+/-, *//, //,%)
# and drop the far ones (powers, shifts, bit operations) that no reader would write.
[cosmic-ray.filters.operators-filter]
exclude-operators = [
  "core/ReplaceBinaryOperator_.*_(Pow|RShift|LShift|BitOr|BitAnd|BitXor)",
  "core/ReplaceBinaryOperator_(Pow|RShift|LShift|BitOr|BitAnd|BitXor)_.*",
]
EOF
  local functions=${FUNCTIONS[$module]:-}
  if [ -n "$functions" ]; then
    # shellcheck disable=SC2086
    printf '\n[cosmic-ray.filters.line-filter]\nlines = { "%s" = [%s] }\n' \
      "$module" "$(line_ranges "$module" $functions)" >> "$config"
  fi
  if [ ! -f "$session" ]; then
    .venv/bin/cosmic-ray init "$config" "$session"
  fi
  .venv/bin/cr-filter-operators "$session" "$config"  # again on a continued session: the
  .venv/bin/cr-filter-pragma "$session"               # table above may have changed
  if [ -n "$functions" ]; then
    .venv/bin/cr-filter-lines --config "$config" "$session"
  fi
  .venv/bin/cosmic-ray baseline "$config"
  .venv/bin/cosmic-ray exec "$config" "$session"
  cp "$DIR/$name.orig" "$module"
  trap - EXIT INT TERM
  echo "== survivors in $module"
  .venv/bin/cr-report --surviving-only --show-diff "$session" | grep -v "^total jobs\|^complete\|^surviving"
  $PY - "$session" "$module" <<'EOF'
import json, subprocess, sys
from collections import Counter
lines = subprocess.run([".venv/bin/cosmic-ray", "dump", sys.argv[1]], capture_output=True,
                       text=True, check=True).stdout.splitlines()
outcomes = Counter()
for line in lines:
    _, result = json.loads(line)
    if result is None:
        outcomes["pending"] += 1
    elif result["worker_outcome"] == "skipped":
        outcomes["skipped"] += 1
    elif result["worker_outcome"] == "timeout":
        outcomes["timeout"] += 1
    else:
        outcomes[result["test_outcome"]] += 1
done = sum(outcomes.values()) - outcomes["pending"] - outcomes["skipped"]
print(f"{sys.argv[2]}: mutants {done}, killed {outcomes['killed']}, survived "
      f"{outcomes['survived']}, timeouts {outcomes['timeout']} (counted killed), incompetent "
      f"{outcomes['incompetent']}, pending {outcomes['pending']}, skipped {outcomes['skipped']}")
EOF
}

for module in "${@:-${ORDER[@]}}"; do
  run_module "$module"
done
