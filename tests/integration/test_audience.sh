#!/usr/bin/env bash
# Tag audiences: groups imported with tags, `qunfa audience` previews the match
# (count and sample), a post to a tag expression reaches exactly the matching
# groups at mockchat, re-importing a group with other tags moves it in the index,
# and a bad expression exits 1 naming the position.
set -euo pipefail
. "$QF_SRC/scripts/system.sh"
qf_system_init "$QF_BIN"
qf_start_system 2
Q="$QF_BIN/qunfa"

# 60 groups: every 2nd moms, every 3rd shanghai, every 5th beijing, every 7th vip.
python3 - "$QF_HOOK" >"$QF_DIR/groups.jsonl" <<'PY'
import json, sys
hook = sys.argv[1]
for i in range(1, 61):
    tags = [t for t, k in (("moms", 2), ("shanghai", 3), ("beijing", 5), ("vip", 7)) if i % k == 0]
    print(json.dumps({"id": f"g{i:02d}", "tags": tags, "dialect": "generic",
                      "url": f"{hook}/hook/g{i:02d}"}))
PY
"$Q" groups import "$QF_DIR/groups.jsonl" >/dev/null

expr='tag:moms & (tag:shanghai | tag:beijing) & !tag:vip'
# The expected match, from the file itself.
want=$(jq -sc '[.[] | select((.tags | index("moms")) and ((.tags | index("shanghai")) or (.tags | index("beijing"))) and ((.tags | index("vip")) | not)) | .id] | sort' "$QF_DIR/groups.jsonl")
echo "want: $want"

preview=$("$Q" audience "$expr" --json)
echo "preview: $preview"
[ "$(jq .count <<<"$preview")" -eq "$(jq length <<<"$want")" ] || { echo "FAIL: count"; exit 1; }
[ "$(jq -c .sample <<<"$preview")" = "$(jq -c '.[:10]' <<<"$want")" ] || { echo "FAIL: sample"; exit 1; }

# Precedence as the CLI sees it: | is weakest.
[ "$("$Q" audience 'tag:vip | tag:moms & tag:beijing' --json | jq .count)" -eq \
  "$(jq -s '[.[] | select((.tags | index("vip")) or ((.tags | index("moms")) and (.tags | index("beijing"))))] | length' "$QF_DIR/groups.jsonl")" ] \
  || { echo "FAIL: precedence"; exit 1; }
[ "$("$Q" audience '!tag:moms' --json | jq .count)" -eq 30 ] || { echo "FAIL: negation"; exit 1; }

# A post to the expression reaches exactly those groups, once each.
post=$("$Q" post --to "$expr" --text "tagged hello" --json | jq -r .post)
status=$(qf_wait_post_done "$post" 60)
echo "status: $status"
[ "$(jq .delivered <<<"$status")" -eq "$(jq length <<<"$want")" ] || { echo "FAIL: delivered"; exit 1; }
got=$(jq -sc --arg p "$post" '[.[] | select(.post == $p) | .group] | sort' "$QF_RECORD")
[ "$got" = "$want" ] || { echo "FAIL: received by $got"; exit 1; }

# Re-importing a group with other tags moves it in the index (old tags removed).
jq -c 'select(.id == "g06") | .tags = ["dads"]' "$QF_DIR/groups.jsonl" >"$QF_DIR/g06.jsonl"
"$Q" groups import "$QF_DIR/g06.jsonl" >/dev/null
"$Q" audience 'tag:moms' --json | jq -e '(.sample | index("g06")) == null and .count == 29' >/dev/null \
  || { echo "FAIL: g06 still tagged moms"; exit 1; }
"$Q" audience 'tag:dads' --json | jq -e '.count == 1 and .sample == ["g06"]' >/dev/null \
  || { echo "FAIL: g06 not tagged dads"; exit 1; }

# A bad expression: exit 1, one line naming the position and what was expected.
set +e
err=$("$Q" audience 'tag:moms & (tag:shanghai | tag:beijing' 2>&1 >/dev/null); rc=$?
set -e
echo "error: $err"
[ "$rc" -eq 1 ] || { echo "FAIL: exit $rc"; exit 1; }
[ "$err" = 'qunfa: audience: expected ")" at position 39, found the end' ] || { echo "FAIL: message"; exit 1; }
set +e
err=$("$Q" post --to 'tag:moms && tag:vip' --text x 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'at position 11' <<<"$err" || { echo "FAIL: post with a bad audience: $rc $err"; exit 1; }
set +e
err=$("$Q" audience 'tag:moms | group:nope' 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q 'unknown group "nope"' <<<"$err" || { echo "FAIL: unknown group: $rc $err"; exit 1; }

for name in dispatcher1 dispatcher2 scheduler store mockchat; do qf_stop "$name"; done
echo "PASS"
