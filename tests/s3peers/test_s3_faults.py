"""integration.s3_faults — `floe s3 put/get` through a fault-injecting proxy in front of moto.

moto serves S3 over TLS on loopback; faultproxy.py sits in front of it with its own
certificate and scripts one fault per case: 503 SlowDown, 500 InternalError, the connection
dropped before the answer, closed after the response headers or after half the body, a body
cut short under a larger Content-Length, a request never answered (stall) or answered only
after the client's request_timeout (late), and a connection reset halfway through the upload.
Each fault hits a small object's PUT or GET, or one part (or the GET) of a 12 MiB object sent
as multipart with part_size 5M; a few hit the multipart upload's start and completion. Every
case must succeed with the object byte-exact (SHA-256 of what moto holds, read with boto3
directly, or of the downloaded file), the proxy must have seen the retry (and floe counted
it), and during stalls floe's loop must have run its heartbeat timers
(ticks > 0). Errors that retrying cannot fix stop at the first attempt with exit 1 and S3's
Code in the message: 403 AccessDenied, 404 NoSuchBucket and NoSuchKey, 400. A conditional
put (--if-none-match) over an existing key exits 3 and leaves the object as it was.

FLOE_S3_CLIENT=aws runs the same cases with the AWS CLI as the client (the proof that the
proxy and the checks work on their own); the floe-only checks (ticks) are then skipped.
"""
import hashlib
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "process"))
sys.path.insert(0, HERE)
from faultproxy import FaultProxy  # noqa: E402
from floetest import check, finish, tmpdir  # noqa: E402
from s3clients import MIB, client, is_floe  # noqa: E402
from s3peer import Moto  # noqa: E402

BUCKET = "lake"
REQUEST_TIMEOUT = 4          # seconds; stalls last at least this long
LATE = REQUEST_TIMEOUT + 2   # a late answer comes after the client gave up


def sha(data):
    return hashlib.sha256(data).hexdigest()


def make(work, name, size, seed):
    data = random.Random(seed).randbytes(size)
    path = os.path.join(work, name)
    with open(path, "wb") as f:
        f.write(data)
    return path, sha(data)


class Case:
    def __init__(self, work, s3, px, cli, boto):
        self.work, self.s3, self.px, self.cli, self.boto = work, s3, px, cli, boto
        self.n = 0

    def stored(self, key):
        try:
            return sha(self.boto.get_object(Bucket=BUCKET, Key=key)["Body"].read())
        except Exception as e:  # noqa: BLE001 - reported by the check
            return f"unreadable: {e}"

    def retries(self, what, r, times, action):
        # A connection dropped or reset before any answer looks like a kept-alive connection
        # the server closed: floe's HTTP layer sends the request once more on its own, and
        # the S3 retry counter does not see it (the proxy does).
        if is_floe() and action not in ("drop", "reset"):
            n = r.counters.get("retries", "")
            check(n.isdigit() and int(n) >= times, f"{what}: floe counted the retries", r)

    def ticks(self, what, r, stalled):
        if not is_floe():
            return
        if check(r.ticks is not None, f"{what}: floe logs ticks=", r):
            if stalled:
                check(r.ticks > 0, f"{what}: heartbeat timers ran during the stall", r)

    def put(self, action, src, digest, multipart, times=1, step="part 2", **opts):
        """Uploads src under a fresh key with the fault on one step: the PUT of a small
        object, or of a multipart upload "part 2", "create" (POST ?uploads) or "complete"
        (POST ?uploadId)."""
        self.n += 1
        key = f"put/{self.n}-{action}{'-mp' if multipart else ''}"
        what = (f"put {'12 MiB multipart, ' + step if multipart else 'small'} with {action} "
                f"x{times}")
        self.px.clear()
        path = f"^/{BUCKET}/{key}$"
        match = ({"method": "PUT", "path": path} if not multipart
                 else {"method": "PUT", "path": path, "part": 2} if step == "part 2"
                 else {"method": "POST", "path": path, "query": "uploads"} if step == "create"
                 else {"method": "POST", "path": path, "query": "uploadId"})
        f = self.px.fault(action, times=times, **match, **opts)
        r = self.cli.put(src, f"s3://{BUCKET}/{key}")
        check(r.rc == 0, f"{what}: exit 0", r)
        check(self.stored(key) == digest, f"{what}: object byte-exact in moto")
        check(f.fired == times, f"{what}: fault fired {times} time(s)", f"fired {f.fired}")
        sel = dict(match)
        n = self.px.attempts(**sel)
        check(n >= times + 1, f"{what}: retried (at least {times + 1} attempts at the proxy)",
              f"attempts {n}: {self.px.records(**sel)}")
        self.retries(what, r, times, action)
        if multipart and step != "create":
            n = len(self.px.records(method="POST", query="uploads"))
            check(n == 1, f"{what}: one multipart upload started", f"{n}")
            left = self.boto.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
            check(not [u for u in left if u["Key"] == key],
                  f"{what}: no unfinished multipart upload left", left)
        self.ticks(what, r, action in ("stall", "late"))

    def get(self, action, key, digest, size, times=1, **opts):
        self.n += 1
        what = f"get {size // 1024} KiB with {action} x{times}"
        dst = os.path.join(self.work, f"got-{self.n}")
        self.px.clear()
        f = self.px.fault(action, times=times, method="GET", path="^/" + BUCKET + "/" + key + "$",
                          **opts)
        r = self.cli.get(f"s3://{BUCKET}/{key}", dst)
        check(r.rc == 0, f"{what}: exit 0", r)
        got = open(dst, "rb").read() if os.path.exists(dst) else b""
        check(len(got) == size and sha(got) == digest, f"{what}: file byte-exact",
              f"{len(got)} bytes")
        check(f.fired == times, f"{what}: fault fired {times} time(s)", f"fired {f.fired}")
        n = self.px.attempts(method="GET", path="^/" + BUCKET + "/" + key + "$")
        check(n >= times + 1, f"{what}: retried (at least {times + 1} GETs at the proxy)",
              f"attempts {n}")
        self.retries(what, r, times, action)
        self.ticks(what, r, action in ("stall", "late"))

    def refused(self, what, run, code, sel):
        r = run()
        check(r.rc == 1, f"{what}: exit 1", r)
        check(code in r.err, f"{what}: message carries {code}", r)
        n = self.px.attempts(**sel)
        check(n == 1, f"{what}: no retry (1 attempt at the proxy)",
              f"attempts {n}: {self.px.records(**sel)}")


def main():
    work = tmpdir()
    try:
        with Moto(work) as s3:
            s3.create_bucket(BUCKET)
            boto = s3.client()
            with FaultProxy(work, s3.endpoint, upstream_ca=s3.ca_file) as px:
                cli = client(work, px.endpoint, px.ca_file,
                             extra=(f"part_size = 5M\nmax_in_flight = 2\n"
                                    f"request_timeout = {REQUEST_TIMEOUT}s\n"
                                    "connect_timeout = 5s\n"))
                run_cases(work, s3, px, cli, boto)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish()


def run_cases(work, s3, px, cli, boto):
    c = Case(work, s3, px, cli, boto)
    small, small_sha = make(work, "small.bin", 200 * 1024 + 17, 1)
    big, big_sha = make(work, "big.bin", 12 * MIB + 4099, 2)

    # Uploads: the small object's PUT, and part 2 of the multipart upload.
    for multipart in (False, True):
        src, digest = (big, big_sha) if multipart else (small, small_sha)
        c.put("slowdown", src, digest, multipart, times=2)
        c.put("internal", src, digest, multipart)
        c.put("drop", src, digest, multipart)
        c.put("reset", src, digest, multipart)
        c.put("stall", src, digest, multipart)
        c.put("late", src, digest, multipart, delay=LATE)
    # The multipart upload's own requests: starting it, and completing it (the answer lost or
    # cut short after moto assembled the object, so the retry meets a finished upload).
    c.put("slowdown", big, big_sha, True, step="create")
    c.put("stall", big, big_sha, True, step="create")
    c.put("internal", big, big_sha, True, step="complete")
    c.put("close_half", big, big_sha, True, step="complete")
    c.put("drop", big, big_sha, True, step="complete")

    # Downloads of both sizes.
    boto.put_object(Bucket=BUCKET, Key="get/small", Body=open(small, "rb").read())
    boto.put_object(Bucket=BUCKET, Key="get/big", Body=open(big, "rb").read())
    for key, digest, size in (("get/small", small_sha, os.path.getsize(small)),
                              ("get/big", big_sha, os.path.getsize(big))):
        c.get("slowdown", key, digest, size, times=2)
        c.get("internal", key, digest, size)
        c.get("close_headers", key, digest, size)
        c.get("close_half", key, digest, size)
        c.get("truncate", key, digest, size)
        c.get("stall", key, digest, size)
        c.get("late", key, digest, size, delay=LATE)

    # Errors that a retry cannot fix stop at once.
    px.clear()
    px.fault("error", method="PUT", path="^/lake/denied$", times=None, status=403,
             code="AccessDenied", message="Access Denied")
    c.refused("put answered 403", lambda: cli.put(small, "s3://lake/denied"), "AccessDenied",
              {"method": "PUT", "path": "^/lake/denied$"})
    px.clear()
    px.fault("error", method="GET", path="^/lake/get/small$", times=None, status=403,
             code="AccessDenied", message="Access Denied")
    c.refused("get answered 403", lambda: cli.get("s3://lake/get/small",
                                                   os.path.join(work, "denied")),
              "AccessDenied", {"method": "GET", "path": "^/lake/get/small$"})
    px.clear()
    px.fault("error", method="PUT", path="^/lake/bad$", times=None, status=400,
             code="InvalidRequest", message="Bad request")
    c.refused("put answered 400", lambda: cli.put(small, "s3://lake/bad"), "InvalidRequest",
              {"method": "PUT", "path": "^/lake/bad$"})
    px.clear()
    c.refused("put to a missing bucket", lambda: cli.put(small, "s3://nosuchbucket/k"),
              "NoSuchBucket", {"method": "PUT", "path": "^/nosuchbucket/"})
    px.clear()
    c.refused("get of a missing key",
              lambda: cli.get("s3://lake/no/such/key", os.path.join(work, "missing")),
              "NoSuchKey", {"path": "^/lake/no/such/key$"})

    # A conditional put over an existing key: precondition failed, object unchanged.
    px.clear()
    r = cli.put(small, "s3://lake/get/big", if_none_match=True)
    check(r.rc == 3, "conditional put over an existing key: exit 3", r)
    check(c.stored("get/big") == big_sha, "conditional put: the existing object is unchanged")
    n = px.attempts(method="PUT", path="^/lake/get/big$")
    check(n == 1, "conditional put: not retried", f"attempts {n}")
    r = cli.put(small, "s3://lake/fresh", if_none_match=True)
    check(r.rc == 0, "conditional put of a new key: exit 0", r)
    check(c.stored("fresh") == small_sha, "conditional put of a new key: stored")


if __name__ == "__main__":
    main()
