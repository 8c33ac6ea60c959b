"""faultproxy — a TLS-terminating HTTP/1.1 proxy that injects S3 faults, for floe's S3 tests.

    with FaultProxy(work, upstream=moto.endpoint, upstream_ca=moto.ca_file) as px:
        px.fault("slowdown", method="PUT", part=2, times=2)   # 503 SlowDown to part 2, twice
        ... run a client against px.endpoint, trusting px.ca_file ...
        px.attempts(method="PUT", part=2)                     # 3: two refused, one forwarded

The proxy listens on 127.0.0.1 and presents its own certificate for DNS:localhost (a fresh
CA from tests/process/tlscerts.py unless a certificate is given, which is how the TLS tests
present wrong ones). Each request is read whole, matched against the scripted faults in the
order they were added (method, a regular expression on the path, query keys, the part
number; each fault fires for its first `times` matches, or always with times=None), and
either forwarded to the upstream server — over TLS or plain, the Host header and every other
end-to-end header unchanged, so signatures still verify there — or answered with the fault:

    slowdown       503 with an S3 <Error><Code>SlowDown</Code> body
    internal       500 InternalError
    error          any status/code/message given (status=403, code="AccessDenied", ...)
    drop           forwarded, then the connection closed before any answer
    close_headers  forwarded, the real status and headers sent, then closed before the body
    close_half     forwarded, headers and half the body sent, then closed (no TLS close_notify)
    truncate       forwarded, all but the last part of the body sent (Content-Length promises
                   more), then a clean TLS shutdown and close
    stall          request read, never answered; the connection is held until the client
                   closes it or the proxy stops
    late           request read, answered (forwarded) only after `delay` seconds
    reset          half the request body read, then the connection reset (TCP RST)

A `check` callable, when given, sees every request before the faults and may answer it
instead (the signature check in sigcheck.py). Every request is recorded (method, path,
query, part, action, status) so tests can count attempts; TLS handshakes the client refused
are recorded too, with the alert text.
"""
import http.client
import os
import re
import select
import socket
import ssl
import struct
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "process"))
from tlscerts import localhost_pair  # noqa: E402

ACTIONS = ("slowdown", "internal", "error", "drop", "close_headers", "close_half", "truncate",
           "stall", "late", "reset")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
              "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"}
MAX_HEADER_LINE = 65536


def error_xml(code, message, resource=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
            '<Resource>%s</Resource><RequestId>faultproxy</RequestId></Error>'
            % (code, message, resource)).encode()


def _access_key(headers):
    """The access key id in a SigV4 Authorization header ("Credential=<key>/<scope>"), or ""."""
    for k, v in headers:
        if k.lower() == "authorization" and "Credential=" in v:
            return v.split("Credential=", 1)[1].split("/", 1)[0]
    return ""


class Request:
    """One request as the client sent it; body is the whole body (de-chunked)."""

    def __init__(self, method, target, headers):
        self.method = method
        self.target = target
        parts = urlsplit(target)
        self.path = parts.path
        self.query_string = parts.query
        self.query = parse_qs(parts.query, keep_blank_values=True)
        self.headers = headers            # list of (name, value), as sent
        self.body = b""

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def part(self):
        p = self.query.get("partNumber")
        return int(p[0]) if p and p[0].isdigit() else None


class Fault:
    """A scripted fault: fires for the first `times` requests that match (None: all)."""

    def __init__(self, action, method=None, path=None, query=None, part=None, times=1,
                 **opts):
        if action not in ACTIONS:
            raise ValueError(f"unknown fault {action!r}")
        self.action = action
        self.method = method
        self.path = re.compile(path) if path else None
        self.query = query                # a key that must be present, or a list of them
        self.part = part
        self.remaining = times
        self.opts = opts
        self.fired = 0

    def matches(self, req):
        if self.method and req.method != self.method:
            return False
        if self.path and not self.path.search(req.path):
            return False
        if self.query:
            keys = [self.query] if isinstance(self.query, str) else self.query
            if any(k not in req.query for k in keys):
                return False
        if self.part is not None and req.part() != self.part:
            return False
        return True


class _Closed(Exception):
    pass


class FaultProxy:
    """The proxy; start()/stop() or a with block. endpoint is https://localhost:<port>."""

    def __init__(self, work, upstream, upstream_ca=None, name="proxy", cert=None, key=None,
                 check=None):
        self.work = work
        up = urlsplit(upstream)
        self.up_tls = up.scheme == "https"
        self.up_host = up.hostname
        self.up_port = up.port or (443 if self.up_tls else 80)
        self.up_ctx = None
        if self.up_tls:
            self.up_ctx = ssl.create_default_context(cafile=upstream_ca)
        if cert is None:
            self.ca_file, cert, key = localhost_pair(work, name)
        else:
            self.ca_file = None
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.check = check
        self.faults = []
        self.log = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.conns = set()
        self.threads = []
        self.sock = None
        self.port = None
        self.endpoint = None

    # ---- control -------------------------------------------------------------------------

    def start(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.endpoint = f"https://localhost:{self.port}"
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)
        return self

    def stop(self):
        self.stopping.set()
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self.threads:
            t.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def fault(self, action, **kw):
        """Adds a fault (see the module text); returns it (its .fired counts the hits)."""
        f = Fault(action, **kw)
        with self.lock:
            self.faults.append(f)
        return f

    def clear(self):
        """Drops the remaining faults and the record."""
        with self.lock:
            self.faults = []
            self.log = []

    def records(self, method=None, path=None, part=None, query=None):
        """The recorded requests (dicts) that match, in arrival order."""
        rx = re.compile(path) if path else None
        out = []
        with self.lock:
            log = list(self.log)
        for r in log:
            if r.get("tls_error"):
                continue
            if method and r["method"] != method:
                continue
            if rx and not rx.search(r["path"]):
                continue
            if part is not None and r["part"] != part:
                continue
            if query and query not in r["query"]:
                continue
            out.append(r)
        return out

    def attempts(self, **kw):
        return len(self.records(**kw))

    def tls_errors(self, settle=10):
        """The handshakes that failed, with their error text. A client that refused the
        server's certificate has usually exited before the proxy's side of the handshake
        failed, so this first waits (up to settle seconds) for open connections to end."""
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            with self.lock:
                if not self.conns:
                    break
            time.sleep(0.02)
        with self.lock:
            return [r["tls_error"] for r in self.log if r.get("tls_error")]

    # ---- serving -------------------------------------------------------------------------

    def _accept(self):
        while not self.stopping.is_set():
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(raw,), daemon=True)
            t.start()
            with self.lock:
                self.threads = [x for x in self.threads if x.is_alive()] + [t]

    def _record(self, req, action, status=None, **extra):
        r = {"method": req.method, "path": req.path, "query": req.query_string,
             "part": req.part(), "action": action, "status": status,
             "body_bytes": len(req.body), "time": time.monotonic(),
             "access_key": _access_key(req.headers)}
        r.update(extra)
        with self.lock:
            self.log.append(r)
        return r

    def _serve(self, raw):
        raw.settimeout(30)
        with self.lock:
            self.conns.add(raw)
        upstream = [None]
        try:
            try:
                conn = self.ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError) as e:
                with self.lock:
                    self.log.append({"tls_error": str(e), "time": time.monotonic()})
                return
            conn.settimeout(None)
            rfile = conn.makefile("rb")
            while not self.stopping.is_set():
                try:
                    if not self._one(conn, rfile, upstream):
                        break
                except (_Closed, OSError, ssl.SSLError, http.client.HTTPException):
                    break
        finally:
            if upstream[0]:
                upstream[0].close()
            with self.lock:
                self.conns.discard(raw)
            try:
                raw.close()
            except OSError:
                pass

    def _read_head(self, rfile):
        line = rfile.readline(MAX_HEADER_LINE)
        if not line:
            raise _Closed()
        while line in (b"\r\n", b"\n"):
            line = rfile.readline(MAX_HEADER_LINE)
            if not line:
                raise _Closed()
        parts = line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _Closed()
        headers = []
        while True:
            h = rfile.readline(MAX_HEADER_LINE)
            if not h:
                raise _Closed()
            if h in (b"\r\n", b"\n"):
                break
            name, _, value = h.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        return Request(parts[0], parts[1], headers)

    def _read_body(self, req, rfile, limit=None):
        te = (req.header("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            while True:
                size = int(rfile.readline(MAX_HEADER_LINE).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while rfile.readline(MAX_HEADER_LINE) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self._read_exact(rfile, size))
                rfile.readline(MAX_HEADER_LINE)
            req.body = b"".join(chunks)
            return
        n = int(req.header("Content-Length") or 0)
        if limit is not None:
            n = min(n, limit)
        req.body = self._read_exact(rfile, n)

    @staticmethod
    def _read_exact(rfile, n):
        data = rfile.read(n)
        if len(data) != n:
            raise _Closed()
        return data

    def _pick(self, req):
        with self.lock:
            for f in self.faults:
                if f.remaining != 0 and f.matches(req):
                    if f.remaining is not None:
                        f.remaining -= 1
                    f.fired += 1
                    return f
        return None

    def _one(self, conn, rfile, upstream):
        """Serves one request; returns False when the connection is to be closed."""
        req = self._read_head(rfile)
        fault = self._pick(req)
        if (req.header("Expect") or "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if fault and fault.action == "reset":
            half = int(req.header("Content-Length") or 0) // 2
            self._read_body(req, rfile, limit=half)
            self._record(req, "reset")
            self._reset(conn)
            return False
        self._read_body(req, rfile)
        keep = (req.header("Connection") or "").lower() != "close"

        if self.check:
            answer = self.check(req)
            if answer is not None:
                status, code, message = answer
                self._record(req, "check:" + code, status)
                self._send(conn, req, status, [("Content-Type", "application/xml")],
                           error_xml(code, message, req.path))
                return keep
        if fault is None:
            status, headers, body = self._forward(req, upstream)
            self._record(req, "forward", status)
            self._send(conn, req, status, headers, body)
            return keep

        a = fault.action
        if a in ("slowdown", "internal", "error"):
            status, code, message = {
                "slowdown": (503, "SlowDown", "Please reduce your request rate."),
                "internal": (500, "InternalError",
                             "We encountered an internal error. Please try again."),
            }.get(a) or (fault.opts["status"], fault.opts["code"],
                         fault.opts.get("message", fault.opts["code"]))
            self._record(req, a, status)
            self._send(conn, req, status, [("Content-Type", "application/xml")],
                       error_xml(code, message, req.path))
            return keep
        if a == "stall":
            self._record(req, "stall")
            self._hold(conn, None)
            return False
        if a == "late":
            self._record(req, "late")
            self._hold(conn, fault.opts.get("delay", 5.0))
            if self.stopping.is_set():
                return False
            status, headers, body = self._forward(req, upstream)
            try:
                self._send(conn, req, status, headers, body)
            except OSError:
                pass
            return False
        status, headers, body = self._forward(req, upstream)
        self._record(req, a, status)
        if a == "drop":
            self._abort(conn)
            return False
        head = self._head(req, status, headers, body)
        if a == "close_headers":
            conn.sendall(head)
            self._abort(conn)
        elif a == "close_half":
            conn.sendall(head + body[:len(body) // 2])
            self._abort(conn)
        elif a == "truncate":
            short = max(1, len(body) // 8)
            conn.sendall(head + body[:len(body) - short])
            try:
                conn.unwrap()
            except (OSError, ssl.SSLError):
                pass
        return False

    def _hold(self, conn, delay):
        """Waits until the client closes, the proxy stops, or delay seconds pass."""
        deadline = None if delay is None else time.monotonic() + delay
        while not self.stopping.is_set():
            left = 0.2 if deadline is None else min(0.2, deadline - time.monotonic())
            if left <= 0:
                return
            r, _, _ = select.select([conn], [], [], left)
            if r:
                try:
                    if not conn.recv(65536):
                        if deadline is not None:
                            self.stopping.wait(max(0, deadline - time.monotonic()))
                        return
                except (OSError, ssl.SSLError):
                    return

    @staticmethod
    def _reset(conn):
        try:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        conn.close()

    @staticmethod
    def _abort(conn):
        """Closes the TCP connection without a TLS close_notify."""
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()

    def _upstream(self):
        if self.up_tls:
            return http.client.HTTPSConnection("localhost", self.up_port, context=self.up_ctx,
                                               timeout=60)
        return http.client.HTTPConnection(self.up_host, self.up_port, timeout=60)

    def _forward(self, req, upstream):
        """Sends req to the upstream server; returns (status, headers, body)."""
        for attempt in (0, 1):
            if upstream[0] is None:
                upstream[0] = self._upstream()
            c = upstream[0]
            try:
                c.putrequest(req.method, req.target, skip_host=True, skip_accept_encoding=True)
                has_length = False
                for k, v in req.headers:
                    if k.lower() in HOP_BY_HOP:
                        continue
                    has_length = has_length or k.lower() == "content-length"
                    c.putheader(k, v)
                if not has_length and (req.body or req.method in ("PUT", "POST")):
                    c.putheader("Content-Length", str(len(req.body)))
                c.endheaders(req.body if req.body else None)
                resp = c.getresponse()
                body = resp.read()
                headers = [(k, v) for k, v in resp.getheaders()
                           if k.lower() not in HOP_BY_HOP]
                if resp.will_close:
                    c.close()
                    upstream[0] = None
                return resp.status, headers, body
            except (http.client.HTTPException, OSError):
                c.close()
                upstream[0] = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _head(req, status, headers, body):
        reason = http.client.responses.get(status, "Status")
        lines = [f"HTTP/1.1 {status} {reason}"]
        for k, v in headers:
            if k.lower() == "content-length" and req.method != "HEAD":
                continue
            lines.append(f"{k}: {v}")
        if req.method != "HEAD":
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _send(self, conn, req, status, headers, body):
        if req.method == "HEAD":
            if not any(k.lower() == "content-length" for k, _ in headers):
                headers = headers + [("Content-Length", str(len(body)))]
            body = b""
        conn.sendall(self._head(req, status, headers, body) + body)
