"""test_s3_moto — `floe s3` against moto over TLS (tests/process/s3peer.py), every result
checked with boto3, never with floe itself.

Covers: put/get/head/ls/rm round trips byte-exact with keys holding spaces, '=', '+', '%' and
unicode; ListObjectsV2 pagination (1,100 objects) and DeleteObjects in batches; conditional
PUT (exit 3, first object kept); a 40 MiB multipart upload with part_size 5M and its "-N"
ETag; credentials from the environment only, with a session token, and from --env-file; a
wrong CA file, and verify=false with its warning; NoSuchBucket / NoSuchKey / 403
InvalidAccessKeyId reported with S3's Code and not retried; the closing counters line; usage
errors.
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
from tlscerts import localhost_pair  # noqa: E402

KEYS = ["plain.txt", "dir/a b.txt", "x=1+2%3.bin", "ünïcödé/ключ 名前.txt", "a+b/c d=e%25f",
        "tilde~and(paren)!*'.dat"]


def floe_s3(work, conf, *args, env=None, stdin=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    if env:
        e.update(env)
    p = subprocess.run([FLOE, "s3", "-c", conf] + list(args), capture_output=True,
                       timeout=300, env=e, cwd=work, input=stdin)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def done_line(err):
    m = [ln for ln in err.splitlines() if 'msg="done"' in ln]
    return m[-1] if m else ""


def main():
    work = tmpdir()
    with Moto(work) as s3:
        s3.create_bucket("lake")
        b3 = s3.client()
        conf = write(os.path.join(work, "s3.conf"), s3.config())

        # ---- round trips, keys that need encoding ------------------------------------------
        bodies = {}
        for i, key in enumerate(KEYS):
            data = os.urandom(1000 + 7919 * i) if i != 0 else b""
            local = os.path.join(work, f"in{i}")
            with open(local, "wb") as f:
                f.write(data)
            bodies[key] = data
            rc, _, err = floe_s3(work, conf, "put", local, f"s3://lake/{key}")
            check(rc == 0, f"put {key!r}", err)
            got = b3.get_object(Bucket="lake", Key=key)["Body"].read()
            check(got == data, f"boto3 reads {key!r} back byte-exact")
        for i, key in enumerate(KEYS):
            out = os.path.join(work, f"out{i}")
            rc, _, err = floe_s3(work, conf, "get", f"s3://lake/{key}", out)
            check(rc == 0, f"get {key!r}", err)
            check(os.path.exists(out) and open(out, "rb").read() == bodies[key],
                  f"get {key!r} byte-exact")
            rc, out, err = floe_s3(work, conf, "head", f"s3://lake/{key}")
            h = b3.head_object(Bucket="lake", Key=key)
            check(rc == 0 and out.decode() == f"{h['ContentLength']}\t{h['ETag']}\n",
                  f"head {key!r} matches boto3", f"{out!r} vs {h['ContentLength']} {h['ETag']}")
            md5 = hashlib.md5(bodies[key]).hexdigest()
            check(h["ETag"].strip('"') == md5, f"ETag of {key!r} is the MD5 of the body")
        rc, out, err = floe_s3(work, conf, "get", f"s3://lake/{KEYS[1]}", "-")
        check(rc == 0 and out == bodies[KEYS[1]], "get to stdout", err)
        rc, out, err = floe_s3(work, conf, "ls", "s3://lake/")
        listed = [ln.split("\t", 1) for ln in out.decode().splitlines()]
        want = sorted(KEYS, key=lambda k: k.encode())
        check(rc == 0 and [k for _, k in listed] == want, "ls lists every key in S3's order",
              f"{listed!r}")
        check(all(int(s) == len(bodies[k]) for s, k in listed), "ls sizes")
        rc, out, err = floe_s3(work, conf, "ls", "s3://lake/dir/")
        check(rc == 0 and out.decode() == f"{len(bodies['dir/a b.txt'])}\tdir/a b.txt\n",
              "ls with a prefix", out)
        line = done_line(err)
        check(re.search(r"requests=\d+ retries=0 connections=\d+ .*ticks=\d+", line) is not None,
              "the closing line counts requests, retries, connections and ticks", line)

        # ---- conditional PUT ----------------------------------------------------------------
        other = write(os.path.join(work, "other"), "second writer")
        rc, _, err = floe_s3(work, conf, "put", other, "s3://lake/plain.txt", "--if-none-match")
        check(rc == 3, "put --if-none-match on an existing key exits 3", f"rc={rc} {err}")
        check("PreconditionFailed" in err, "and says PreconditionFailed", err)
        check(b3.get_object(Bucket="lake", Key="plain.txt")["Body"].read() == bodies["plain.txt"],
              "the first object is left as it was")
        rc, _, err = floe_s3(work, conf, "put", other, "s3://lake/fresh", "--if-none-match")
        check(rc == 0, "put --if-none-match on a new key", err)
        check(b3.get_object(Bucket="lake", Key="fresh")["Body"].read() == b"second writer",
              "the new object holds what was sent")

        # ---- rm -------------------------------------------------------------------------------
        rc, _, err = floe_s3(work, conf, "rm", "s3://lake/dir/a b.txt", "s3://lake/x=1+2%3.bin",
                             "s3://lake/never-existed")
        check(rc == 0, "rm of two keys and a missing one", err)
        left = {o["Key"] for o in b3.list_objects_v2(Bucket="lake").get("Contents", [])}
        check("dir/a b.txt" not in left and "x=1+2%3.bin" not in left and "plain.txt" in left,
              "rm removed exactly those keys", f"{left!r}")

        # ---- pagination and batched deletes: 1,100 objects -----------------------------------
        many = [f"many/{i:05d} k=v+{i}" for i in range(1100)]
        for k in many:
            b3.put_object(Bucket="lake", Key=k, Body=k.encode())
        rc, out, err = floe_s3(work, conf, "ls", "s3://lake/many/")
        got = [ln.split("\t", 1)[1] for ln in out.decode().splitlines()]
        check(rc == 0 and got == many, "ls pages through 1,100 objects",
              f"rc={rc} got {len(got)} {err[-300:]}")
        check(re.search(r"requests=2 ", done_line(err)) is not None, "in two ListObjectsV2 pages",
              done_line(err))
        rc, _, err = floe_s3(work, conf, "rm", *[f"s3://lake/{k}" for k in many])
        check(rc == 0, "rm of 1,100 keys", err[-300:])
        check(re.search(r"requests=2 ", done_line(err)) is not None,
              "in two DeleteObjects batches", done_line(err))
        left = b3.list_objects_v2(Bucket="lake", Prefix="many/").get("KeyCount", -1)
        check(left == 0, "every one of them is gone", f"{left} left")

        # ---- multipart -------------------------------------------------------------------------
        mconf = write(os.path.join(work, "mp.conf"), s3.config("part_size = 5M\n"))
        big = os.path.join(work, "big")
        data = os.urandom(40 << 20)
        with open(big, "wb") as f:
            f.write(data)
        rc, _, err = floe_s3(work, mconf, "put", big, "s3://lake/big/object.bin")
        check(rc == 0, "multipart put of 40 MiB", err[-500:])
        o = b3.get_object(Bucket="lake", Key="big/object.bin")
        check(o["Body"].read() == data, "boto3 reads the multipart object back byte-exact")
        parts = [hashlib.md5(data[i:i + (5 << 20)]).digest() for i in range(0, len(data), 5 << 20)]
        want_etag = f'"{hashlib.md5(b"".join(parts)).hexdigest()}-{len(parts)}"'
        check(o["ETag"] == want_etag, "its ETag is the MD5 of the part MD5s, -8",
              f"{o['ETag']} vs {want_etag}")
        check(re.search(r"requests=10 ", done_line(err)) is not None,
              "create + 8 parts + complete", done_line(err))
        uploads = b3.list_multipart_uploads(Bucket="lake").get("Uploads", [])
        check(uploads == [], "no multipart upload is left open", f"{uploads!r}")
        rc, _, err = floe_s3(work, mconf, "put", big, "s3://lake/big/object.bin",
                             "--if-none-match")
        check(rc == 3, "a multipart-sized put --if-none-match on an existing key exits 3", err)
        out = os.path.join(work, "big.out")
        rc, _, err = floe_s3(work, mconf, "get", "s3://lake/big/object.bin", out)
        check(rc == 0 and open(out, "rb").read() == data, "get of the 40 MiB object", err[-300:])

        # ---- credentials from the environment only, with a session token --------------------
        econf = write(os.path.join(work, "env.conf"),
                      f"[s3]\nendpoint = {s3.endpoint}\nca_file = {s3.ca_file}\n"
                      "path_style = true\n")
        env = s3.env()
        env["AWS_SESSION_TOKEN"] = "FwoGZXIvYXdzEXAMPLETOKEN+/="
        rc, _, err = floe_s3(work, econf, "put", other, "s3://lake/from-env", env=env)
        check(rc == 0, "credentials and region from AWS_* only, session token sent", err)
        check(b3.get_object(Bucket="lake", Key="from-env")["Body"].read() == b"second writer",
              "the object written with environment credentials")
        rc, _, err = floe_s3(work, econf, "ls", "s3://lake/")
        check(rc == 1 and "AWS_ACCESS_KEY_ID" in err, "no credentials anywhere: a clear error",
              err)
        envfile = write(os.path.join(work, "creds.env"),
                        "AWS_ACCESS_KEY_ID=AKIDFROMFILE\nAWS_SECRET_ACCESS_KEY='file secret'\n")
        rc, out, err = floe_s3(work, econf, "--env-file", envfile, "head", "s3://lake/from-env")
        check(rc == 0 and out.startswith(b"13\t"), "credentials from --env-file", err)
        check("file secret" not in err and "FwoGZXIv" not in err, "secrets are never printed")

        # ---- certificates --------------------------------------------------------------------
        wrong_ca, _, _ = localhost_pair(work, "stranger")
        wconf = write(os.path.join(work, "wrong-ca.conf"),
                      s3.config().replace(s3.ca_file, wrong_ca))
        rc, _, err = floe_s3(work, wconf, "ls", "s3://lake/")
        check(rc == 1 and "certificate" in err, "a wrong CA file: the server is refused", err)
        nconf = write(os.path.join(work, "noverify.conf"),
                      s3.config("verify = false\n").replace(s3.ca_file, wrong_ca))
        rc, out, err = floe_s3(work, nconf, "ls", "s3://lake/plain")
        check(rc == 0 and out == b"0\tplain.txt\n", "verify = false connects anyway", err)
        check(re.search(r"level=warn module=s3 msg=\"TLS certificate verification is off", err)
              is not None, "and warns that it does", err)

        # ---- errors S3 reports -----------------------------------------------------------------
        rc, _, err = floe_s3(work, conf, "ls", "s3://no-such-bucket/")
        check(rc == 1 and "NoSuchBucket" in err, "NoSuchBucket reported with S3's Code", err)
        rc, _, err = floe_s3(work, conf, "get", "s3://lake/missing", os.path.join(work, "m"))
        check(rc == 1 and "NoSuchKey" in err, "NoSuchKey reported with S3's Code", err)
        check(not os.path.exists(os.path.join(work, "m")) and
              not os.path.exists(os.path.join(work, "m.floe-part")),
              "a failed get leaves no file behind")
        rc, _, err = floe_s3(work, conf, "put", other, "s3://no-such-bucket/k")
        check(rc == 1 and "NoSuchBucket" in err, "put into a missing bucket", err)
        check("retrying" not in err, "a 404 is not retried", err)

        # ---- mb ------------------------------------------------------------------------------
        rc, _, err = floe_s3(work, conf, "mb", "s3://fresh-bucket")
        check(rc == 0, "mb", err)
        b3.head_bucket(Bucket="fresh-bucket")
        check(True, "boto3 sees the new bucket")
        rc, _, err = floe_s3(work, conf, "mb", "s3://fresh-bucket")
        check(rc == 0, "mb of a bucket we own already", err)

        # ---- usage -----------------------------------------------------------------------------
        for args in (["get", "s3://lake/x"], ["put", "a", "lake/x"], ["frobnicate"],
                     ["ls", "s3://lake/", "--if-none-match"], ["head", "s3://Bad_Bucket/x"]):
            rc, _, err = floe_s3(work, conf, *args)
            check(rc == 2, f"usage error for {args}", f"rc={rc} {err}")

    # ---- 403: moto with authentication on, which knows no access key ----------------------
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    try:
        with Moto(work, name="authmoto") as s3:
            aconf = write(os.path.join(work, "auth.conf"), s3.config())
            rc, _, err = floe_s3(work, aconf, "ls", "s3://lake/")
            check(rc == 1 and "403 InvalidAccessKeyId" in err,
                  "a 403 is reported with S3's Code", err)
            check("retrying" not in err, "and not retried", err)
    finally:
        del os.environ["INITIAL_NO_AUTH_ACTION_COUNT"]
    finish()


if __name__ == "__main__":
    main()
