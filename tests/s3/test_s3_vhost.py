"""test_s3_vhost — `floe s3` with virtual-hosted addressing (s3.path_style = false) against moto
over TLS, every result checked with boto3 (path-style, so the two clients address the bucket
differently and agree only if floe's requests reached the right bucket).

floe sends a request for bucket `lake` to the host `lake.localhost`: it looks the name up as
the loopback (RFC 6761: names under localhost are the loopback; glibc does not resolve them),
and keeps it for SNI, the certificate check and the Host header, from which moto takes the
bucket. Covers put (small and multipart), get, head, ls, rm and a conditional put; moto's
request log shows the paths without the bucket (so path-style was not used); and a server
certificate without `*.localhost` is refused with the bucket's host name in the error, so the
certificate is checked against the virtual host, not the endpoint.
"""
import hashlib
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "process"))
from floetest import FLOE, check, finish, tmpdir  # noqa: E402
from s3peer import Moto  # noqa: E402
from test_s3_moto import floe_s3, write  # noqa: E402


def vhost_config(s3):
    return s3.config().replace("path_style = true", "path_style = false") + "part_size = 5M\n"


def main():
    work = tmpdir()
    with Moto(work, alt=("*.localhost",)) as s3:
        s3.create_bucket("lake")
        b3 = s3.client()
        conf = write(os.path.join(work, "vhost.conf"), vhost_config(s3))

        small = os.urandom(70000)
        big = os.urandom(12 * 1024 * 1024 + 12345)  # three parts of 5M
        for name, data in (("small.bin", small), ("dir/big file.bin", big)):
            local = os.path.join(work, name.replace("/", "_"))
            with open(local, "wb") as f:
                f.write(data)
            rc, _, err = floe_s3(work, conf, "put", local, f"s3://lake/{name}")
            check(rc == 0, f"put {name!r} virtual-hosted", err)
            got = b3.get_object(Bucket="lake", Key=name)["Body"].read()
            check(hashlib.sha256(got).digest() == hashlib.sha256(data).digest(),
                  f"boto3 (path-style) reads {name!r} back byte-exact")
        etag = b3.head_object(Bucket="lake", Key="dir/big file.bin")["ETag"]
        check(etag.strip('"').endswith("-3"), "the 12 MiB object was a 3-part upload", etag)

        out = os.path.join(work, "out.bin")
        rc, _, err = floe_s3(work, conf, "get", "s3://lake/dir/big file.bin", out)
        check(rc == 0 and open(out, "rb").read() == big, "get byte-exact", err)
        rc, o, err = floe_s3(work, conf, "head", "s3://lake/small.bin")
        check(rc == 0 and o.decode().startswith(f"{len(small)}\t"), "head", f"{o!r} {err}")
        rc, o, err = floe_s3(work, conf, "ls", "s3://lake/")
        keys = [ln.split("\t", 1)[1] for ln in o.decode().splitlines()]
        check(rc == 0 and keys == ["dir/big file.bin", "small.bin"], "ls", f"{keys!r} {err}")
        rc, _, err = floe_s3(work, conf, "put", out, "s3://lake/small.bin", "--if-none-match")
        check(rc == 3 and "exists" in err, "conditional put on an existing key exits 3",
              f"rc={rc} {err}")
        rc, _, err = floe_s3(work, conf, "rm", "s3://lake/small.bin")
        check(rc == 0, "rm", err)
        left = [o["Key"] for o in b3.list_objects_v2(Bucket="lake").get("Contents", [])]
        check(left == ["dir/big file.bin"], "rm removed it (boto3 lists the rest)", f"{left!r}")

        # moto (werkzeug) logs each request's path: virtual-hosted ones carry no bucket (boto3's
        # own requests, path-style, are in the same log with /lake/ paths).
        with open(s3.log_path, errors="replace") as f:
            log = f.read()
        for what, pattern in (("PUT /small.bin", r'"PUT /small\.bin HTTP'),
                              ("the multipart upload's start",
                               r'"POST /dir/big%20file\.bin\?uploads'),
                              ("ListObjectsV2 on /", r'"GET /\?[^"]*list-type=2'),
                              ("DELETE of the bucket's objects", r'"POST /\?delete')):
            check(re.search(pattern, log) is not None,
                  f"moto saw {what} with the bucket in the host, not the path")

    # A certificate for localhost alone: the virtual host lake.localhost must be refused.
    with Moto(work, name="moto-plain") as s3:
        s3.create_bucket("lake")
        conf = write(os.path.join(work, "plain.conf"), vhost_config(s3))
        local = write(os.path.join(work, "x.txt"), "x")
        rc, _, err = floe_s3(work, conf, "put", local, "s3://lake/x.txt")
        check(rc != 0, "a certificate without the bucket's host name is refused", err)
        check("lake.localhost" in err, "and the error names the host it was checked against",
              err[-400:])
    finish()


if __name__ == "__main__":
    main()
