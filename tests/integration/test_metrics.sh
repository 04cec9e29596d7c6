#!/usr/bin/env bash
# GET /metrics is valid Prometheus text (checked by a small parser below), its
# delivered counter equals the deliveries mockchat received, and the relayed
# dispatcher figures add up to the same.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
. "$QF_SRC/tests/integration/obs_lib.sh"
qf_system_init "$QF_BIN"
qf_start_observed_system 2

qf_make_groups 250 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" --json >/dev/null
post=$("$QF_BIN/qunfa" post --to all --text "metrics" --json | jq -r .post)
qf_wait_post_done "$post" 60 >/dev/null
received=$(wc -l <"$QF_RECORD")
qf_assert_eq "received" 250 "$received"

# Parses the exposition text; prints {"name{labels}": value} as JSON, or fails
# naming the first line that is not valid.
cat >"$QF_DIR/prom.py" <<'PY'
import json, re, sys
name_re = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label_re = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
sample = re.compile(r'^(%s)(\{(?:%s)(?:,%s)*\})? (\S+)$' % (name_re, label_re, label_re))
types, seen, out, done = {}, set(), {}, set()
current = None
def fail(i, line, why):
    sys.exit("line %d: %s: %r" % (i, why, line))
for i, line in enumerate(sys.stdin.read().split("\n"), 1):
    if line == "":
        continue
    if line.startswith("# HELP "):
        continue
    if line.startswith("# TYPE "):
        parts = line.split(" ")
        if len(parts) != 4 or parts[3] not in ("counter", "gauge", "histogram", "summary", "untyped"):
            fail(i, line, "bad TYPE")
        if parts[2] in types:
            fail(i, line, "family typed twice")
        if current:
            done.add(current)
        types[parts[2]] = parts[3]
        current = parts[2]
        continue
    if line.startswith("#"):
        continue
    m = sample.match(line)
    if not m:
        fail(i, line, "not a sample")
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    try:
        float(value)
    except ValueError:
        fail(i, line, "value is not a number")
    fam = name
    if types.get(current) == "histogram":
        fam = re.sub(r'_(bucket|sum|count)$', '', name)
    if fam != current:
        fail(i, line, "sample outside its family's block (family %s)" % current)
    if types[current] == "counter" and not name.endswith("_total"):
        fail(i, line, "counter without _total")
    key = name + labels
    if key in seen:
        fail(i, line, "duplicate series")
    seen.add(key)
    out[key] = float(value)
json.dump(out, sys.stdout)
PY

scrape() { curl -sf --max-time 5 "$QF_HTTP/metrics" >"$QF_DIR/metrics.txt" && python3 "$QF_DIR/prom.py" <"$QF_DIR/metrics.txt" >"$QF_DIR/metrics.json"; }
scrape || { qf_fail "/metrics does not parse: $(python3 "$QF_DIR/prom.py" <"$QF_DIR/metrics.txt" 2>&1 | tail -1)"; qf_finish; }
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$QF_HTTP/metrics")
qf_assert_match "content type" '^text/plain; version=0\.0\.4' "$ctype"
get() { jq -r --arg k "$1" '.[$k] // "absent"' "$QF_DIR/metrics.json"; }

qf_assert_eq "scheduler delivered counter" 250 "$(get 'qunfa_scheduler_deliveries_total{state="delivered"}')"
grep -q '^# TYPE qunfa_scheduler_deliveries_total counter$' "$QF_DIR/metrics.txt" || qf_fail "no TYPE line for the delivered counter"
grep -q '^# HELP qunfa_scheduler_deliveries_total ' "$QF_DIR/metrics.txt" || qf_fail "no HELP line for the delivered counter"

# The relayed figures are at most a poll old: wait until they show every send.
# Each relayed process is polled on its own, so wait for every figure read below.
relayed_sends() {
  scrape && [ "$(jq '[to_entries[] | select(.key | startswith("qunfa_dispatcher_sends_total{")) | .value] | add' "$QF_DIR/metrics.json")" = 250 ] &&
    [ "$(jq '[to_entries[] | select(.key | startswith("qunfa_store_items{")) | .value] | add' "$QF_DIR/metrics.json")" = 1 ]
}
qf_wait_for 10 "relayed dispatcher sends to reach 250 and the store's item" relayed_sends
grep -q '^# TYPE qunfa_dispatcher_send_latency_seconds histogram$' "$QF_DIR/metrics.txt" || qf_fail "no latency histogram"
qf_assert_eq "2xx answers" 250 "$(jq '[to_entries[] | select(.key | startswith("qunfa_dispatcher_answers_total{class=\"2xx\",dialect=\"generic\"")) | .value] | add' "$QF_DIR/metrics.json")"
qf_assert_eq "histogram count" 250 "$(jq '[to_entries[] | select(.key | startswith("qunfa_dispatcher_send_latency_seconds_count")) | .value] | add' "$QF_DIR/metrics.json")"
qf_assert_eq "relays up" 4 "$(jq '[to_entries[] | select(.key | startswith("qunfa_relay_up")) | .value] | add' "$QF_DIR/metrics.json")"
qf_assert_eq "store items" 1 "$(jq '[to_entries[] | select(.key | startswith("qunfa_store_items{")) | .value] | add' "$QF_DIR/metrics.json")"
# Buckets are cumulative: never decreasing, +Inf equal to _count.
jq -e '[to_entries[] | select(.key | test("^qunfa_dispatcher_send_latency_seconds_bucket.*dispatcher1"))
        | .value] | . == sort' "$QF_DIR/metrics.json" >/dev/null || qf_fail "buckets not cumulative"
# Every metric the Grafana dashboard queries exists.
for m in $(grep -o 'qunfa_[a-z_]*' "$QF_SRC/docs/grafana-dashboard.json" | sort -u); do
  grep -q "^$m[{ ]" "$QF_DIR/metrics.txt" || qf_fail "the Grafana dashboard uses $m, which /metrics lacks"
done
qf_assert_eq "unknown path" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$QF_HTTP/nothing")"

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
qf_finish
