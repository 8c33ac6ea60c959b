"""integration.s3_s3rver — `floe s3` round trips against s3rver, every request's signature checked.

s3rver (the npm package, from tests/readers/node_modules) serves S3 over TLS on loopback. In
front of it faultproxy.py runs with no faults and a SigV4Check (sigcheck.py): each request's
signature is recomputed with botocore's signer from the same method, URL, signed headers and
x-amz-date and must equal the client's, else the proxy answers 403 SignatureDoesNotMatch
without forwarding. s3rver checks signatures too, with its own code (keys S3RVER/S3RVER).

First botocore itself goes through the proxy — with the right key it passes, with a wrong
one it is refused — which shows the check accepts good signatures and can fail. Then floe:
mb, put (a small object, keys with characters that need encoding, and a 12 MiB multipart
object), head, ls with prefixes, get (file and stdout), rm of several keys; each result is
compared with what boto3 reads from s3rver directly, byte for byte by SHA-256. Finally a
floe config with a wrong secret key is refused: exit 1 with SignatureDoesNotMatch.
"""
import hashlib
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("FLOE_SOURCE") or os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(HERE, "..", "process"))
sys.path.insert(0, HERE)
from faultproxy import FaultProxy  # noqa: E402
from floetest import FLOE, check, finish, tmpdir  # noqa: E402
from s3clients import MIB, client, is_floe  # noqa: E402
from s3peer import REGION, free_port  # noqa: E402
from sigcheck import SigV4Check  # noqa: E402
from tlscerts import localhost_pair  # noqa: E402

KEY = SECRET = "S3RVER"      # the account s3rver knows
BIN = os.path.join(SOURCE, "tests", "readers", "node_modules", "s3rver", "bin", "s3rver.js")
NODE = sys.argv[1] if len(sys.argv) > 1 else "node"


class S3rver:
    """s3rver over TLS on 127.0.0.1, data under work/s3rver-data; stopped with its group."""

    def __init__(self, work):
        self.ca_file, self.cert, self.key = localhost_pair(work, "s3rver")
        self.port = free_port()
        self.endpoint = f"https://localhost:{self.port}"
        self.data = os.path.join(work, "s3rver-data")
        self.log_path = os.path.join(work, "s3rver.log")
        os.makedirs(self.data)
        self.proc = None

    def __enter__(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [NODE, BIN, "-d", self.data, "-a", "127.0.0.1", "-p", str(self.port),
             "--key", self.key, "--cert", self.cert, "--no-vhost-buckets"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        ctx = ssl.create_default_context(cafile=self.ca_file)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"s3rver exited with {self.proc.returncode}; "
                                   f"see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as raw:
                    with ctx.wrap_socket(raw, server_hostname="localhost"):
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("s3rver did not start within 30 s")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()

    def client(self, endpoint=None, ca_file=None, secret=SECRET):
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=endpoint or self.endpoint, region_name=REGION,
                            aws_access_key_id=KEY, aws_secret_access_key=secret,
                            verify=ca_file or self.ca_file,
                            config=Config(s3={"addressing_style": "path"},
                                          retries={"max_attempts": 1},
                                          request_checksum_calculation="when_required",
                                          response_checksum_validation="when_required"))


def sha(data):
    return hashlib.sha256(data).hexdigest()


def main():
    work = tmpdir()
    try:
        with S3rver(work) as srv:
            sig = SigV4Check({KEY: SECRET}, REGION)
            with FaultProxy(work, srv.endpoint, upstream_ca=srv.ca_file, check=sig) as px:
                run_cases(work, srv, px, sig)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish()


def run_cases(work, srv, px, sig):
    direct = srv.client()

    # The check itself, with botocore as the client: good signatures pass, bad ones do not.
    good = srv.client(px.endpoint, px.ca_file)
    good.create_bucket(Bucket="control")
    good.put_object(Bucket="control", Key="a b/c+d=e", Body=b"hello")
    check(good.get_object(Bucket="control", Key="a b/c+d=e")["Body"].read() == b"hello",
          "botocore through the check: put/get pass")
    check(sig.passed >= 3 and not sig.rejected, "botocore's signatures verify",
          f"passed {sig.passed}, rejected {sig.rejected}")
    bad = srv.client(px.endpoint, px.ca_file, secret="not-the-secret")
    try:
        bad.list_objects_v2(Bucket="control")
        code = None
    except Exception as e:  # noqa: BLE001
        code = getattr(e, "response", {}).get("Error", {}).get("Code")
    check(code == "SignatureDoesNotMatch", "botocore with a wrong secret is refused", code)
    check(len(sig.rejected) == 1, "the check refused it (not s3rver)", sig.rejected)
    sig.rejected.clear()
    px.clear()
    passed0 = sig.passed

    cli = client(work, px.endpoint, px.ca_file, access_key=KEY, secret_key=SECRET,
                 extra="part_size = 5M\nmax_in_flight = 3\n")
    r = cli.mb("s3://lake")
    check(r.rc == 0, "mb s3://lake", r)
    check("lake" in [b["Name"] for b in direct.list_buckets()["Buckets"]], "bucket exists")

    rnd = random.Random(3)
    objects = {
        "data/small.bin": rnd.randbytes(70000),
        "data/odd name+plus=eq&amp~tilde.bin": rnd.randbytes(1234),
        "data/sub/empty": b"",
        "other/big.bin": rnd.randbytes(12 * MIB + 333),
    }
    for key, data in objects.items():
        path = os.path.join(work, "src-" + sha(key.encode())[:8])
        with open(path, "wb") as f:
            f.write(data)
        r = cli.put(path, f"s3://lake/{key}")
        check(r.rc == 0, f"put {key!r}", r)
        try:
            held = direct.get_object(Bucket="lake", Key=key)["Body"].read()
        except Exception as e:  # noqa: BLE001
            held = repr(e).encode()
        check(sha(held) == sha(data), f"put {key!r}: s3rver holds it byte-exact")
    n = len(px.records(method="PUT", path="^/lake/other/big.bin$"))
    check(n >= 3, "the 12 MiB object went up in parts", f"{n} part PUTs")

    for key, data in objects.items():
        r = cli.head(f"s3://lake/{key}")
        etag = direct.head_object(Bucket="lake", Key=key)["ETag"]
        fields = r.out.strip().split("\t")
        check(r.rc == 0 and fields[0] == str(len(data)), f"head {key!r}: size", r)
        check(r.rc == 0 and len(fields) == 2 and fields[1].strip('"') == etag.strip('"'),
              f"head {key!r}: etag {etag}", r)
        dst = os.path.join(work, "got")
        r = cli.get(f"s3://lake/{key}", dst)
        got = open(dst, "rb").read() if r.rc == 0 else b""
        check(r.rc == 0 and sha(got) == sha(data), f"get {key!r} byte-exact", r)
        if os.path.exists(dst):
            os.remove(dst)
    if is_floe():
        p = subprocess.run([FLOE, "s3", "-c", cli.conf, "get",
                            "s3://lake/data/small.bin", "-"], capture_output=True, timeout=60)
        check(p.returncode == 0 and p.stdout == objects["data/small.bin"],
              "get to stdout byte-exact", p.stderr[-500:])

    def listing(prefix):
        r = cli.ls(f"s3://lake/{prefix}")
        rows = sorted(tuple(line.split("\t")) for line in r.out.splitlines() if line)
        want = sorted((str(len(d)), k) for k, d in objects.items() if k.startswith(prefix))
        check(r.rc == 0 and rows == want, f"ls s3://lake/{prefix}", f"{r}\nwant {want}")

    listing("")
    listing("data/")
    listing("data/sub/")
    listing("other/b")
    listing("nothing/")

    r = cli.rm("s3://lake/data/small.bin", "s3://lake/data/sub/empty")
    check(r.rc == 0, "rm two keys", r)
    del objects["data/small.bin"], objects["data/sub/empty"]
    left = sorted(o["Key"] for o in direct.list_objects_v2(Bucket="lake").get("Contents", []))
    check(left == sorted(objects), "rm removed exactly those keys", left)
    listing("")

    check(sig.passed > passed0 and not sig.rejected, "every floe request's signature verified",
          f"passed {sig.passed - passed0}, rejected {sig.rejected}")
    forwarded = [x for x in px.records() if x["action"] == "forward"]
    check(len(forwarded) == sig.passed - passed0, "only verified requests reached s3rver")

    # A wrong secret key: refused by the check.
    wrong = client(work, px.endpoint, px.ca_file, access_key=KEY, secret_key="wrong-secret",
                   conf_name="wrong.conf")
    px.clear()
    r = wrong.ls("s3://lake/")
    check(r.rc == 1, "wrong secret: exit 1", r)
    check("SignatureDoesNotMatch" in r.err, "wrong secret: SignatureDoesNotMatch in the message",
          r)
    check(sig.rejected and not [x for x in px.records() if x["action"] == "forward"],
          "wrong secret: the check refused it and nothing reached s3rver", px.records())


if __name__ == "__main__":
    main()
