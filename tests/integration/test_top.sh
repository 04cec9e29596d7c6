#!/usr/bin/env bash
# `qunfa top` in a tmux pane while a post runs: its screen refreshes and holds
# the live figures (deliveries/s, in flight, the busiest post, every process);
# q quits and the terminal is given back; `qunfa status --watch` draws its bar
# and prints a line per second when not on a terminal.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
. "$QF_SRC/tests/integration/obs_lib.sh"
qf_system_init "$QF_BIN"
if ! command -v tmux >/dev/null; then
  echo "test_top: SKIPPED: tmux is not installed (make deps installs it)"
  exit 0
fi
# A global limit of 60 leases a second keeps the post running for 5 s, so top
# sees it running however slowly it starts.
qf_start_observed_system 2 --global-rate 60/s
qf_make_groups 300 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" --json >/dev/null
post=$("$QF_BIN/qunfa" post --to all --text "top" --json | jq -r .post)

SOCK=$QF_DIR/tmux.sock
tmx() { tmux -S "$SOCK" "$@"; }
trap 'tmx kill-server 2>/dev/null || true; qf_cleanup' EXIT
tmx new-session -d -x 120 -y 40 -s top \
  "$QF_BIN/qunfa top --stats-url $QF_STATS_SCHEDULER --interval-ms 300; echo TOP-EXITED \$?; stty -a | tr ' ;' '\n\n' | grep -x 'icanon\|echo' | sed 's/^/MODE-/'; sleep 30"
screen() { tmx capture-pane -p -t top; }
refreshed() { screen | grep -Eq 'refresh ([4-9]|[1-9][0-9])'; }
qf_wait_for 20 "qunfa top to refresh 4 times" refreshed
busiest() { screen | grep -Eq "^$post +[0-9]+ +300 "; }
qf_wait_for 10 "post $post among the busiest" busiest
screen >"$QF_DIR/screen1.txt"
grep -q 'deliveries/s' "$QF_DIR/screen1.txt" || qf_fail "no deliveries/s line"
grep -q 'in flight' "$QF_DIR/screen1.txt" || qf_fail "no in-flight line"
grep -q 'throttled groups' "$QF_DIR/screen1.txt" || qf_fail "no throttled groups"
[ "$(grep -c 'dispatcher  *up' "$QF_DIR/screen1.txt")" = 2 ] || qf_fail "not both dispatchers up"
qf_wait_post_done "$post" 60 >/dev/null
all_delivered() { screen | grep -Eq 'delivered +300 '; }
qf_wait_for 10 "top to show 300 delivered" all_delivered
cat "$QF_DIR/screen1.txt"
tmx send-keys -t top q
exited() { screen | grep -q 'TOP-EXITED 0'; }
qf_wait_for 5 "q to quit top" exited
mode_shown() { screen | grep -q '^MODE-echo'; }
qf_wait_for 5 "the terminal's mode after top" mode_shown
screen | grep -q '^MODE-icanon$' || qf_fail "terminal left in raw mode (no icanon)"
screen | grep -q '^MODE-echo$' || qf_fail "terminal left without echo"

# status --watch on a pipe: a line per second, ends when the post is complete.
"$QF_BIN/qunfa" status "$post" --watch >"$QF_DIR/watch.txt"
grep -Eq "post $post: 300/300 delivered, .* ETA" "$QF_DIR/watch.txt" || qf_fail "watch: $(cat "$QF_DIR/watch.txt")"
# On a terminal: a bar redrawn in place.
tmx new-window -t top "$QF_BIN/qunfa status $post --watch; sleep 30"
bar_drawn() { tmx capture-pane -p -t top | grep -Eq '\[#{30}\] 100% post'; }
qf_wait_for 10 "the watch bar" bar_drawn

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
qf_finish
