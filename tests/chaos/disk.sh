#!/usr/bin/env bash
# Disk faults under the scheduler.
#
# 1. Map growth: the scheduler starts with a tiny LMDB map (--map-size 256K) and
#    fans one post out to GROUPS groups; the map must grow (logged kv_map_grown,
#    shown as lmdb_map_bytes in its stats) while nothing is lost.
# 2. Full disk (root only; skipped otherwise): the scheduler's --data is a
#    TMPFS_MB tmpfs. Posts are created until a filler file has taken the rest of
#    the space and commits fail with ENOSPC: the client must get a clear error
#    within its deadline (no hang), the scheduler must stay up and answer reads,
#    and every acknowledged post must be delivered once space is freed, and
#    still be there, whole, after a restart.
#
#   disk.sh GROUPS SEED [TMPFS_MB]        both, each in a process of its own
#   disk.sh map|full GROUPS SEED [TMPFS_MB]
set -euo pipefail
if [ "${1:-}" != map ] && [ "${1:-}" != full ]; then
  rc=0
  bash "$0" map "$@" || rc=1
  bash "$0" full "$@" || rc=1
  exit $rc
fi
MODE=$1
shift
. "$(dirname "$0")/lib.sh"

N=${1:-3000}
SEED=${2:-$((($(date +%s%N) / 1000) % 1000000))}
TMPFS_MB=${3:-12}
SETTLE_S=${CHAOS_SETTLE_S:-60}
RANDOM=$SEED
echo "disk $MODE: groups=$N tmpfs_mb=$TMPFS_MB seed=$SEED" \
  "(replay: tests/chaos/run.sh --only disk --seed $SEED ...)"

stats_field() { # FIELD: the scheduler's stats figure FIELD
  "$QF_BIN/qunfa" stats --stats-url "$STATS" --json 2>/dev/null |
    jq -r --arg f "$1" '[.[0].stats | .. | objects | select(has($f)) | .[$f]] | first // empty'
}

# ---- 1. map growth ----

map_above() { # BYTES
  local map
  map=$(stats_field lmdb_map_bytes)
  [ -n "$map" ] && [ "$map" -gt "$1" ]
}

map_growth() {
  chaos_init chaos-disk-map
  STATS=tcp://$CHAOS_HOST:$(chaos_port)
  chaos_start_system 2 --map-size 256K --stats "$STATS" || qf_die "system did not start"
  chaos_groups "$N" || qf_die "groups import failed"
  local p grown map
  p=$(chaos_post "tiny map") || chaos_fail "the post was not acknowledged"
  chaos_settle "$SETTLE_S" || true
  chaos_check "map-growth" || true
  grown=$(grep -c 'event=kv_map_grown' "$QF_DIR/scheduler.err" || true)
  [ "$grown" -gt 0 ] || chaos_fail "the map never grew (256K for $N groups)"
  # The stats are sampled once a second.
  qf_wait_for 5 "lmdb_map_bytes above 256K in the stats" map_above $((256 << 10)) ||
    chaos_fail "stats show lmdb_map_bytes=$(stats_field lmdb_map_bytes), not above 256K"
  echo "map-growth: post=$p grown=$grown times lmdb_map_bytes=$(stats_field lmdb_map_bytes)"
  chaos_finish
}

# ---- 2. full disk ----

# True if a tmpfs can be mounted here (root, and mount allowed).
can_mount() {
  [ "$(id -u)" -eq 0 ] || return 1
  local d
  d=$(mktemp -d)
  mount -t tmpfs -o size=1m tmpfs "$d" 2>/dev/null || { rmdir "$d"; return 1; }
  umount "$d"
  rmdir "$d"
}

# try_post TEXT: one post with a deadline. Prints "ok ID" or "err SECONDS
# MESSAGE"; acknowledged ids join the checked posts.
try_post() {
  local out rc=0 t0 t1
  t0=$(qf_now_ms)
  out=$("$QF_BIN/qunfa" post --to all --text "$1" --json --timeout-ms 10000 2>&1) || rc=$?
  t1=$(qf_now_ms)
  if [ $rc -eq 0 ]; then
    local id
    id=$(jq -r .post <<<"$out")
    echo "$id" >>"$CHAOS_POSTS"
    echo "ok $id"
  else
    echo "err $(((t1 - t0) / 1000)) $(tr '\n' ' ' <<<"$out")"
  fi
}

fill_disk() { # fills what is left of the tmpfs with a file
  dd if=/dev/zero of="$DISK/filler" bs=64k oflag=append conv=notrunc 2>/dev/null || true
  sync
}

# work_failures N: prints the number of failed outcome commits (refilling the
# disk meanwhile); true when at least N.
work_failures() {
  fill_disk
  local n
  n=$(grep -c 'commit_failed stream=work' "$QF_DIR/scheduler.err" || true)
  [ "$1" -gt 0 ] || echo "$n"
  [ "$n" -ge "$1" ]
}

full_disk() {
  chaos_init chaos-disk-full
  DISK=$QF_DIR/disk
  mkdir -p "$DISK"
  mount -t tmpfs -o "size=${TMPFS_MB}m" tmpfs "$DISK" || chaos_fail "mount failed"
  trap 'umount "$DISK" 2>/dev/null || true; qf_cleanup' EXIT
  STATS=tcp://$CHAOS_HOST:$(chaos_port)
  # The scheduler's data on the tmpfs: restarts (chaos_restart) keep it there.
  mkdir "$DISK/scheduler"
  ln -s "$DISK/scheduler" "$QF_DIR/scheduler"
  # A global rate keeps the acknowledged posts' deliveries going while the disk
  # is full, so their outcomes' commits fail too (kept and retried).
  chaos_start_system 2 --stats "$STATS" --global-rate 400/s || qf_die "system did not start"
  chaos_groups 500 || qf_die "groups import failed"
  local i r secs failed=0 errs=0 first
  for i in 1 2 3; do try_post "before the disk filled $i" >/dev/null; done
  fill_disk
  echo "full-disk: $(df -k --output=avail "$DISK" | tail -1 | tr -d ' ') KiB left"
  # Posts until commits fail: each answer must come within the deadline.
  for i in $(seq 1 40); do
    r=$(try_post "on a full disk $i")
    case $r in
    ok*) ;;
    err*)
      errs=$((errs + 1))
      read -r _ secs _ <<<"$r"
      [ "$secs" -lt 10 ] || chaos_fail "a post on a full disk took $secs s to fail: $r"
      [ -n "${first:-}" ] || first=$r
      [ $errs -ge 3 ] && break
      ;;
    esac
    # Space freed by LMDB's own free pages is reused: take it too.
    fill_disk
  done
  echo "full-disk: posts refused=$errs acknowledged=$(wc -l <"$CHAOS_POSTS") first refusal: ${first:-none}"
  [ $errs -gt 0 ] || chaos_fail "no post was refused on a full disk"
  grep -q 'storage full' <<<"${first:-}" || chaos_fail "unclear error: ${first:-}"
  qf_alive scheduler || chaos_fail "the scheduler died on a full disk"
  for i in $(head -n 1 "$CHAOS_POSTS"); do
    "$QF_BIN/qunfa" status "$i" --json --timeout-ms 5000 >/dev/null ||
      chaos_fail "the scheduler stopped answering reads on a full disk"
  done
  [ -n "$(stats_field commit_errors)" ] || chaos_fail "no stats on a full disk"
  # The disk stays full while outcomes fail to commit a few times (each kept
  # batch is retried after a pause).
  qf_wait_for 10 "3 failed outcome commits" work_failures 3 ||
    chaos_fail "outcome commits did not fail: the full disk did not meet a fan-out"
  echo "full-disk: commit_errors=$(stats_field commit_errors) while full," \
    "$(work_failures 0) of outcomes"
  rm -f "$DISK/filler"
  chaos_settle "$SETTLE_S" || true
  chaos_check "full-disk after freeing space" || failed=1
  r=$(try_post "after freeing space")
  [[ $r == ok* ]] || chaos_fail "a post after freeing space failed: $r"
  chaos_settle "$SETTLE_S" || true
  qf_stop scheduler 15 || chaos_fail "the scheduler did not stop cleanly"
  chaos_restart scheduler || chaos_fail "the scheduler did not restart"
  chaos_settle "$SETTLE_S" || true
  chaos_check "full-disk after a restart" || failed=1
  qf_alive scheduler || chaos_fail "the scheduler died after the restart"
  chaos_finish
  return $failed
}

if [ "$MODE" = map ]; then
  map_growth
elif can_mount; then
  full_disk
else
  echo "SKIP: full disk needs root and tmpfs mounts (uid $(id -u))"
fi
