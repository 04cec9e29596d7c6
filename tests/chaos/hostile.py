#!/usr/bin/env python3
"""Hostile peers of qunfa's NNG and HTTP endpoints, written against the wire.

NNG's SP-over-TCP framing, by hand (no NNG binding needed): each side first
sends an 8-byte header `\\x00SP\\x00` + protocol id (16-bit big endian: REQ
0x30, REP 0x31) + 2 reserved bytes; then every message is an 8-byte big-endian
length and the payload. A REQ's payload starts with a 4-byte request id whose
high bit is set (the REP echoes it in front of its answer).

  hostile.py bigmsg HOST PORT [SIZE] [SEND_BYTES]  announce SIZE (default 1 GiB)
  hostile.py garbage HOST PORT COUNT SEED          raw random bytes, no handshake
  hostile.py frames HOST PORT COUNT SEED           valid framing, random payloads
  hostile.py idle HOST PORT COUNT STOPFILE [HALF]  COUNT silent connections (HALF
                                                   of them after the handshake)
                                                   held until STOPFILE exists
  hostile.py announce HOST PORT COUNT SIZE STOPFILE  COUNT connections that each
                                                   announce SIZE and send nothing
  hostile.py slowloris HOST PORT COUNT STOPFILE    HTTP requests never finished

Each prints one line `key=value ...` of what it saw, and exits 0 unless it
could not do its part at all (e.g. no connection was possible).
"""
import os
import random
import socket
import struct
import sys
import time

REQ, REP = 0x30, 0x31


def sp_header(proto):
    return b"\x00SP\x00" + struct.pack(">H", proto) + b"\x00\x00"


def connect(host, port, timeout=5.0):
    s = socket.create_connection((host, int(port)), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def handshake(s, proto=REQ):
    """Sends our header, reads the peer's; returns the peer's protocol id or None."""
    s.sendall(sp_header(proto))
    hdr = recv_exact(s, 8)
    if hdr is None or hdr[:4] != b"\x00SP\x00":
        return None
    return struct.unpack(">H", hdr[4:6])[0]


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except (socket.timeout, ConnectionError, OSError):
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def closed_by_peer(s, seconds):
    """True if the peer closes (EOF or reset) within SECONDS."""
    s.settimeout(min(0.2, float(seconds)))
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if s.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except (ConnectionError, OSError):
            return True
    return False


def bigmsg(host, port, size=1 << 30, send_bytes=8 << 20):
    """Announces SIZE bytes, then tries to send SEND_BYTES of them."""
    s = connect(host, port)
    peer = handshake(s)
    s.sendall(struct.pack(">Q", int(size)) + struct.pack(">I", 0x80000001))
    sent, chunk = 4, os.urandom(65536)
    s.settimeout(2.0)
    try:
        while sent < int(send_bytes):
            sent += s.send(chunk)
    except (socket.timeout, ConnectionError, OSError):
        pass
    closed = closed_by_peer(s, 5.0)
    s.close()
    print(f"bigmsg peer_proto={peer} announced={size} accepted_bytes~={sent} "
          f"closed_by_peer={int(closed)}")
    return 0


def garbage(host, port, count, seed):
    rnd = random.Random(int(seed))
    closed = refused = 0
    for _ in range(int(count)):
        try:
            s = connect(host, port)
        except OSError:
            refused += 1
            continue
        data = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 4096)))
        try:
            s.sendall(data)
        except OSError:
            pass
        closed += closed_by_peer(s, 2.0)
        s.close()
    print(f"garbage connections={count} closed_by_peer={closed} refused={refused}")
    return 0 if refused < int(count) else 1


def frames(host, port, count, seed):
    """Valid SP framing carrying random payloads: some with a request id and
    random bytes, some truncated, some with an id lacking the high bit, some
    a random protobuf-looking envelope. Reconnects when the peer hangs up."""
    rnd = random.Random(int(seed))
    sent = answered = reconnects = 0
    s = None
    for i in range(int(count)):
        if s is None:
            s = connect(host, port)
            if handshake(s) is None:
                reconnects += 1
                s.close()
                s = None
                continue
        kind = rnd.randrange(4)
        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 2048)))
        if kind == 0:  # request id + random bytes
            payload = struct.pack(">I", 0x80000000 | i) + body
        elif kind == 1:  # shorter than a request id
            payload = body[: rnd.randint(0, 3)]
        elif kind == 2:  # a "hop" id without the high bit
            payload = struct.pack(">I", i & 0x7FFFFFFF) + body
        else:  # request id + protobuf-like fields: tag/len pairs of random size
            fields = b""
            for _ in range(rnd.randint(1, 6)):
                tag = rnd.randint(1, 15) << 3 | rnd.choice((0, 2))
                if tag & 7 == 2:
                    blob = body[: rnd.randint(0, 64)]
                    fields += bytes((tag, len(blob))) + blob
                else:
                    fields += bytes((tag, rnd.randint(0, 127)))
            payload = struct.pack(">I", 0x80000000 | i) + fields
        try:
            s.sendall(struct.pack(">Q", len(payload)) + payload)
            sent += 1
            s.settimeout(0.1)
            hdr = recv_exact(s, 8)
            if hdr is not None:
                n = struct.unpack(">Q", hdr)[0]
                if n > (1 << 24) or recv_exact(s, n) is None:
                    raise ConnectionError("bad answer")
                answered += 1
        except (socket.timeout, ConnectionError, OSError):
            # No answer in time is fine (a REP drops what it cannot use); a
            # hang-up means start again on a new connection.
            if closed_by_peer(s, 0.01):
                s.close()
                s = None
                reconnects += 1
    if s is not None:
        s.close()
    print(f"frames sent={sent} answered={answered} reconnects={reconnects}")
    return 0 if sent else 1


def wait_stopfile(path, limit_s=300):
    end = time.monotonic() + limit_s
    while not os.path.exists(path) and time.monotonic() < end:
        time.sleep(0.05)


def idle(host, port, count, stopfile, half=1):
    socks, handshaken, failed = [], 0, 0
    for i in range(int(count)):
        try:
            s = connect(host, port)
            if int(half) and i % 2 == 0 and handshake(s) is not None:
                handshaken += 1
            socks.append(s)
        except OSError:
            failed += 1
    print(f"idle open={len(socks)} handshaken={handshaken} failed={failed}", flush=True)
    wait_stopfile(stopfile)
    alive = sum(0 if closed_by_peer(s, 0.001) else 1 for s in socks)
    for s in socks:
        s.close()
    print(f"idle still_open_at_end={alive}", flush=True)
    return 0 if socks else 1


def announce(host, port, count, size, stopfile):
    socks, failed = [], 0
    for i in range(int(count)):
        try:
            s = connect(host, port)
            handshake(s)
            s.sendall(struct.pack(">Q", int(size)) + struct.pack(">I", 0x80000000 | i))
            socks.append(s)
        except OSError:
            failed += 1
    print(f"announce open={len(socks)} size={size} failed={failed}", flush=True)
    wait_stopfile(stopfile)
    alive = sum(0 if closed_by_peer(s, 0.001) else 1 for s in socks)
    for s in socks:
        s.close()
    print(f"announce still_open_at_end={alive}", flush=True)
    return 0 if socks else 1


def slowloris(host, port, count, stopfile):
    socks, failed = [], 0
    for i in range(int(count)):
        try:
            s = connect(host, port)
            s.sendall(f"POST /hook/g{i} HTTP/1.1\r\nHost: {host}\r\n".encode())
            socks.append(s)
        except OSError:
            failed += 1
    print(f"slowloris open={len(socks)} failed={failed}", flush=True)
    end = time.monotonic() + 300
    n = 0
    while not os.path.exists(stopfile) and time.monotonic() < end:
        time.sleep(0.5)  # the attack's pace: one header line per connection every 0.5 s
        n += 1
        for s in list(socks):
            try:
                s.sendall(f"X-Slow-{n}: {n}\r\n".encode())
            except OSError:
                socks.remove(s)
    print(f"slowloris still_open_at_end={len(socks)}", flush=True)
    for s in socks:
        s.close()
    return 0


def main(argv):
    cmds = {"bigmsg": bigmsg, "garbage": garbage, "frames": frames, "idle": idle,
            "announce": announce, "slowloris": slowloris}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
