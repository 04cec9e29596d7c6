#!/usr/bin/env bash
# qunfa-mockchat as the dispatcher and the tests meet it: the generic dialect
# accepted and recorded line by line, bad requests answered 400 with a JSON
# error and never recorded, scripted answers (answers=, always=, retry_after=)
# counted per group, many concurrent posts recorded as whole lines, a clean exit
# on SIGTERM, and exit codes for bad flags (2) and an unwritable record (1).
# Env: QF_BIN = the build's services dir, QF_SRC = the repository.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
qf_init test_mockchat

REC="$QF_TMP/record.jsonl"
port=$(qf_free_port)
BASE="http://127.0.0.1:$port"
qf_start chat qunfa-mockchat --listen "$BASE" --record "$REC"
qf_wait_ready chat 10 || qf_die "mockchat did not start"
qf_assert_eq "ready line port" "$port" "$(qf_ready_field chat port)"

lines() { if [ -f "$REC" ]; then wc -l <"$REC"; else echo 0; fi; }

# post GROUP POST TEXT [QUERY [KEY [CURL ARGS...]]]: a generic-dialect request;
# prints the status.
post() {
  local body
  body=$(jq -cn --arg g "$1" --arg p "$2" --arg t "$3" \
    '{group:$g, post:$p, kind:"post", text:$t}')
  qf_http POST "$BASE/hook/$1${4:-}" "$body" -H "Idempotency-Key: ${5:-$2:$1}" "${@:6}"
}

# --- health ---
qf_assert_eq "GET /healthz" 200 "$(qf_http GET "$BASE/healthz")"

# --- one good message, recorded exactly ---
t0=$(qf_now_ms)
qf_assert_eq "good post" 200 "$(post g1 42 'hello, 群发 "quoted"\nline')"
t1=$(qf_now_ms)
qf_assert_eq "good post body" '{"ok":true}' "$(jq -c . "$QF_TMP/http.body")"
qf_assert_eq "record lines after one post" 1 "$(lines)"
qf_assert_eq "record line" \
  '{"group":"g1","post":"42","kind":"post","text":"hello, 群发 \"quoted\"\\nline","idempotency_key":"42:g1"}' \
  "$(head -n1 "$REC" | jq -c 'del(.ts_ms)')"
ts=$(head -n1 "$REC" | jq '.ts_ms')
if ! [ "$ts" -ge "$t0" ] 2>/dev/null || ! [ "$ts" -le "$t1" ]; then
  qf_fail "ts_ms $ts not within the request's time $t0..$t1"
fi
qf_assert_eq "record key order" 'ts_ms,group,post,kind,text,idempotency_key' \
  "$(head -n1 "$REC" | jq -r 'keys_unsorted | join(",")')"

# --- bad requests: 400 with a JSON error, nothing recorded ---
bad() { # bad WHAT BODY [CURL ARGS...]
  local what=$1 body=$2
  shift 2
  qf_assert_eq "$what: status" 400 "$(qf_http POST "$BASE/hook/g1" "$body" "$@")"
  qf_assert_eq "$what: JSON error" "false string" \
    "$(jq -r '"\(.ok) \(.error | type)"' "$QF_TMP/http.body" 2>/dev/null)"
}
KEY=(-H 'Idempotency-Key: 42:g1')
bad "no Idempotency-Key" '{"group":"g1","post":"42","kind":"post","text":"x"}'
bad "not JSON" '{"group":' "${KEY[@]}"
bad "not an object" '["g1"]' "${KEY[@]}"
bad "empty body" '' "${KEY[@]}"
bad "group differs from the path" '{"group":"g2","post":"42","kind":"post","text":"x"}' "${KEY[@]}"
bad "missing text" '{"group":"g1","post":"42","kind":"post"}' "${KEY[@]}"
bad "post not a string" '{"group":"g1","post":42,"kind":"post","text":"x"}' "${KEY[@]}"
bad "empty kind" '{"group":"g1","post":"42","kind":"","text":"x"}' "${KEY[@]}"
qf_assert_eq "record lines after bad requests" 1 "$(lines)"
qf_assert_eq "no group in the path" 404 \
  "$(qf_http POST "$BASE/hook/" '{}' "${KEY[@]}")"

# --- scripted answers ---
# answers=500,500: two 500s (not recorded), then 200 (recorded), then 200 again.
for want in 500 500 200 200; do
  qf_assert_eq "g2 answers=500,500" "$want" "$(post g2 7 'sale' '?answers=500,500')"
done
qf_assert_eq "g2 recorded twice (the two 200s)" 2 \
  "$(jq -s '[.[] | select(.group == "g2")] | length' "$REC")"
# always=404: every request.
for _ in 1 2 3; do
  qf_assert_eq "g3 always=404" 404 "$(post g3 7 'sale' '?always=404')"
done
qf_assert_eq "g3 never recorded" 0 "$(jq -s '[.[] | select(.group == "g3")] | length' "$REC")"
# answers=429 with retry_after=2: Retry-After on the 429, none on the 200.
post g4 7 'sale' '?answers=429&retry_after=2' 7:g4 -D "$QF_TMP/h4" >"$QF_TMP/s4"
qf_assert_eq "g4 first answer" 429 "$(cat "$QF_TMP/s4")"
qf_assert_eq "g4 Retry-After" "2" \
  "$(tr -d '\r' <"$QF_TMP/h4" | sed -n 's/^[Rr]etry-[Aa]fter: *//p')"
post g4 7 'sale' '?answers=429&retry_after=2' 7:g4 -D "$QF_TMP/h4" >"$QF_TMP/s4"
qf_assert_eq "g4 second answer" 200 "$(cat "$QF_TMP/s4")"
grep -qi '^retry-after' "$QF_TMP/h4" && qf_fail "g4: Retry-After on a 200"
# Counters are per group: g5 starts at its own first request. Other query
# parameters (a platform's key) are ignored.
qf_assert_eq "g5 answers=503 first" 503 "$(post g5 8 'x' '?key=SECRET&answers=503')"
qf_assert_eq "g5 then 200" 200 "$(post g5 8 'x' '?key=SECRET&answers=503')"
qf_assert_eq "bad script" 400 "$(post g6 8 'x' '?always=abc')"

# --- many concurrent posts: every one recorded as a whole line ---
before=$(lines)
N=300
seq 1 $N | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 10 \
  -X POST -H 'Idempotency-Key: 9:c{}' -H 'Content-Type: application/json' \
  --data-binary '{"group":"c{}","post":"9","kind":"post","text":"concurrent {}"}' \
  "$BASE/hook/c{}" >"$QF_TMP/codes"
qf_assert_eq "concurrent statuses" "$N" "$(grep -c '^200$' "$QF_TMP/codes")"
qf_assert_eq "concurrent lines" "$((before + N))" "$(lines)"
qf_assert_eq "distinct concurrent keys" "$N" \
  "$(jq -r 'select(.post == "9") | .idempotency_key' "$REC" | sort -u | wc -l)"
jq -e . "$REC" >/dev/null || qf_fail "the record has a line that is not JSON"
[ "$(tail -c1 "$REC" | od -An -c | tr -d ' ')" = '\n' ] ||
  qf_fail "the record does not end in a newline"

# --- SIGTERM: exit 0, record intact ---
total=$(lines)
qf_stop chat 10
qf_assert_eq "record lines after stop" "$total" "$(lines)"
grep -q 'event=ready' "$QF_TMP/chat.err" || qf_fail "no ready line"

# --- bad flags exit 2; an unwritable record exits 1 with one line ---
expect_exit() { # expect_exit WANT ARGS...
  local want=$1
  shift
  qf_start flags qunfa-mockchat "$@"
  qf_wait_exit flags 10
  qf_assert_eq "qunfa-mockchat $* exit" "$want" "$QF_RC"
  qf_assert_eq "qunfa-mockchat $* stderr lines" 1 "$(wc -l <"$QF_TMP/flags.err")"
}
expect_exit 2 --listen "$BASE"
expect_exit 2 --listen "$BASE" --record "$REC" --bogus
expect_exit 2 --listen "$BASE" --record "$REC" --log-level loud
expect_exit 1 --listen "$BASE" --record "$QF_TMP/no/such/dir/record.jsonl"
grep -q 'no/such/dir' "$QF_TMP/flags.err" || qf_fail "unwritable record: reason lacks the path"
expect_exit 1 --listen "ftp://127.0.0.1:$port" --record "$REC"
# The environment sets flags too.
QUNFA_LISTEN="$BASE" QUNFA_RECORD="$QF_TMP/env.jsonl" qf_start envchat qunfa-mockchat
qf_wait_ready envchat 10 && qf_stop envchat 10

qf_finish
