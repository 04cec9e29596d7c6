#!/usr/bin/env bash
# The chaos suite: kill -9 rounds (kill.sh), hostile peers (hostile.sh), hosts in
# network namespaces with a link cut (netns.sh), disk faults (disk.sh). Every
# part ends with the checker's line `lost=.. duplicated=.. unexpected=..
# never_settled=..`.
#
#   tests/chaos/run.sh [--short|--long] [--seed N] [--only kill,hostile,netns,disk]
#
# --short (default; `make test` via CTest): 2,000 groups, 3 kill rounds, 2 kills
#   during CreatePost, 200 rate-limited groups x 10 posts across namespaces, a
#   3,000-group fan-out on a 256K map, a 12 MB tmpfs filled up.
# --long (`make chaos`): 10,000 groups, 20 kill rounds with 3 dispatchers, 10 kills
#   during CreatePost, 1,000 groups x 20 posts across namespaces, more frames, a
#   20,000-group fan-out on a 256K map, an 8 MB tmpfs.
# The seed (printed; random unless given) makes every random choice of a run
# repeatable: the victims, the moments (as shares of the fan-out) and the jitter.
# QF_BIN (the programs) and QF_SRC (this repository) come from CTest, else are
# guessed as build/services and the repository of this script.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export QF_SRC=${QF_SRC:-$(cd "$HERE/../.." && pwd)}
export QF_BIN=${QF_BIN:-$QF_SRC/build/services}

form=short seed= only=kill,hostile,netns,disk
while [ $# -gt 0 ]; do
  case $1 in
  --short) form=short ;;
  --long) form=long ;;
  --seed) seed=$2; shift ;;
  --seed=*) seed=${1#--seed=} ;;
  --only) only=$2; shift ;;
  --only=*) only=${1#--only=} ;;
  -h | --help)
    sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "run.sh: unknown argument '$1' (try --help)" >&2
    exit 2
    ;;
  esac
  shift
done
seed=${seed:-$((($(date +%s%N) / 1000) % 1000000))}
for p in qunfa qunfa-scheduler qunfa-store qunfa-dispatcher qunfa-mockchat; do
  [ -x "$QF_BIN/$p" ] || { echo "run.sh: $QF_BIN/$p missing (build first, or set QF_BIN)" >&2; exit 2; }
done
# Absolute: the parts start programs from other directories and link to them.
QF_BIN=$(cd "$QF_BIN" && pwd)
command -v jq >/dev/null && command -v python3 >/dev/null ||
  { echo "run.sh: needs jq and python3" >&2; exit 2; }

if [ "$form" = long ]; then
  kill_args=(10000 20 10 3) hostile_args=(300) netns_args=(1000 20) disk_args=(20000 8)
else
  kill_args=(2000 3 2 2) hostile_args=(100) netns_args=(200 10) disk_args=(3000 12)
fi
echo "chaos: form=$form seed=$seed (replay: $0 --$form --seed $seed --only $only)"

start=$SECONDS failed=()
for part in ${only//,/ }; do
  case $part in
  kill) bash "$HERE/kill.sh" "${kill_args[@]}" "$seed" ;;
  hostile) bash "$HERE/hostile.sh" "$seed" "${hostile_args[@]}" ;;
  netns) bash "$HERE/netns.sh" "${netns_args[@]}" "$seed" ;;
  disk) bash "$HERE/disk.sh" "${disk_args[0]}" "$seed" "${disk_args[1]}" ;;
  *) echo "run.sh: unknown part '$part'" >&2; false ;;
  esac 2>&1 | grep --line-buffered -v '^.*lib.sh: line [0-9]*: *[0-9]* Killed'
  rc=${PIPESTATUS[0]}
  [ "$rc" -eq 0 ] || failed+=("$part(exit $rc)")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "chaos: FAILED ${failed[*]} after $((SECONDS - start)) s (seed $seed)"
  exit 1
fi
echo "chaos: ok after $((SECONDS - start)) s (seed $seed)"
