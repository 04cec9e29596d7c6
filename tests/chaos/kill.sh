#!/usr/bin/env bash
# kill -9 rounds during a fan-out. Each round posts one text to all N groups; at
# a random moment of its fan-out (once a random share of the groups received it,
# plus a random few milliseconds) one victim chosen at random among the store,
# the scheduler and every dispatcher is killed with SIGKILL, restarted on the
# same data dir after a random pause, and the run goes on. When the round's post
# has settled the checker judges every post so far.
#
# Then the scheduler is killed DURING CreatePost, at a random moment after the
# client sent it: the client may or may not get an id; a post it got an id for
# must be whole and delivered, and no post may exist half-created.
#
#   kill.sh GROUPS ROUNDS CREATE_KILLS DISPATCHERS SEED
set -euo pipefail
. "$(dirname "$0")/lib.sh"

N=${1:-2000}
ROUNDS=${2:-3}
CREATE_KILLS=${3:-2}
NDISP=${4:-2}
SEED=${5:-$((($(date +%s%N) / 1000) % 1000000))}
SETTLE_S=${CHAOS_SETTLE_S:-60}
RANDOM=$SEED
echo "kill: groups=$N rounds=$ROUNDS create_kills=$CREATE_KILLS dispatchers=$NDISP seed=$SEED" \
  "(replay: tests/chaos/run.sh --only kill --seed $SEED ...)"

chaos_init chaos-kill
# A short lease so a killed dispatcher's deliveries come back within seconds; a
# platform answering after 20 ms so sends are in flight when a process dies.
CHAOS_MOCKCHAT_ARGS="--latency-ms 20"
chaos_start_system "$NDISP" --lease-ms 3000 || qf_die "system did not start"
chaos_groups "$N" || qf_die "groups import failed"
VICTIMS=(store scheduler "${CHAOS_DISPATCHERS[@]}")
ALL=(mockchat "${VICTIMS[@]}")

record_lines() { wc -l <"$QF_RECORD"; }

# reached TARGET POST: the record holds TARGET lines, or the post has settled.
reached() {
  [ "$(record_lines)" -ge "$1" ] && return 0
  local s
  s=$("$QF_BIN/qunfa" status "$2" --json --timeout-ms 2000 2>/dev/null) || return 1
  [ "$(jq '.pending + .leased' <<<"$s")" -eq 0 ]
}

# Every process of the system must still run: a death nobody caused is a crash.
all_alive() {
  local name ok=0
  for name in "${ALL[@]}"; do
    if ! qf_alive "$name"; then
      chaos_fail "$name died by itself ($1); its log: $QF_DIR/$name.err"
      tail -n 20 "$QF_DIR/$name.err" | sed 's/^/  | /' >&2
      ok=1
    fi
  done
  return $ok
}

jitter_sleep() { sleep "$(printf '0.%03d' $((RANDOM % $1)))"; }

for r in $(seq 1 "$ROUNDS"); do
  victim=${VICTIMS[$((RANDOM % ${#VICTIMS[@]}))]}
  pct=$((RANDOM % 96))
  base=$(record_lines)
  post=$(chaos_post "round $r of seed $SEED") || {
    chaos_fail "round $r: CreatePost not acknowledged"
    break
  }
  qf_wait_for 60 "round $r: ${pct}% of the fan-out" reached $((base + N * pct / 100)) "$post" || true
  jitter_sleep 50
  got=$(($(record_lines) - base))
  qf_kill "$victim" KILL
  jitter_sleep 500
  chaos_restart "$victim" || {
    chaos_fail "round $r: $victim did not restart"
    break
  }
  settle=ok
  chaos_settle "$SETTLE_S" || settle="not settled within ${SETTLE_S}s"
  all_alive "round $r" || true
  chaos_check "round $r/$ROUNDS victim=$victim killed_after=$got/$N" "settle=$settle" || true
done

# ---- the scheduler killed during CreatePost ----
# The client's own deadline bounds its wait; REQ may resend the request to the
# restarted scheduler, so an id can also come from there.
for k in $(seq 1 "$CREATE_KILLS"); do
  out=$QF_DIR/create$k.out
  "$QF_BIN/qunfa" post --to all --text "created under fire $k of seed $SEED" --json \
    --timeout-ms 15000 >"$out" 2>"$out.err" &
  client=$!
  jitter_sleep $((N >= 10000 ? 100 : 40))
  qf_kill scheduler KILL
  chaos_restart scheduler || {
    chaos_fail "create $k: scheduler did not restart"
    break
  }
  rc=0
  wait "$client" || rc=$?
  id=$(jq -r '.post // empty' "$out" 2>/dev/null || true)
  if [ -n "$id" ]; then
    echo "$id" >>"$CHAOS_POSTS"
    echo "create $k: client got post $id"
  else
    echo "create $k: client got no id (exit $rc: $(head -c 200 "$out.err"))"
  fi
done
if [ "$CREATE_KILLS" -gt 0 ]; then
  # Any post that exists must be whole, acknowledged or not: probe every id up to
  # a few past the highest seen (ids are allocated in order).
  last=$(sort -n "$CHAOS_POSTS" | tail -n1)
  for p in $(seq 1 $((last + 5))); do
    s=$("$QF_BIN/qunfa" status "$p" --json 2>/dev/null) || continue
    total=$(jq .total <<<"$s")
    [ "$total" -eq "$N" ] || chaos_fail "post $p exists with $total deliveries, want $N (half-created)"
    grep -qx "$p" "$CHAOS_POSTS" || {
      echo "post $p exists but its client never got the id (judged too)"
      echo "$p" >>"$QF_DIR/unacked.txt"
    }
  done
  [ -f "$QF_DIR/unacked.txt" ] && CHAOS_EXTRA_POSTS=$QF_DIR/unacked.txt
  settle=ok
  chaos_settle "$SETTLE_S" || settle="not settled within ${SETTLE_S}s"
  all_alive "CreatePost kills" || true
  chaos_check "create-kills=$CREATE_KILLS" "settle=$settle" || true
fi
chaos_finish
