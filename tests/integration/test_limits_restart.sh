#!/usr/bin/env bash
# Limits across a scheduler crash: 200 groups at 2/s, 10 posts to all; the
# scheduler is killed (SIGKILL) mid-run and started again. Every (post, group)
# is received at least once (nothing lost; resends after the crash are counted
# as duplicates), and no group receives more than 2 messages in any 1-second
# window, duplicates included (the restarted scheduler waits for the lease
# horizon of the first run before those groups conform again).
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2 --lease-ms 2000

python3 - "$QF_HOOK" >"$QF_DIR/g.jsonl" <<'PY'
import json, sys
for i in range(1, 201):
    print(json.dumps({"id": f"r{i}", "dialect": "generic",
                      "url": f"{sys.argv[1]}/hook/r{i}", "rate": "2/s"}))
PY
"$QF_BIN/qunfa" groups import "$QF_DIR/g.jsonl" >/dev/null
posts=()
for i in $(seq 1 10); do
  posts+=("$("$QF_BIN/qunfa" post --to all --text "m$i" --json | jq -r .post)")
done

# Mid-run: a third of the messages are in.
end=$((SECONDS + 20))
until [ "$(wc -l <"$QF_RECORD")" -ge 700 ]; do
  [ $SECONDS -lt "$end" ] || { echo "FAIL: the run did not start"; exit 1; }
  sleep 0.05
done
qf_kill scheduler
qf_start_scheduler --lease-ms 2000
for p in "${posts[@]}"; do qf_wait_post_done "$p" 40 >/dev/null; done

python3 - "$QF_RECORD" "${posts[@]}" <<'PY'
import json, sys, collections
path, posts = sys.argv[1], set(sys.argv[2:])
ts, got = collections.defaultdict(list), collections.Counter()
for line in open(path):
    m = json.loads(line)
    ts[m["group"]].append(m["ts_ms"])
    got[(m["post"], m["group"])] += 1
missing = [(p, f"r{i}") for p in posts for i in range(1, 201) if got[(p, f"r{i}")] == 0]
dups = sum(n - 1 for n in got.values())
bad, tightest = [], None
for g, t in ts.items():
    t.sort()
    for i in range(len(t) - 2):
        tightest = t[i + 2] - t[i] if tightest is None else min(tightest, t[i + 2] - t[i])
        if t[i + 2] - t[i] < 1000:
            bad.append((g, t[i:i + 3]))
print(f"messages={sum(got.values())} missing={len(missing)} duplicates={dups} "
      f"tightest_span_ms={tightest} breaches={len(bad)}")
for b in bad[:5]:
    print("  breach:", b)
sys.exit(1 if missing or bad else 0)
PY
echo "PASS"
