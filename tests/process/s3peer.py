"""s3peer — an S3 server for floe's tests: moto's server over TLS on loopback.

    with Moto(work) as s3:          # fresh CA + DNS:localhost certificate under work/
        s3.create_bucket("lake")    # public_read=True: unsigned GETs allowed too
        s3.endpoint                 # "https://localhost:<port>"
        s3.ca_file                  # the CA that signed the server certificate
        s3.env()                    # AWS_* variables for floe and for boto3/awscli
        s3.client()                 # a boto3 client of the same server (independent of floe)
        s3.config()                 # an [s3] section for a floe config

Credentials are fixed test values: moto accepts any key pair. The server listens on 127.0.0.1
only and is stopped (with its whole process group) when the block ends. Clients must connect
by the name "localhost": mbedTLS 2.28 matches DNS names only.
"""
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tlscerts import localhost_pair  # noqa: E402

ACCESS_KEY = "AKIDFLOETEST"
SECRET_KEY = "floe/test+secret=key"
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """moto.server over TLS (-c/-k) on a free loopback port."""

    def __init__(self, work, name="moto", log=None, alt=()):
        """alt: more DNS names for the server's certificate (e.g. "*.localhost" for
        virtual-hosted addressing)."""
        self.work = work
        self.ca_file, self.cert, self.key = localhost_pair(work, name, alt=alt)
        self.port = free_port()
        self.endpoint = f"https://localhost:{self.port}"
        self.log_path = log or os.path.join(work, name + ".log")
        self.proc = None

    def start(self, timeout=30):
        env = dict(os.environ)
        env.update(self.env())
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port),
             "-c", self.cert, "-k", self.key],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        ctx = ssl.create_default_context(cafile=self.ca_file)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as raw:
                    with ctx.wrap_socket(raw, server_hostname="localhost"):
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto did not start within {timeout} s; see {self.log_path}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def env(self):
        """Environment for floe, boto3 and awscli talking to this server."""
        return {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
                "AWS_CA_BUNDLE": self.ca_file, "AWS_ENDPOINT_URL": self.endpoint}

    def client(self):
        import boto3
        from botocore.config import Config
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                            verify=self.ca_file,
                            config=Config(s3={"addressing_style": "path"}))

    def create_bucket(self, bucket, public_read=False):
        """Creates bucket; public_read lets unsigned clients (the readers in
        tests/readers, which fetch plain HTTPS) get and list its objects: moto answers 403 to
        anonymous requests unless a bucket policy allows them. floe itself always signs."""
        c = self.client()
        c.create_bucket(Bucket=bucket)
        if public_read:
            c.put_bucket_policy(Bucket=bucket, Policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*",
                               "Action": ["s3:GetObject", "s3:ListBucket"],
                               "Resource": [f"arn:aws:s3:::{bucket}",
                                            f"arn:aws:s3:::{bucket}/*"]}]}))

    def config(self, extra=""):
        """An [s3] section for a floe config that reaches this server."""
        return ("[s3]\n"
                f"endpoint = {self.endpoint}\n"
                f"region = {REGION}\n"
                f"access_key_id = {ACCESS_KEY}\n"
                f"secret_access_key = {SECRET_KEY}\n"
                f"ca_file = {self.ca_file}\n"
                "path_style = true\n" + extra)


if __name__ == "__main__":
    # Self-check: python3 tests/process/s3peer.py
    import tempfile
    with Moto(tempfile.mkdtemp(prefix="floe-s3peer-")) as s3:
        s3.create_bucket("lake")
        c = s3.client()
        c.put_object(Bucket="lake", Key="a b/c", Body=b"hello")
        assert c.get_object(Bucket="lake", Key="a b/c")["Body"].read() == b"hello"
        print("moto over TLS at", s3.endpoint, "ok")
