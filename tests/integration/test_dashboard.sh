#!/usr/bin/env bash
# The dashboard at / in headless Chromium while a post is running: the post's
# row holds a progress bar and the grid holds one cell per group, coloured by
# state. A screenshot is kept in $QF_DIR (QF_KEEP=1) for a person to look at.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
. "$QF_SRC/tests/integration/obs_lib.sh"
qf_system_init "$QF_BIN"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
  echo "test_dashboard: SKIPPED: chromium is not installed (make deps installs it)"
  exit 0
fi
# A global limit of 5 leases a second keeps the post running for a minute, so
# it is still running when the browser looks, however slow the machine; it is
# cancelled once the page has been checked.
qf_start_observed_system 1 --global-rate 5/s

qf_make_groups 300 "$QF_DIR/groups.jsonl"
"$QF_BIN/qunfa" groups import "$QF_DIR/groups.jsonl" --json >/dev/null
post=$("$QF_BIN/qunfa" post --to all --text "dashboard" --json | jq -r .post)
api_lists_post() { curl -sf "$QF_HTTP/api/posts" | jq -e --arg p "$post" '.posts[] | select(.post == $p and .active)' >/dev/null; }
qf_wait_for 10 "the post on /api/posts" api_lists_post
qf_assert_eq "deliveries listed" 300 "$(curl -sf "$QF_HTTP/api/posts/$post/deliveries" | jq '.groups | length')"
qf_assert_eq "page type" "text/html; charset=utf-8" "$(curl -s -o /dev/null -w '%{content_type}' "$QF_HTTP/")"

browse() { # ARGS...: one headless run with its own profile
  local profile
  profile=$(mktemp -d "$QF_DIR/chromium.XXXXXX")
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --user-data-dir="$profile" --virtual-time-budget=4000 \
    --window-size=1200,1000 "$@" "$QF_HTTP/" 2>"$QF_DIR/chromium.err"
}
browse --dump-dom >"$QF_DIR/dom.html" || qf_fail "chromium --dump-dom failed: $(tail -3 "$QF_DIR/chromium.err")"
browse --screenshot="$QF_DIR/dashboard.png" >/dev/null || qf_fail "chromium --screenshot failed"
[ -s "$QF_DIR/dashboard.png" ] || qf_fail "no screenshot"

# The DOM: the post's row with a progress bar, the grid of its 300 groups.
python3 - "$QF_DIR/dom.html" "$post" <<'PY' || qf_fail "DOM check"
import re, sys
dom, post = open(sys.argv[1]).read(), sys.argv[2]
row = re.search(r'<tr class="post[^"]*" data-post="%s">(.*?)</tr>' % post, dom, re.S)
summary = re.search(r'<div class="card" id="summary">(.*?)</div>', dom, re.S)
assert row, "no row for post %s (summary: %s)" % (post, summary and summary.group(1))
assert '<div class="bar">' in row.group(1), "the row has no progress bar"
segs = re.findall(r'<span class="s(\d)"', row.group(1))
assert segs, "the progress bar is empty"
grid = re.search(r'<div id="grid" data-post="%s">(.*?)</div>\s*</div>' % post, dom, re.S)
assert grid, "the grid does not show post %s" % post
cells = re.findall(r'<div class="cell s(\d)"', grid.group(1))
assert len(cells) == 300, "grid has %d cells, want 300" % len(cells)
print("dom: bar segments %s, grid states %s" % (sorted(set(segs)), sorted(set(cells))))
PY
[ "${QF_KEEP:-0}" = 1 ] && echo "screenshot: $QF_DIR/dashboard.png"

# The page was looked at while the post ran (some delivered, the rest waiting).
qf_assert_eq "post still running" true \
  "$(curl -sf "$QF_HTTP/api/posts" | jq --arg p "$post" '[.posts[] | select(.post == $p and .active)] | length == 1')"
"$QF_BIN/qunfa" cancel "$post" >/dev/null
qf_wait_post_done "$post" 20 >/dev/null
for name in dispatcher1 scheduler store mockchat; do qf_stop "$name"; done
qf_finish
