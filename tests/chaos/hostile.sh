#!/usr/bin/env bash
# Hostile peers against every listening socket of the system, over tcp:// on
# 127.0.0.1 (tests/chaos/hostile.py speaks NNG's SP framing by hand):
#   - a 1 GiB message announced (then 8 MiB of it sent): the peer is dropped
#     (NNG_OPT_RECVMAXSZ), the process's RSS does not jump;
#   - random bytes without a handshake; valid SP framing with random payloads;
#   - 500 silent connections (half after the handshake) and 100 that announce
#     a message just under the 16 MiB limit and send nothing, held while a real
#     post is delivered end to end;
#   - a slowloris against mockchat (HTTP requests never finished) held while a
#     post goes out (not critical: a warning), and end to end afterwards.
# After every attack: the process still runs, its RSS grew by less than the
# bound, and a post is delivered end to end (the checker passes).
#
#   hostile.sh SEED [FRAMES]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SEED=${1:-$((($(date +%s%N) / 1000) % 1000000))}
FRAMES=${2:-300}
echo "hostile: seed=$SEED frames=$FRAMES"
HOSTILE="python3 $CHAOS_DIR/hostile.py"
RSS_BOUND_KIB=${CHAOS_RSS_BOUND_KIB:-16384}
# Under AddressSanitizer freed memory sits in a quarantine (up to 256 MiB), so
# RSS grows with any traffic: the bound is wider there.
if ldd "$QF_BIN/qunfa-scheduler" 2>/dev/null | grep -q libasan; then
  RSS_BOUND_KIB=${CHAOS_RSS_BOUND_KIB:-131072}
  echo "hostile: sanitizer build, RSS bound ${RSS_BOUND_KIB} KiB"
fi

chaos_init chaos-hostile
STATS=tcp://$CHAOS_HOST:$(chaos_port)
chaos_start_system 2 --lease-ms 3000 --stats "$STATS" || qf_die "system did not start"
chaos_groups 100 || qf_die "groups import failed"
ALL=(mockchat store scheduler "${CHAOS_DISPATCHERS[@]}")

hostport() { sed -E 's#^[a-z]+://([^:/]+):([0-9]+).*#\1 \2#' <<<"$1"; }

# end_to_end WHAT: one post to all, settled, judged by the checker.
n_e2e=0
end_to_end() {
  n_e2e=$((n_e2e + 1))
  chaos_post "after $1" >/dev/null || {
    chaos_fail "$1: CreatePost not acknowledged"
    return 1
  }
  chaos_settle 30 || chaos_fail "$1: the post did not settle within 30 s"
  chaos_check "after $1:" || return 1
}

alive_all() {
  local name
  for name in "${ALL[@]}"; do
    qf_alive "$name" || chaos_fail "$name died ($1); log: $QF_DIR/$name.err"
  done
}

# rss_guard NAME WHAT COMMAND...: runs COMMAND against NAME, then judges NAME's
# RSS growth and liveness.
rss_guard() {
  local name=$1 what=$2 before after out
  shift 2
  before=$(chaos_rss "$(qf_pid "$name")")
  out=$("$@") || chaos_fail "$what: the attack itself failed: $out"
  if ! qf_alive "$name"; then
    chaos_fail "$name died under $what"
    return 1
  fi
  after=$(chaos_rss "$(qf_pid "$name")")
  echo "  $name $what: $out rss_kib=$before->$after"
  [ $((after - before)) -lt "$RSS_BOUND_KIB" ] ||
    chaos_fail "$name $what: RSS grew $((after - before)) KiB (bound $RSS_BOUND_KIB)"
  case $out in *"closed_by_peer=0"*) [[ $what == bigmsg* ]] &&
    chaos_fail "$name $what: the peer announcing too much was not dropped" ;; esac
  return 0
}

end_to_end "start"

# ---- NNG endpoints: every attack on each ----
for target in "scheduler api $QF_API" "scheduler work $QF_WORK" "store rpc $QF_STORE" \
  "scheduler stats $STATS"; do
  read -r name label url <<<"$target"
  read -r host port <<<"$(hostport "$url")"
  rss_guard "$name" "bigmsg($label 1GiB)" $HOSTILE bigmsg "$host" "$port"
  rss_guard "$name" "garbage($label)" $HOSTILE garbage "$host" "$port" 20 "$SEED"
  rss_guard "$name" "frames($label)" $HOSTILE frames "$host" "$port" "$FRAMES" "$SEED"
  alive_all "$label attacks"
  end_to_end "attacks on $name $label"
done

# ---- many connections held while real work goes on ----
read -r host port <<<"$(hostport "$QF_API")"
stop=$QF_DIR/stop.idle
before=$(chaos_rss "$(qf_pid scheduler)")
$HOSTILE idle "$host" "$port" 500 "$stop" 1 >"$QF_DIR/idle.out" &
idle_pid=$!
$HOSTILE announce "$host" "$port" 100 $(((16 << 20) - 64)) "$stop" >"$QF_DIR/announce.out" &
ann_pid=$!
held() { grep -q open= "$QF_DIR/idle.out" && grep -q open= "$QF_DIR/announce.out"; }
qf_wait_for 60 "the idle and announcing connections to open" held
echo "  $(head -n1 "$QF_DIR/idle.out"); $(head -n1 "$QF_DIR/announce.out")"
end_to_end "500 idle + 100 announcing 16 MiB connections (held)"
during=$(chaos_rss "$(qf_pid scheduler)")
touch "$stop"
wait "$idle_pid" || chaos_fail "idle connections could not be opened"
wait "$ann_pid" || chaos_fail "announcing connections could not be opened"
after=$(chaos_rss "$(qf_pid scheduler)")
echo "  scheduler held connections: rss_kib=$before->$during->$after;" \
  "$(tail -n1 "$QF_DIR/idle.out"); $(tail -n1 "$QF_DIR/announce.out")"
[ $((during - before)) -lt $((RSS_BOUND_KIB * 4)) ] ||
  chaos_fail "scheduler RSS grew $((during - before)) KiB under held connections"

# ---- slowloris against mockchat (not critical while held) ----
read -r host port <<<"$(hostport "$QF_HOOK")"
stop=$QF_DIR/stop.slow
$HOSTILE garbage "$host" "$port" 20 "$SEED" | sed 's/^/  mockchat /'
$HOSTILE slowloris "$host" "$port" 200 "$stop" >"$QF_DIR/slow.out" &
slow_pid=$!
qf_wait_for 30 "slowloris connections to open" grep -q open= "$QF_DIR/slow.out"
echo "  mockchat $(head -n1 "$QF_DIR/slow.out")"
p=$(chaos_post "during slowloris")
if chaos_settle 30; then
  echo "  mockchat served a post while under slowloris"
else
  echo "  WARN: mockchat did not serve post $p within 30 s under slowloris (not critical)"
fi
touch "$stop"
wait "$slow_pid" || true
echo "  mockchat $(tail -n1 "$QF_DIR/slow.out")"
alive_all "slowloris"
end_to_end "slowloris ended"

alive_all "the end"
chaos_finish
