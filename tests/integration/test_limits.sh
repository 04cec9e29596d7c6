#!/usr/bin/env bash
# ctest: timing
# Rate limits counted at the receiver, without head-of-line blocking:
# (1) 200 groups at 2/s, 10 posts to all due at one instant: no group receives
#     more than 2 messages in any 1-second window (every sliding window of
#     mockchat's record), and the run takes at most 15% longer than the ideal:
#     the 10th message of a group cannot arrive before 9 x 500 ms = 4.5 s after
#     the due time;
# (2) one group throttled to 1/min among 100 others at 2/s, 5 posts to all due
#     at one instant: the others finish as if it were absent (ideal 4 x 500 ms
#     = 2 s, +15%), and the throttled group got exactly one message meanwhile.
# The posts share a due time a few seconds ahead, so how long the CLI takes to
# create them is not counted against the limiter.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2

# post_all N AUDIENCE TEXT: N posts to AUDIENCE due at one whole second far
# enough ahead to create them all; prints that second in epoch milliseconds
# first, then the posts' ids.
post_all() {
  local n=$1 audience=$2 text=$3 t0_s i
  t0_s=$(($(date +%s) + 3))
  echo $((t0_s * 1000))
  for i in $(seq 1 "$n"); do
    "$QF_BIN/qunfa" post --to "$audience" --at "$(qf_rfc3339 $((t0_s * 1000)))" \
      --text "$text$i" --json | jq -r .post
  done
  [ "$(date +%s)" -lt "$t0_s" ] || { echo "FAIL: posts created after their due time" >&2; return 1; }
}

# groups FILE PREFIX N RATE
groups() {
  python3 - "$QF_HOOK" "$2" "$3" "$4" >>"$1" <<'PY'
import json, sys
hook, prefix, n, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
for i in range(1, n + 1):
    g = f"{prefix}{i}"
    print(json.dumps({"id": g, "dialect": "generic", "url": f"{hook}/hook/{g}",
                      "rate": rate}))
PY
}

# check PREFIX N_PER_W W_MS START_MS EXPECT_EACH IDEAL_MS: judges the record for
# the groups named PREFIX*; prints a summary line, exits 1 on a breach.
check() {
  python3 - "$QF_RECORD" "$@" <<'PY'
import json, sys, collections
path, prefix, n, w, start, each, ideal = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
ts = collections.defaultdict(list)
for line in open(path):
    m = json.loads(line)
    if m["group"].startswith(prefix):
        ts[m["group"]].append(m["ts_ms"])
tightest, last, bad = None, 0, []
for g, t in ts.items():
    t.sort()
    last = max(last, t[-1])
    for i in range(len(t) - n):
        gap = t[i + n] - t[i]  # n+1 messages span at least w
        tightest = gap if tightest is None else min(tightest, gap)
        if gap < w:
            bad.append((g, t[i:i + n + 1]))
    if len(t) != each:
        bad.append((g, f"{len(t)} messages, want {each}"))
took = last - start
print(f"groups={len(ts)} took_ms={took} ideal_ms={ideal} ratio={took / ideal:.3f} "
      f"tightest_span_ms={tightest} breaches={len(bad)}")
for b in bad[:5]:
    print("  breach:", b)
sys.exit(1 if bad or took > ideal * 1.15 else 0)
PY
}

# Warm-up: the dispatchers open their connections to mockchat once, here.
# mockchat's listener has a short accept backlog (NNG's, 128): hundreds of
# connections opened at once lose some SYNs, which the kernel resends after
# 1 s; measured runs would count that second against the limiter.
groups "$QF_DIR/w.jsonl" w 400 ""
"$QF_BIN/qunfa" groups import "$QF_DIR/w.jsonl" >/dev/null
qf_wait_post_done "$("$QF_BIN/qunfa" post --to 'group:'"$(seq -s, -f 'w%g' 1 400)" \
  --text warm --json | jq -r .post)" 40 >/dev/null

# ---- (1) 200 groups at 2/s, 10 posts ----
groups "$QF_DIR/a.jsonl" a 200 2/s
"$QF_BIN/qunfa" groups import "$QF_DIR/a.jsonl" >/dev/null
post_all 10 "group:$(seq -s, -f 'a%g' 1 200)" m >"$QF_DIR/a.posts" || exit 1
mapfile -t posts <"$QF_DIR/a.posts"
start=${posts[0]}
for p in "${posts[@]:1}"; do qf_wait_post_done "$p" 40 >/dev/null; done
check a 2 1000 "$start" 10 4500 || { echo "FAIL: (1) limits or pace"; exit 1; }

# ---- (2) one group at 1/min among 100 at 2/s, 5 posts ----
groups "$QF_DIR/b.jsonl" b 100 2/s
groups "$QF_DIR/b.jsonl" slow 1 1/min
"$QF_BIN/qunfa" groups import "$QF_DIR/b.jsonl" >/dev/null
audience="group:$(seq -s, -f 'b%g' 1 100),slow1"
post_all 5 "$audience" n >"$QF_DIR/b.posts" || exit 1
mapfile -t posts <"$QF_DIR/b.posts"
start=${posts[0]}
# The 100 others are done when the record holds their 500 messages.
end=$((SECONDS + 30))
until [ "$(jq -s '[.[] | select(.group | startswith("b"))] | length' "$QF_RECORD")" -ge 500 ]; do
  [ $SECONDS -lt "$end" ] || { echo "FAIL: (2) the others did not finish"; exit 1; }
  sleep 0.1
done
check b 2 1000 "$start" 5 2000 || { echo "FAIL: (2) the others were held back"; exit 1; }
slow=$(jq -s '[.[] | select(.group == "slow1")] | length' "$QF_RECORD")
[ "$slow" -eq 1 ] || { echo "FAIL: (2) slow1 got $slow messages within a minute"; exit 1; }
echo "PASS"
