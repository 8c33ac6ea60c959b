"""s3clients — the S3 client under test, behind one interface: `floe s3` or the AWS CLI.

The S3 peer tests drive a client through put/get/head/ls/rm/mb and read back an exit status
with floe's contract: 0 ok, 1 failure (stderr carries S3's error Code), 2 usage, 3
precondition failed. FloeS3 runs `floe s3 -c CONF ...` ($FLOE); AwsS3 runs the AWS CLI
(`python3 -m awscli`) with the same meaning, so the test servers, the fault proxy and the
checks can be shown to work with a client other than floe's (FLOE_S3_CLIENT=aws).

    cli = client(work, endpoint, ca_file, extra="request_timeout = 2s\\n")
    r = cli.put(path, "s3://lake/k")   # Result: rc, out, err, ticks (floe only), counters
"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "process"))
from floetest import FLOE, check  # noqa: E402
from s3peer import ACCESS_KEY, REGION, SECRET_KEY  # noqa: E402

MIB = 1024 * 1024
TIMEOUT = 120
SANITIZER = re.compile(r"ERROR: (Address|Leak)Sanitizer|runtime error: ")


class Result:
    def __init__(self, rc, out, err):
        self.rc = rc
        self.out = out
        self.err = err
        self.counters = {}
        for line in err.splitlines():
            if "ticks=" in line:
                self.counters = dict(re.findall(r'([a-z_]+)=("[^"]*"|\S+)', line))
        t = self.counters.get("ticks")
        self.ticks = int(t) if t and t.isdigit() else None

    def __repr__(self):
        return f"rc={self.rc} out={self.out[-500:]!r} err={self.err[-1500:]!r}"


class FloeS3:
    """`floe s3` with a config holding only an [s3] section."""

    name = "floe"

    def __init__(self, work, endpoint, ca_file, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                 extra="", conf_name="floe-s3.conf"):
        self.conf = os.path.join(work, conf_name)
        with open(self.conf, "w") as f:
            f.write("[s3]\n"
                    f"endpoint = {endpoint}\n"
                    f"region = {REGION}\n"
                    f"access_key_id = {access_key}\n"
                    f"secret_access_key = {secret_key}\n"
                    + (f"ca_file = {ca_file}\n" if ca_file else "")
                    + "path_style = true\n" + extra)

    def run(self, *args, timeout=TIMEOUT):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        p = subprocess.run([FLOE, "s3", "-c", self.conf] + list(args), capture_output=True,
                           text=True, timeout=timeout, env=env)
        # Under sanitizers a report on an expected failure would otherwise go unseen.
        check(not SANITIZER.search(p.stderr), f"floe s3 {args[0]}: no sanitizer report",
              p.stderr[-3000:])
        return Result(p.returncode, p.stdout, p.stderr)

    def put(self, local, url, if_none_match=False):
        return self.run("put", local, url, *(["--if-none-match"] if if_none_match else []))

    def get(self, url, local):
        return self.run("get", url, local)

    def head(self, url):
        return self.run("head", url)

    def ls(self, url):
        return self.run("ls", url)

    def rm(self, *urls):
        return self.run("rm", *urls)

    def mb(self, url):
        return self.run("mb", url)


def _split(url):
    m = re.match(r"^s3://([^/]+)/?(.*)$", url)
    return m.group(1), m.group(2)


class AwsS3:
    """The AWS CLI (awscli 1.x), answering with floe's exit statuses and output formats."""

    name = "aws"

    def __init__(self, work, endpoint, ca_file, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                 extra="", conf_name="aws.conf"):
        self.endpoint = endpoint
        opts = dict(re.findall(r"^(\w+)\s*=\s*(.*?)\s*$", extra, re.M))
        self.read_timeout = opts.get("request_timeout", "30").rstrip("s")
        part = opts.get("part_size", "5M").replace("M", "MB")
        self.config = os.path.join(work, conf_name)
        with open(self.config, "w") as f:
            # Checksums only where required: botocore's default sends aws-chunked bodies with
            # trailing checksums, which s3rver stores undecoded.
            f.write("[default]\nretry_mode = standard\nmax_attempts = 5\n"
                    "request_checksum_calculation = when_required\n"
                    "response_checksum_validation = when_required\n"
                    f"s3 =\n  addressing_style = path\n  multipart_threshold = {part}\n"
                    f"  multipart_chunksize = {part}\n  max_concurrent_requests = 4\n")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update({"AWS_ACCESS_KEY_ID": access_key, "AWS_SECRET_ACCESS_KEY": secret_key,
                         "AWS_DEFAULT_REGION": REGION, "AWS_CONFIG_FILE": self.config,
                         "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
        if opts.get("verify", "true") == "false":
            self.verify = ["--no-verify-ssl"]
        else:
            self.verify = []
            if ca_file:
                self.env["AWS_CA_BUNDLE"] = ca_file

    def _aws(self, *args, timeout=TIMEOUT):
        p = subprocess.run([sys.executable, "-m", "awscli", "--endpoint-url", self.endpoint,
                            "--cli-read-timeout", self.read_timeout,
                            "--cli-connect-timeout", "5"] + self.verify + list(args),
                           capture_output=True, text=True, timeout=timeout, env=self.env)
        rc = p.returncode
        if rc != 0:
            rc = 3 if "(PreconditionFailed)" in p.stderr else 1
        return Result(rc, p.stdout, p.stderr)

    def put(self, local, url, if_none_match=False):
        if if_none_match:
            b, k = _split(url)
            return self._aws("s3api", "put-object", "--bucket", b, "--key", k, "--body", local,
                             "--if-none-match", "*")
        return self._aws("s3", "cp", "--only-show-errors", local, url)

    def get(self, url, local):
        return self._aws("s3", "cp", "--only-show-errors", url, local)

    def head(self, url):
        b, k = _split(url)
        r = self._aws("s3api", "head-object", "--bucket", b, "--key", k)
        if r.rc == 0:
            h = json.loads(r.out)
            r.out = f"{h['ContentLength']}\t{h['ETag']}\n"
        return r

    def ls(self, url):
        b, prefix = _split(url)
        r = self._aws("s3api", "list-objects-v2", "--bucket", b, "--prefix", prefix)
        if r.rc == 0:
            items = json.loads(r.out).get("Contents", []) if r.out.strip() else []
            r.out = "".join(f"{o['Size']}\t{o['Key']}\n" for o in items)
        return r

    def rm(self, *urls):
        r = None
        for url in urls:
            b, k = _split(url)
            r = self._aws("s3api", "delete-object", "--bucket", b, "--key", k)
            if r.rc != 0:
                return r
        return r

    def mb(self, url):
        b, _ = _split(url)
        return self._aws("s3api", "create-bucket", "--bucket", b)


def client(work, endpoint, ca_file, **kw):
    """The client FLOE_S3_CLIENT names ("floe", the default, or "aws")."""
    kind = os.environ.get("FLOE_S3_CLIENT", "floe")
    return {"floe": FloeS3, "aws": AwsS3}[kind](work, endpoint, ca_file, **kw)


def is_floe():
    return os.environ.get("FLOE_S3_CLIENT", "floe") == "floe"
