"""test_botocore — floe's SigV4 signer against botocore's S3SigV4Auth, on random requests.

About 300 requests from a fixed seed: object keys with spaces, '=', '+', '%', '~', '//', '.',
'..', reserved characters and multi-byte UTF-8; empty and repeated query parameters; extra
headers in mixed case, with blanks to trim and collapse, some repeated; session tokens; long
secrets; regions, methods, hosts with ports, signing times from 1970 to 2099; hashed bodies and
UNSIGNED-PAYLOAD. Each is signed by botocore and by tests/s3sign/sign_driver.c (path in
FLOE_S3_SIGN_DRIVER); the Authorization values, the canonical requests and the request-targets
must be equal.

Like is compared with like: botocore's S3 signer leaves the path as given in the URL (it does
not normalise it), so the URL carries the path encoded here by urllib.parse.quote, independently
of floe, while floe gets the raw path. botocore signs every header on the request except a fixed
list (user-agent, expect, …), plus host, x-amz-date, x-amz-content-sha256 and, with a token,
x-amz-security-token — the same set floe signs when given the extra headers. No Date header is
generated, since botocore would then sign Date instead of X-Amz-Date.
"""
import datetime
import hashlib
import os
import random
import subprocess
import sys
from urllib.parse import quote

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import check, finish  # noqa: E402

try:
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
except ImportError as e:  # the machine's python3 carries botocore; without it this cannot run
    print(f"botocore is required: {e}", file=sys.stderr)
    sys.exit(1)

DRIVER = os.environ.get("FLOE_S3_SIGN_DRIVER") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "tests", "s3sign", "s3_sign_driver")
SEED = 20260406
COUNT = 300

KEY_PIECES = ["data", "a b", "x=y", "1+1", "100%", "~user", "//", "/./", "/../", ".", "..",
              "caf\u00e9", "\u65e5\u672c\u8a9e", "\U0001F600", "$file", "a&b", "q?", "#h", "!",
              "*", "'", "(1)", ",", ";", ":", "@", "[x]", "\t", "  ", "-_.", "part-00001.parquet",
              "metadata/v1.metadata.json", "dt=2026-01-01", "\u00a0", "\\", "^", "`", "{}", "|"]
QUERY_NAMES = ["prefix", "list-type", "continuation-token", "uploads", "uploadId", "partNumber",
               "delete", "max-keys", "start-after", "", "a b", "x/y", "k=v", "\u00e9", "~", "A",
               "a", "Z", "_"]
QUERY_VALUES = ["", "2", "warehouse/db/", "a b+c", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4=",
                "\u00e9t\u00e9", "%41", "~x~", "&=?", "\U0001F600", "  ", "10000"]
HEADER_NAMES = ["Range", "Content-Type", "Content-MD5", "If-None-Match", "If-Match",
                "Cache-Control", "Content-Disposition", "Content-Encoding", "x-amz-storage-class",
                "x-amz-acl", "x-amz-server-side-encryption", "x-amz-tagging",
                "x-amz-meta-{}", "X-Custom_Header.1~!", "x-amz-checksum-sha256"]
HEADER_VALUES = ["bytes=0-9", "application/octet-stream", "*", "\"abc\"", "  padded  ",
                 "a   b\t\tc", "\tx", "no-cache, no-store", "REDUCED_REDUNDANCY", "k1=v1&k2=v2",
                 "", "attachment; filename=\"a b.txt\"", "1B2M2Y8AsgTpgAmY7PhCfg=="]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1", "garage",
           "minio"]
HOSTS = [("https", "examplebucket.s3.amazonaws.com"), ("https", "s3.eu-west-1.amazonaws.com"),
         ("http", "localhost:9000"), ("http", "127.0.0.1:9000"), ("https", "minio.local:8443"),
         ("https", "s3.example.test:443"), ("http", "s3.example.test:80")]
METHODS = ["GET", "PUT", "POST", "HEAD", "DELETE"]
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def hexfield(s):
    if s is None:
        return "n"
    b = s.encode("utf-8") if isinstance(s, str) else s
    return "x" + b.hex()


def random_key(rng):
    return "".join(rng.choice(KEY_PIECES) for _ in range(rng.randint(1, 6)))


def random_request(rng, i):
    scheme, host = rng.choice(HOSTS)
    bucket = rng.choice(["examplebucket", "b", "my.bucket-1"])
    style = rng.random()
    if style < 0.1:
        path = "/"
    elif style < 0.55:
        path = f"/{bucket}/{random_key(rng)}"
    else:
        path = "/" + random_key(rng)
    params = []
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
        if params and rng.random() < 0.25:
            name = rng.choice(params)[0]  # a repeated name
        else:
            name = rng.choice(QUERY_NAMES)
        params.append((name, rng.choice(QUERY_VALUES)))
    headers = []
    for _ in range(rng.choice([0, 0, 1, 2, 4])):
        if headers and rng.random() < 0.2:
            name = headers[0][0].swapcase()  # the same header again, in another case
        else:
            name = rng.choice(HEADER_NAMES).format(rng.choice(["a", "Meta-Key", "x_1"]))
            name = "".join(c.upper() if rng.random() < 0.3 else c for c in name)
        headers.append((name, rng.choice(HEADER_VALUES)))
    secret = "".join(rng.choice(B64) for _ in range(rng.choice([40, 40, 40, 100])))
    akid = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(20))
    token = None
    if rng.random() < 0.3:
        token = "".join(rng.choice(B64) for _ in range(rng.randint(20, 400)))
    when = datetime.datetime(1970, 1, 1) + datetime.timedelta(
        seconds=rng.randint(0, 4102444799))  # up to 2099-12-31T23:59:59Z
    unsigned = scheme == "https" and rng.random() < 0.3
    body = b""
    if rng.random() < 0.6:
        body = bytes(rng.getrandbits(8) for _ in range(rng.choice([1, 64, 1000, 5000])))
    return {
        "i": i, "method": rng.choice(METHODS), "scheme": scheme, "host": host, "path": path,
        "params": params, "headers": headers, "akid": akid, "secret": secret, "token": token,
        "region": rng.choice(REGIONS), "when": when, "use_time_t": rng.random() < 0.5,
        "unsigned": unsigned, "body": body,
    }


class CapturingS3SigV4Auth(botocore.auth.S3SigV4Auth):
    """botocore's S3 signer, keeping the canonical request it signed."""

    def canonical_request(self, request):
        self.last_canonical = super().canonical_request(request)
        return self.last_canonical


def sign_botocore(r):
    url = f"{r['scheme']}://{r['host']}{quote(r['path'], safe='/~')}"
    req = AWSRequest(method=r["method"], url=url, data=r["body"], params=list(r["params"]))
    for name, value in r["headers"]:
        req.headers[name] = value  # HTTPMessage: a repeated name adds a value
    req.context["client_config"] = Config(s3={"payload_signing_enabled": not r["unsigned"]})
    creds = Credentials(r["akid"], r["secret"], r["token"])
    auth = CapturingS3SigV4Auth(creds, "s3", r["region"])
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda *a, **k: r["when"]
    try:
        auth.add_auth(req)
    finally:
        botocore.auth.get_current_datetime = original
    query = auth.canonical_query_string(req) if r["params"] else ""
    target = quote(r["path"], safe="/~") + ("?" + query if query else "")
    host = botocore.auth._host_from_url(url)
    return req.headers["Authorization"], auth.last_canonical, target, host, \
        req.headers["X-Amz-Date"], req.headers["X-Amz-Content-SHA256"]


def driver_line(r, host):
    if r["use_time_t"]:
        when = "t%d" % (r["when"] - datetime.datetime(1970, 1, 1)).total_seconds()
    else:
        when = "d" + r["when"].strftime("%Y%m%dT%H%M%SZ")
    if r["unsigned"]:
        payload = "u"
    elif not r["body"] and r["i"] % 2 == 0:
        payload = "e"
    else:
        payload = hexfield(r["body"])
    fields = [hexfield(r["method"]), hexfield(host), hexfield(r["path"]), when,
              hexfield(r["region"]), hexfield("s3" if r["i"] % 3 else None), hexfield(r["akid"]),
              hexfield(r["secret"]), hexfield(r["token"] if r["token"] or r["i"] % 2 else ""),
              payload, str(len(r["params"]))]
    for name, value in r["params"]:
        fields += [hexfield(name), hexfield(value)]
    fields.append(str(len(r["headers"])))
    for name, value in r["headers"]:
        fields += [hexfield(name), hexfield(value)]
    return " ".join(fields)


def main():
    rng = random.Random(SEED)
    requests = [random_request(rng, i) for i in range(COUNT)]
    expected = [sign_botocore(r) for r in requests]
    lines = [driver_line(r, e[3]) for r, e in zip(requests, expected)]
    p = subprocess.run([DRIVER], input="\n".join(lines) + "\n", capture_output=True, text=True,
                       timeout=120)
    check(p.returncode == 0, "the driver read every request", p.stderr.strip())
    got = p.stdout.splitlines()
    check(len(got) == COUNT, f"the driver answered {COUNT} requests", f"got {len(got)}")

    mismatches = 0
    for r, e, line in zip(requests, expected, got):
        parts = line.split("\t")
        if parts[0] != "ok" or len(parts) != 5:
            ok, detail = False, f"driver: {line}"
        else:
            canon = bytes.fromhex(parts[3]).decode("utf-8")
            ok = parts[1] == e[0] and canon == e[1] and parts[2] == e[2] and parts[4] == e[4]
            detail = (f"authorization\n      floe     {parts[1]}\n      botocore {e[0]}\n"
                      f"    target\n      floe     {parts[2]}\n      botocore {e[2]}\n"
                      f"    canonical request (floe)\n{canon}\n"
                      f"    canonical request (botocore)\n{e[1]}")
        if not ok:
            mismatches += 1
            if mismatches == 1:  # the first difference in full; the count says the rest
                req = {k: r[k] for k in ("method", "host", "path", "params", "headers",
                                         "region", "unsigned", "when")}
                check(False, f"request {r['i']} signs the same", f"{req}\n    {detail}")
    check(mismatches == 0, "every request signs the same as botocore",
          f"{mismatches} of {COUNT} differ")

    # The mix covered what it is meant to cover.
    check(sum(1 for r in requests if r["token"]) >= 30, "some requests carry session tokens")
    check(sum(1 for r in requests if r["unsigned"]) >= 20, "some payloads are unsigned")
    check(sum(1 for r in requests if len({n for n, _ in r["params"]}) < len(r["params"])) >= 10,
          "some query names repeat")
    check(sum(1 for r in requests if any(ord(c) > 127 for c in r["path"])) >= 30,
          "some keys are not ASCII")
    check(sum(1 for e in expected if e[5] not in ("UNSIGNED-PAYLOAD",
                                                  hashlib.sha256(b"").hexdigest())) >= 100,
          "most bodies are hashed")
    finish()


if __name__ == "__main__":
    main()
