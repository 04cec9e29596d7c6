#!/usr/bin/env python3
"""The chaos checker: judges every (post, group) from the outside.

Inputs: mockchat's record (JSON lines), the posts the client got an id for
(one id per line), the audience every post was sent to (one group id per
line), and the scheduler, asked through the `qunfa` CLI
(`qunfa deliveries POST --json`).

For every acknowledged post P and every group g of its audience, with r the
number of messages g received for P and s the delivery's state:

  lost          r == 0 and s is delivered (or the scheduler has no delivery
                for g, or does not know P at all): the client was told the
                post exists and g never got it although nothing made it final
                without sending (failed, cancelled, expired)
  duplicated    r - 1 for every r > 1 (at least once: counted, not an error)
  never_settled s is pending or leased when the checker runs (the caller
                waits for the run to settle first)
  unexpected    a message received for a (post, group) that no post holds: a
                post the scheduler does not know, a group outside the post's
                audience, or an idempotency key that is not "post:group".
                A post the scheduler holds but the client never heard of (a
                CreatePost cut by a crash) is not unexpected: it is counted as
                unacked_posts, and its deliveries are judged like the others.

Prints `lost=L duplicated=D unexpected=U never_settled=S` (and details on
stderr); exits 1 unless L, U and S are 0, 2 on a usage or input error.
"""
import argparse
import collections
import json
import subprocess
import sys

FINAL_WITHOUT_SEND = {"failed", "cancelled", "expired"}
UNSETTLED = {"pending", "leased"}


def deliveries(qunfa, post, timeout_ms):
    """The scheduler's deliveries of POST as {group: state}, or None if it does
    not know the post. Raises on any other failure (the checker cannot judge)."""
    p = subprocess.run([qunfa, "deliveries", str(post), "--json",
                        "--timeout-ms", str(timeout_ms)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        if "not found" in p.stderr:
            return None
        raise RuntimeError(f"qunfa deliveries {post}: {p.stderr.strip()}")
    return {d["group"]: d["state"] for d in json.loads(p.stdout)}


def read_record(path):
    """{(post, group): count} of received messages, and the bad keys."""
    got = collections.Counter()
    badkey = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            m = json.loads(line)
            if m.get("event"):  # recall lines are not messages
                continue
            post, group = str(m.get("post", "")), m.get("group", "")
            got[(post, group)] += 1
            if m.get("idempotency_key") != f"{post}:{group}":
                badkey.append(m)
    return got, badkey


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--record", required=True)
    ap.add_argument("--posts", required=True, help="acknowledged post ids")
    ap.add_argument("--audience", required=True, help="group ids of every post")
    ap.add_argument("--qunfa", required=True, help="path of the qunfa CLI")
    ap.add_argument("--timeout-ms", type=int, default=20000)
    ap.add_argument("--verbose", type=int, default=5,
                    help="examples printed per kind of fault")
    a = ap.parse_args()

    with open(a.posts) as f:
        acked = [line.strip() for line in f if line.strip()]
    with open(a.audience) as f:
        audience = [line.strip() for line in f if line.strip()]
    got, badkey = read_record(a.record)

    lost, dup, unexp, unsettled = [], 0, [], []
    states = collections.Counter()
    known = {}
    for post in dict.fromkeys(acked):
        d = deliveries(a.qunfa, post, a.timeout_ms)
        known[post] = d
        if d is None:
            lost += [(post, g, "post unknown to the scheduler") for g in audience]
            continue
        for g in audience:
            if g not in d:
                lost.append((post, g, "no delivery record"))
        for g, s in d.items():
            states[s] += 1
            if s in UNSETTLED:
                unsettled.append((post, g, s))
            elif got[(post, g)] == 0 and s not in FINAL_WITHOUT_SEND:
                lost.append((post, g, s))

    unacked = set()
    for (post, g), n in got.items():
        dup += n - 1
        if post not in known:
            known[post] = deliveries(a.qunfa, post, a.timeout_ms)
            if known[post] is not None:
                unacked.add(post)
        d = known[post]
        if d is None or g not in d:
            unexp.append((post, g, n))
    unexp += [(m.get("post"), m.get("group"), "key " + str(m.get("idempotency_key")))
              for m in badkey]
    # Deliveries of a post the client never heard of are judged too: a post
    # that exists must be whole and settle, even if its creator was cut off.
    for post in sorted(unacked):
        for g in audience:
            if g not in known[post]:
                lost.append((post, g, "partial post: no delivery record"))
        for g, s in known[post].items():
            states[s] += 1
            if s in UNSETTLED:
                unsettled.append((post, g, s))
            elif got[(post, g)] == 0 and s not in FINAL_WITHOUT_SEND:
                lost.append((post, g, s))

    for name, items in (("lost", lost), ("unexpected", unexp),
                        ("never_settled", unsettled)):
        for it in items[:a.verbose]:
            print(f"  {name}: post={it[0]} group={it[1]} ({it[2]})", file=sys.stderr)
    print(f"  posts={len(set(acked))} unacked_posts={len(unacked)} states="
          + ",".join(f"{k}:{v}" for k, v in sorted(states.items()))
          + f" received={sum(got.values())}", file=sys.stderr)
    print(f"lost={len(lost)} duplicated={dup} unexpected={len(unexp)} "
          f"never_settled={len(unsettled)}", flush=True)
    return 1 if lost or unexp or unsettled else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError, RuntimeError) as e:
        print(f"check.py: {e}", file=sys.stderr)
        sys.exit(2)
