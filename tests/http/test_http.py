"""test_http.py — floe's HTTP client (agent/http*.c) against real servers on loopback.

Generates a test CA and server certificates (DNS:localhost; one signed by an unknown CA, one for
another host name, one expired), starts plain and TLS HTTP/1.1 servers on 127.0.0.1 with
ephemeral ports, plus a silent listener, a listener whose backlog is full (connects hang) and a
closed port, then runs http_driver (argv[1]) against them. The driver checks what the client
sees; this script then checks what only the servers saw: the exact bytes uploaded (SHA-256
computed here from the source, independently of floe), the request headers, and the request the
client sent twice after a kept-alive connection was dropped.
"""
import datetime
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "process"))
from floetest import check, finish  # noqa: E402

from tlscerts import DAY, make_ca, make_leaf, server_context, write_pem  # noqa: E402

UNIT = bytes((i * 7) % 251 for i in range(251))


def pattern(n):
    return (UNIT * (n // len(UNIT) + 1))[:n]


class Server:
    """A small threaded HTTP/1.1 server with fault endpoints; records what it receives."""

    def __init__(self, ctx=None, mode="http"):
        self.ctx = ctx
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = []  # (conn id, method, target, headers, body length, sha256 hex)
        self.uploads = {}
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                s, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                cid = self.connections
            threading.Thread(target=self.serve, args=(s, cid), daemon=True).start()

    def serve(self, s, cid):
        try:
            s.settimeout(10)
            if self.mode == "silent":
                while s.recv(65536):
                    pass
                return
            if self.mode == "garbage":
                s.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            if self.ctx:
                s = self.ctx.wrap_socket(s, server_side=True)
            self.handle(s, cid)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                s.close()
            except OSError:
                pass

    def handle(self, s, cid):
        buf = b""
        drop_next = False
        while True:
            while b"\r\n\r\n" not in buf:
                data = s.recv(65536)
                if not data:
                    return
                buf += data
                if len(buf) > 65536:
                    return
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ")
            headers = {}
            for line in lines[1:]:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
            url = urlsplit(target)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(headers.get("content-length", "0"))
            if url.path == "/reject-early":
                self.record(cid, method, target, headers, -1, "")
                s.sendall(b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n"
                          b"Content-Length: 8\r\n\r\ntoo big!")
                s.shutdown(socket.SHUT_WR)
                got = len(buf)
                while got < length:
                    data = s.recv(1 << 20)
                    if not data:
                        break
                    got += len(data)
                return
            h = hashlib.sha256()
            take = min(len(buf), length)
            h.update(buf[:take])
            got, buf = take, buf[take:]
            while got < length:
                data = s.recv(min(1 << 20, length - got))
                if not data:
                    self.record(cid, method, target, headers, got, None)
                    return
                h.update(data)
                got += len(data)
            self.record(cid, method, target, headers, got, h.hexdigest())
            if drop_next:
                return  # read the request, answer nothing, close
            if url.path == "/upload":
                self.uploads[query.get("name")] = (got, h.hexdigest())
            action = self.respond(s, cid, method, url.path, query, h.hexdigest(), got)
            if action == "close":
                return
            drop_next = action == "drop-next"

    def record(self, cid, method, target, headers, length, sha):
        with self.lock:
            self.requests.append((cid, method, target, headers, length, sha))

    @staticmethod
    def send(s, status, headers, body=b"", method="GET"):
        lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers]
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + (b"" if method == "HEAD" else body))

    def respond(self, s, cid, method, path, query, sha, length):
        base = [("X-Conn-Id", str(cid))]
        if path in ("/hello", "/drop-next", "/close-later"):
            self.send(s, "200 OK", base + [("Content-Type", "text/plain"), ("ETag", '"hello"'),
                                          ("Content-Length", "12")], b"hello world\n", method)
            if path == "/close-later":
                time.sleep(0.1)  # then close the kept-alive connection while it is idle
                return "close"
            return "drop-next" if path == "/drop-next" else None
        if path == "/slow":
            time.sleep(int(query.get("ms", "100")) / 1000)
            self.send(s, "200 OK", base + [("Content-Length", "2")], b"ok")
            return None
        if path == "/upload":
            self.send(s, "200 OK", base + [("ETag", f'"{sha}"'), ("X-Body-Length", str(length)),
                                          ("Content-Length", "0")])
            return None
        if path == "/chunked":
            s.sendall(b"HTTP/1.1 200 OK\r\nX-Conn-Id: " + str(cid).encode() +
                      b"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1\r\n \r\n"
                      b"7;x=y\r\nchunked\r\n6\r\n world\r\n0\r\n\r\n")
            return None
        if path == "/big":
            data = pattern(int(query["n"]))
            hdrs = base + [("X-Sha256", hashlib.sha256(data).hexdigest())]
            if query.get("chunked"):
                self.send(s, "200 OK", hdrs + [("Transfer-Encoding", "chunked")])
                for i in range(0, len(data), 10000):
                    part = data[i:i + 10000]
                    s.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
                s.sendall(b"0\r\n\r\n")
            else:
                self.send(s, "200 OK", hdrs + [("Content-Length", str(len(data)))], data)
            return None
        if path == "/status/503":
            self.send(s, "503 Slow Down", base + [("Retry-After", "2"), ("Content-Length", "9")],
                      b"slow down")
            return None
        if path == "/truncate":
            self.send(s, "200 OK", base + [("Content-Length", "1000")], b"x" * 100)
            return "close"
        if path == "/truncate-chunked":
            self.send(s, "200 OK", base + [("Transfer-Encoding", "chunked")],
                      b"10\r\n" + b"y" * 16 + b"\r\n")
            return "close"
        if path == "/stall":
            time.sleep(float(query.get("s", "3")))
            return "close"
        if path == "/stall-body":
            self.send(s, "200 OK", base + [("Content-Length", "100")], b"z" * 10)
            time.sleep(3)
            return "close"
        if path == "/malformed":
            s.sendall(b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n")
            return "close"
        if path == "/close":
            self.send(s, "200 OK", base + [("Connection", "close"), ("Content-Length", "3")],
                      b"bye")
            return "close"
        if path == "/http10":
            s.sendall(b"HTTP/1.0 200 OK\r\nX-Conn-Id: " + str(cid).encode() +
                      b"\r\n\r\nold-style body")
            return "close"
        if path == "/continue":
            s.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.send(s, "200 OK", base + [("Content-Length", "14")], b"after continue")
            return None
        self.send(s, "404 Not Found", base + [("Content-Length", "0")])
        return None


def main():
    driver = sys.argv[1]
    extra = sys.argv[2:]  # e.g. debug=1
    work = tempfile.mkdtemp(prefix="floe-http-")
    try:
        run(driver, work, extra)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish()


def run(driver, work, extra):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca, ca_key = make_ca("floe test CA")
    other, other_key = make_ca("unknown CA")
    ca_path = write_pem(os.path.join(work, "ca.pem"), ca)
    os.mkdir(os.path.join(work, "cadir"))
    shutil.copy(ca_path, os.path.join(work, "cadir", "ca.pem"))

    good = server_context(work, "good", *make_leaf(ca, ca_key, "localhost", now - DAY, now + DAY))
    unknown = server_context(work, "unknown",
                             *make_leaf(other, other_key, "localhost", now - DAY, now + DAY))
    wrong = server_context(work, "wrong",
                           *make_leaf(ca, ca_key, "wrong.example", now - DAY, now + DAY))
    expired = server_context(work, "expired",
                             *make_leaf(ca, ca_key, "localhost", now - 30 * DAY, now - DAY))

    # A server that stops at TLS 1.1: below floe's minimum.
    old_tls = server_context(work, "old", *make_leaf(ca, ca_key, "localhost", now - DAY, now + DAY))
    old_tls.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_tls.minimum_version = ssl.TLSVersion.TLSv1_1
        old_tls.maximum_version = ssl.TLSVersion.TLSv1_1

    plain = Server()
    tls = Server(good)
    servers = {"plain": plain, "tls": tls, "unknown": Server(unknown),
               "wronghost": Server(wrong), "expired": Server(expired),
               "silent": Server(mode="silent"), "tls11": Server(old_tls),
               "garbage": Server(mode="garbage")}

    # Connects to this one hang: its backlog is full and nobody accepts.
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(0)
    fillers = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(blackhole.getsockname())
        except BlockingIOError:
            pass
        fillers.append(c)
    # A port nobody listens on.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused_port = closed.getsockname()[1]
    closed.close()

    # The upload file: a region in the middle of it is sent.
    offset, length = 12345, 6 * 1024 * 1024 + 789
    data = os.urandom(offset + length + 777)
    file_path = os.path.join(work, "upload.bin")
    with open(file_path, "wb") as f:
        f.write(data)
    file_sha = hashlib.sha256(data[offset:offset + length]).hexdigest()

    args = [driver] + [f"{k}={v.port}" for k, v in servers.items()] + [
        f"blackhole={blackhole.getsockname()[1]}", f"refused={refused_port}", f"ca={ca_path}",
        f"file={file_path}", f"file_offset={offset}", f"file_len={length}",
        f"file_sha={file_sha}"] + extra
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True, timeout=180)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    print(f"driver: {last} ({time.monotonic() - t0:.1f} s)")
    check(p.returncode == 0 and last.endswith(" 0 failed"), "http_driver passed",
          f"exit {p.returncode}, {last!r}")

    # Byte-exact uploads, hashed here from the source.
    mem = bytes((i * 131 + 7) & 0xff for i in range(1 << 20))
    mem_sha = hashlib.sha256(mem).hexdigest()
    for srv, name, want in ((plain, "mem", (len(mem), mem_sha)),
                            (plain, "file", (length, file_sha)),
                            (tls, "tls-mem", (len(mem), mem_sha)),
                            (tls, "tls-file", (length, file_sha))):
        check(srv.uploads.get(name) == want, f"upload {name} arrived byte-exact",
              f"got {srv.uploads.get(name)}, want {want}")

    # Request headers as the servers received them.
    for name, srv in (("plain", plain), ("tls", tls)):
        reqs = srv.requests
        check(len(reqs) > 5, f"{name} server saw requests", str(len(reqs)))
        hosts = {h.get("host") for _, _, _, h, _, _ in reqs}
        check(hosts == {f"localhost:{srv.port}"}, f"{name}: Host header", str(hosts))
        for _, method, target, h, n, _ in reqs:
            if method == "PUT":
                ok = h.get("content-length", "").isdigit() and (
                    n == -1 or n == int(h["content-length"]) or target.endswith("short"))
                check(ok, f"{name}: PUT {target} carries its Content-Length",
                      f"{h.get('content-length')} vs {n}")
            elif method in ("GET", "HEAD"):
                check("content-length" not in h and "transfer-encoding" not in h,
                      f"{name}: {method} {target} has no body headers", str(h))
        puts = [h for _, m, t, h, _, _ in reqs if m == "PUT" and "name=" in t and "short" not in t]
        check(puts and all(h.get("x-floe-test") == "yes" for h in puts),
              f"{name}: caller headers sent")

    # The dropped kept-alive connection: the request was seen twice, then answered once.
    targets = [t for _, _, t, _, _, _ in plain.requests]
    check(targets.count("/hello?after=drop") == 2, "retried request reached the server twice",
          str(targets.count("/hello?after=drop")))
    check(targets.count("/hello?after=drop-noretry") == 1, "no_retry request sent once")
    ids = [c for c, _, t, _, _, _ in plain.requests if t == "/hello?after=drop"]
    check(len(set(ids)) == 2, "retry used a fresh connection", str(ids))
    ids = [c for c, _, t, _, _, _ in tls.requests if t == "/hello?after=tls-drop"]
    check(len(set(ids)) == 2, "TLS: retried on a fresh connection", str(ids))

    for c in fillers:
        c.close()
    blackhole.close()


if __name__ == "__main__":
    main()
