"""test_s3_table — an s3:// warehouse end to end: `floe table create`, several `floe import`
runs (a restart between each, several commits per run) of the generated users stream of
tests/table/test_upsert.py, `floe table show/snapshots/expire`, all against moto over TLS; the
table read back by icebird and by the spec's scan rules through HTTPS from moto
(tests/readers/check-iceberg.mjs --s3-endpoint, unsigned GETs that a bucket policy allows) and
compared with the latest valid version of
every key; the objects checked with boto3. Then a lost race: an import holds version N while a
second import commits N+1, so its next commit gets 412 on v<N+1>.metadata.json, rebases, and
lands; the final table holds both writers' rows exactly.

Exits 77 (skipped) when the floe under test has no S3 client.
"""
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "process"))
from floetest import FLOE, check, finish, tmpdir  # noqa: E402
from s3peer import Moto  # noqa: E402

CHECKER = os.path.join(HERE, "..", "readers", "check-iceberg.mjs")
BUCKET = "lake"
SKIP = 77


def load_upsert_model():
    """The stream generator and reference model of tests/table/test_upsert.py: that file is a
    script, so its definitions (everything before its first scenario) are run here as a
    module of their own."""
    path = os.path.join(HERE, "..", "table", "test_upsert.py")
    with open(path, encoding="utf-8") as f:
        source = f.read()
    marker = "\n# 1. "
    if marker not in source:
        raise RuntimeError(f"{path}: no '# 1.' scenario marker to stop before")
    ns = {"__file__": path, "__name__": "test_upsert_model"}
    exec(compile(source[:source.index(marker)], path, "exec"), ns)
    return ns


model = load_upsert_model()
Stream, write, stat, COLS = model["Stream"], model["write"], model["stat"], model["COLS"]


# bucket(4, id) rather than the users table's day × bucket spec: the partition rules are
# tested on local warehouses (tests/table); here every object costs a TLS round trip to moto,
# which closes its connections after each response, so a commit writes at most 8 files.
def conf(work, s3, name, state, flush_rows=100):
    path = os.path.join(work, f"{name}-{os.path.basename(state)}.conf")
    with open(path, "w") as f:
        f.write(f"""[kafka]
topic = users
[table]
warehouse = s3://{BUCKET}/wh
namespace = db
name = {name}
schema = id long required, name string, email string, signup_ts timestamptz, age int
partition = bucket(4, id)
key = id
version = signup_ts
[validate]
age = min 0, max 150
[dedup]
memory = 1M
[limits]
memory = 16M
flush_rows = {flush_rows}
[agent]
state_dir = {state}
""" + s3.config())
    return path


def floe(env, *args, stdin=None):
    p = subprocess.run([FLOE] + list(args), capture_output=True, text=True, timeout=300,
                       env=env, input=stdin)
    return p.returncode, p.stdout, p.stderr


def readers_agree(work, s3, env, name, what, rows):
    exp = os.path.join(work, f"expected-{name}.json")
    with open(exp, "w") as f:
        json.dump({"columns": COLS, "rows": rows}, f)
    node_env = dict(env, NODE_EXTRA_CA_CERTS=s3.ca_file)
    p = subprocess.run(["node", CHECKER, f"s3://{BUCKET}/wh/db/{name}", exp, "--s3-endpoint",
                        s3.endpoint], capture_output=True, text=True, timeout=300, env=node_env)
    return check(p.returncode == 0 and "rows by the spec's rules" in p.stdout,
                 f"{what}: icebird and the spec's scan rules, through HTTPS from moto, read the "
                 "latest version of every key", (p.stdout + p.stderr)[-3000:])


def keys(client, prefix):
    out = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"]] = o["Size"]
    return out


def body(client, key):
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def main():
    work = tmpdir()
    with Moto(work) as s3:
        s3.create_bucket(BUCKET, public_read=True)  # the readers fetch unsigned
        env = dict(os.environ)
        env.update(s3.env())
        client = s3.client()
        state = os.path.join(work, "state")
        c = conf(work, s3, "users", state)

        # 1. Create.
        rc, out, err = floe(env, "table", "create", "-c", c)
        if rc != 0 and "S3 client" in err:
            print(f"SKIP: this floe has no S3 client ({err.strip()})")
            sys.exit(SKIP)
        check(rc == 0 and "created" in out and f"s3://{BUCKET}/wh/db/users" in out,
              "floe table create makes the table on S3", out + err)
        check(body(client, "wh/db/users/metadata/version-hint.text") == b"1",
              "the version hint is written as the bare number", "")

        # 2. Three imports (a restart between each) of one stream, several commits each.
        s = Stream(keys=300)
        for run in range(3):
            before, n_invalid = s.stale, len(s.invalid)
            path = write(work, f"part{run}.ndjson", s.lines(1500))
            rc, out, err = floe(env, "import", "-c", c, path)
            check(rc == 2, f"import {run}: exits 2 (some records rejected)", out + err)
            check(stat(out, "stale") == s.stale - before,
                  f"import {run}: stale versions dropped and counted", out + err)
            check(stat(out, "rejected") == len(s.invalid) - n_invalid,
                  f"import {run}: invalid records rejected", out)
            check((stat(out, "commits") or 0) >= 3, f"import {run}: several commits", out)
            # Reading every file back through moto is the slow part: once after the first
            # import and once after the last (restarts in between).
            if run in (0, 2):
                readers_agree(work, s3, env, "users", f"after import {run}", s.rows())
        check(os.path.exists(os.path.join(state, "dedup-db.users.state")),
              "the dedup state stays local, in agent.state_dir")
        spool = os.path.join(state, "tmp")
        check(not os.path.isdir(spool) or not os.listdir(spool),
              "no spooled upload is left in agent.state_dir/tmp", str(os.listdir(spool))
              if os.path.isdir(spool) else "")

        # 3. show and snapshots speak of S3 locations.
        rc, out, err = floe(env, "table", "show", "-c", c)
        m = re.search(r"^metadata\s+(\S+)$", out, re.M)
        check(rc == 0 and re.search(rf"^location\s+s3://{BUCKET}/wh/db/users$", out, re.M)
              and m and re.fullmatch(rf"s3://{BUCKET}/wh/db/users/metadata/v\d+\.metadata\.json",
                                     m.group(1)),
              "floe table show gives the s3:// location and metadata file", out + err)
        rc, out, err = floe(env, "table", "snapshots", "-c", c)
        snaps = out.strip().splitlines()[1:]
        check(rc == 0 and len(snaps) >= 9, "floe table snapshots lists every commit", out + err)

        # 4. The objects, seen by boto3: every version, the hint, s3:// URIs in the metadata.
        objs = keys(client, "wh/db/users/")
        versions = sorted(int(k.split("/v")[-1].split(".")[0]) for k in objs
                          if re.search(r"/metadata/v\d+\.metadata\.json$", k))
        check(versions == list(range(1, len(versions) + 1)) and len(versions) >= 10,
              "metadata versions v1..vN, none missing", str(versions))
        hint = body(client, "wh/db/users/metadata/version-hint.text")
        check(hint == str(versions[-1]).encode(), "the hint names the last version", hint)
        meta = json.loads(body(client, f"wh/db/users/metadata/v{versions[-1]}.metadata.json"))
        check(meta["location"] == f"s3://{BUCKET}/wh/db/users", "metadata location is s3://",
              meta["location"])
        check(all(sn["manifest-list"].startswith(f"s3://{BUCKET}/wh/db/users/metadata/snap-")
                  and sn["manifest-list"][len(f"s3://{BUCKET}/"):] in objs
                  for sn in meta["snapshots"]),
              "every manifest list is an s3:// URI of an object that exists")
        parquet = [k for k in objs if k.endswith(".parquet")]
        check(parquet and all(k.startswith("wh/db/users/data/id_bucket=") and objs[k] > 12
                              for k in parquet),
              "data files under data/<partition path>/ on S3", str(parquet[:3]))
        cur = [sn for sn in meta["snapshots"] if sn["snapshot-id"] == meta["current-snapshot-id"]]
        total = int(cur[0]["summary"]["total-data-files"]) + \
            int(cur[0]["summary"].get("total-delete-files", "0"))
        check(len(parquet) >= total, "every live file is in the bucket",
              f"{len(parquet)} objects, {total} live files")

        # 5. Expire: the files only old snapshots used are deleted from the bucket.
        ce = c.replace(".conf", "-expire.conf")
        with open(c) as f, open(ce, "w") as g:
            g.write(f.read().replace("[validate]", "snapshots_keep_last = 2\n[validate]"))
        rc, out, err = floe(env, "table", "expire", "-c", ce)
        m = re.search(r"(\d+) snapshots? expired, (\d+) files? deleted", out)
        after = keys(client, "wh/db/users/")
        # One metadata version more; the hint is overwritten in place.
        removed = len(objs) + 1 - len(after)
        check(rc == 0 and m and int(m.group(1)) >= 7 and int(m.group(2)) > 0
              and int(m.group(2)) == removed,
              "floe table expire deletes the unreferenced objects from the bucket",
              f"{out}{err} ({removed} objects fewer)")
        readers_agree(work, s3, env, "users", "after expire", s.rows())

        # 6. A lost race. A holds version N (its first commit) while B commits N+1.
        r = Stream(keys=0)
        a_lines = [r.valid(uid, 10**9 * uid, "Ada", 30) for uid in range(1, 121)]
        b_lines = [r.valid(uid, 10**9 * uid, "Bob", 40) for uid in range(1001, 1101)]
        ca = conf(work, s3, "race", os.path.join(work, "state-a"), flush_rows=50)
        cb = conf(work, s3, "race", os.path.join(work, "state-b"), flush_rows=50)
        rc, out, err = floe(env, "table", "create", "-c", ca)
        check(rc == 0, "race table created", out + err)
        a = subprocess.Popen([FLOE, "import", "-c", ca, "-"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        a.stdin.write("\n".join(a_lines[:50]) + "\n")
        a.stdin.flush()
        # Wait (bounded) for A's first commit: v2 on S3.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and a.poll() is None:
            if "wh/db/race/metadata/v2.metadata.json" in keys(client, "wh/db/race/metadata/v2"):
                break
            time.sleep(0.2)
        landed = "wh/db/race/metadata/v2.metadata.json" in keys(client, "wh/db/race/metadata/")
        check(landed, "A's first commit landed while it waits for more input")
        rc, out, err = floe(env, "import", "-c", cb, write(work, "b.ndjson", b_lines))
        check(rc == 0 and stat(out, "imported") == 100, "B imports meanwhile", out + err)
        b_commits = stat(out, "commits") or 0
        out, err = a.communicate("\n".join(a_lines[50:]) + "\n", timeout=300)
        check(a.returncode == 0 and stat(out, "imported") == 120, "A finishes", out + err)
        check("lost the commit race" in err,
              "A's next commit lost the race (412 on its version) and was rebased", err)
        meta_keys = keys(client, "wh/db/race/metadata/")
        nver = len([k for k in meta_keys if re.search(r"/v\d+\.metadata\.json$", k)])
        meta = json.loads(body(client, f"wh/db/race/metadata/v{nver}.metadata.json"))
        check(len(meta["snapshots"]) == (stat(out, "commits") or 0) + b_commits,
              "every commit of A and B is a snapshot", str(len(meta["snapshots"])))
        readers_agree(work, s3, env, "race", "after the race", r.rows())
    finish()


if __name__ == "__main__":
    main()
