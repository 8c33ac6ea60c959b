"""test_table — floe's Iceberg tables end to end, read back by independent readers.

create → import → import → add a column → import, with icebird returning exactly the expected
rows after each step and for every earlier snapshot (time travel through its metadata file);
each data file's partition tuple recomputed from its rows and its bounds checked (hyparquet,
avsc, check-iceberg.mjs); `floe table create` idempotent and refusing a conflicting table;
corrupt metadata refused with nothing changed; two imports committing at once both land."""
import datetime
import json
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import FLOE, check, finish, table_config, tmpdir  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "..", "readers", "check-iceberg.mjs")
work = tmpdir()
wh = os.path.join(work, "warehouse")
table_dir = os.path.join(wh, "db", "users")
rnd = random.Random(11)
T0 = datetime.datetime(2026, 11, 14, tzinfo=datetime.timezone.utc)

BASE_SCHEMA = "id long required, name string, email string, signup_ts timestamptz, age int"


def conf(name, schema=BASE_SCHEMA, extra="", key=""):
    """A config; key "" (append every record) unless given: this test checks the table
    mechanics with repeated ids, test_upsert.py the latest-version semantics."""
    return table_config(work, schema, "day(signup_ts), bucket(16, id)",
                        f"key = {key}\n[limits]\nflush_rows = 250\n{extra}", name=name,
                        warehouse="warehouse")[0]


def floe(*args):
    p = subprocess.run([FLOE] + list(args), capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def murmur3_32(data):
    """Murmur3 x86 32-bit, seed 0 (for Iceberg's bucket transform)."""
    c1, c2, h, m = 0xcc9e2d51, 0x1b873593, 0, 0xffffffff
    rotl = lambda x, r: ((x << r) | (x >> (32 - r))) & m  # noqa: E731
    n = len(data) - len(data) % 4
    for i in range(0, n, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = rotl((k * c1) & m, 15) * c2 & m
        h = (rotl(h ^ k, 13) * 5 + 0xe6546b64) & m
    k = int.from_bytes(data[n:], "little") if len(data) % 4 else 0
    if len(data) % 4:
        h ^= rotl((k * c1) & m, 15) * c2 & m
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85ebca6b) & m
    h ^= h >> 13
    h = (h * 0xc2b2ae35) & m
    return h ^ (h >> 16)


def bucket16(v):
    return (murmur3_32(v.to_bytes(8, "little", signed=True)) & 0x7fffffff) % 16


check(bucket16(34) == 3, "the test's murmur3 matches the spec's vector (bucket16(34) = 3)")


def users(n, with_score=False, start_id=1):
    """Returns (NDJSON lines, expected rows)."""
    lines, rows = [], []
    for i in range(n):
        uid = start_id + rnd.randrange(400)
        ts = T0 + datetime.timedelta(microseconds=rnd.randrange(10 * 86400 * 10**6))
        name = rnd.choice(["Ada", "Grace", "Alan", "Édouard", "日本"])
        age = None if rnd.random() < 0.1 else rnd.randrange(18, 90)
        rec = {"id": uid, "name": name, "email": f"{name.lower()}{uid}@example.com",
               "signup_ts": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "age": age}
        row = [str(uid), name, rec["email"],
               ts.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ts.microsecond // 1000), age]
        if with_score:
            score = None if rnd.random() < 0.2 else round(rnd.uniform(0, 100), 3)
            rec["score"] = score
            row.append(score)
        lines.append(json.dumps(rec, ensure_ascii=False))
        rows.append(row)
    return lines, rows


def write(name, lines):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def readers_agree(what, columns, rows, metadata=None, snapshots=None):
    exp = os.path.join(work, "expected.json")
    e = {"columns": columns, "rows": rows}
    if snapshots is not None:
        e["snapshots"] = snapshots
    with open(exp, "w") as f:
        json.dump(e, f)
    args = ["node", CHECKER, table_dir, exp] + (["--metadata", metadata] if metadata else [])
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    return check(p.returncode == 0, f"{what}: icebird, avsc and hyparquet read the expected table",
                 (p.stdout + p.stderr)[-3000:])


COLS = ["id", "name", "email", "signup_ts", "age"]
c1 = conf("floe.conf")

# create, idempotent; a conflicting table is refused.
rc, out, err = floe("table", "create", "-c", c1)
check(rc == 0 and "created" in out, "table create", out + err)
rc, out, err = floe("table", "create", "-c", c1)
check(rc == 0 and "already exists and matches" in out, "table create again is fine", out + err)
rc, out, err = floe("table", "create", "-c", conf("conflict.conf",
                    BASE_SCHEMA.replace("name string", "name int")))
check(rc == 1 and "column 'name' as string, the config says int" in err,
      "a conflicting table is refused", out + err)
readers_agree("empty table", COLS, [], snapshots=0)

# import A (with bad lines), import B.
lines_a, rows_a = users(300)
bad = ['{"id":"x"}', "not json", '{"name":"no id"}']
path_a = write("a.ndjson", lines_a[:100] + bad + lines_a[100:])
rc, out, err = floe("import", "-c", c1, path_a)
check(rc == 2, "import with rejected lines exits 2", out + err)
check("300 imported, 0 stale, 3 rejected" in out, "import reports its counts", out)
check(f"{path_a}:101: column 'id'" in err and f"{path_a}:102: not a JSON object (starts with something that is not JSON)" in err,
      "rejected lines are reported with file and line", err)
commits_a = int(out.split(" commit")[0].split()[-1])
check(commits_a == 2, "flush_rows 250: two commits for 300 rows", out)
readers_agree("after import A", COLS, rows_a, snapshots=2)

lines_b, rows_b = users(200, start_id=1000)
rc, out, err = floe("import", "-c", c1, write("b.ndjson", lines_b))
check(rc == 0, "import B exits 0", out + err)
readers_agree("after import B", COLS, rows_a + rows_b, snapshots=3)

# Add a column, import C: old rows read the new column as null.
c2 = conf("floe2.conf", BASE_SCHEMA + ", score double")
lines_c, rows_c = users(150, with_score=True, start_id=2000)
rc, out, err = floe("import", "-c", c2, write("c.ndjson", lines_c))
check(rc == 0 and "schema updated" in err and "score" in err, "import C adds the column",
      out + err)
rc, out, err = floe("table", "show", "-c", c2)
check("     6  score" in out and "optional" in out.split("score")[1].splitlines()[0],
      "show lists the new column with its id, optional", out)
readers_agree("after import C", COLS + ["score"],
              [r + [None] for r in rows_a + rows_b] + rows_c, snapshots=4)

# Time travel: each metadata file returns the rows of its time.
metas = sorted((f for f in os.listdir(os.path.join(table_dir, "metadata"))
                if f.startswith("v") and f.endswith(".metadata.json")),
               key=lambda f: int(f[1:].split(".")[0]))
check(len(metas) == 6, "v1 create, v2-v3 import A, v4 import B, v5 schema, v6 import C",
      str(metas))
readers_agree("time travel v2 (first commit of A)", COLS, None or rows_a[:250], "v2.metadata.json",
              snapshots=1)
readers_agree("time travel v4 (after B)", COLS, rows_a + rows_b, "v4.metadata.json", snapshots=3)
readers_agree("time travel v5 (schema change, no new data)", COLS + ["score"],
              [r + [None] for r in rows_a + rows_b], "v5.metadata.json", snapshots=3)

rc, out, err = floe("table", "snapshots", "-c", c2)
check(rc == 0 and out.count("append") == 4 and "(current)" in out, "snapshots lists four", out)
# Every version records the one it replaced, schema changes included (Java's metadata-log).
with open(os.path.join(table_dir, "metadata", "v6.metadata.json")) as f:
    log = [os.path.basename(e["metadata-file"]) for e in json.load(f)["metadata-log"]]
check(log == [f"v{i}.metadata.json" for i in range(1, 6)], "metadata-log lists v1..v5", str(log))
with open(os.path.join(table_dir, "metadata", "version-hint.text")) as f:
    check(f.read() == "6", "version-hint.text holds the version, no newline")

# Corrupt metadata: a clear error, nothing changes.
backup = os.path.join(work, "backup")
shutil.copytree(table_dir, backup)
latest = os.path.join(table_dir, "metadata", "v6.metadata.json")
with open(latest, "w") as f:
    f.write('{"format-version": 2, "table-uuid": ')
before = sorted(os.listdir(os.path.join(table_dir, "metadata")))
rc, out, err = floe("table", "show", "-c", c2)
check(rc == 1 and "v6.metadata.json" in err, "show names the corrupt metadata file", err)
rc, out, err = floe("import", "-c", c2, write("d.ndjson", users(10, True)[0]))
check(rc == 1 and "v6.metadata.json" in err, "import refuses corrupt metadata", out + err)
check(sorted(os.listdir(os.path.join(table_dir, "metadata"))) == before,
      "nothing was written next to corrupt metadata")
shutil.rmtree(table_dir)
shutil.copytree(backup, table_dir)

# Two imports at once: both land, nothing lost.
lines_d, rows_d = users(120, with_score=True, start_id=3000)
lines_e, rows_e = users(130, with_score=True, start_id=4000)
pd = subprocess.Popen([FLOE, "import", "-c", c2, write("d.ndjson", lines_d)],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
pe = subprocess.Popen([FLOE, "import", "-c", c2, write("e.ndjson", lines_e)],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
od, ed = pd.communicate(timeout=300)
oe, ee = pe.communicate(timeout=300)
check(pd.returncode == 0 and pe.returncode == 0, "two concurrent imports both succeed",
      od + ed + oe + ee)
readers_agree("after two concurrent imports", COLS + ["score"],
              [r + [None] for r in rows_a + rows_b] + rows_c + rows_d + rows_e, snapshots=6)

# A row delta: new versions of 20 keys, and equality deletes of their old rows placed in the
# old rows' partitions (by their key and signup_ts). Readers must apply the deletes. The keys
# chosen have a single row in the table: icebird applies equality deletes to every partition,
# where the spec scopes a partitioned delete to its own partition, and the two only agree when
# a key lives in one partition.
ROWDELTA = sys.argv[1] if len(sys.argv) > 1 else None
if check(ROWDELTA and os.path.exists(ROWDELTA), "the row-delta driver is built", str(ROWDELTA)):
    current = [r + [None] for r in rows_a + rows_b] + rows_c + rows_d + rows_e
    counts = {}
    for r in current:
        counts[r[0]] = counts.get(r[0], 0) + 1
    victims = rnd.sample([r for r in current if counts[r[0]] == 1], 20)

    def day(ts):
        return ts[:10]

    gone = {(v[0], day(v[3])) for v in victims}
    del_lines = [json.dumps({"id": int(v[0]), "signup_ts": v[3]}) for v in victims]
    new_lines, new_rows = users(20, with_score=True, start_id=9000)
    for k, v in enumerate(victims):  # same key, a new version in another day
        rec = json.loads(new_lines[k])
        rec["id"] = int(v[0])
        new_lines[k] = json.dumps(rec)
        new_rows[k][0] = v[0]
    c_key = conf("floe-key.conf", BASE_SCHEMA + ", score double", key="id")
    p = subprocess.run([ROWDELTA, c_key, write("del.ndjson", del_lines),
                        write("new.ndjson", new_lines)], capture_output=True, text=True)
    check(p.returncode == 0, "the row delta commits", p.stdout + p.stderr)
    expected = [r for r in current if (r[0], day(r[3])) not in gone] + new_rows
    readers_agree("after a row delta (equality deletes applied)", COLS + ["score"], expected,
                  snapshots=7)
    rc, out, err = floe("table", "snapshots", "-c", c2)
    check(out.strip().splitlines()[-1].split()[3] == "overwrite",
          "a row delta is an overwrite snapshot", out)
    # changed-partition-count: distinct (day, bucket) over new rows and deleted rows, as Java
    # counts data and delete files together (computed here with our own murmur3).
    parts = {(day(r[3]), bucket16(int(r[0]))) for r in victims + new_rows}
    latest = max((f for f in os.listdir(os.path.join(table_dir, "metadata"))
                  if f.endswith(".metadata.json")), key=lambda f: int(f[1:].split(".")[0]))
    with open(os.path.join(table_dir, "metadata", latest)) as f:
        summary = json.load(f)["snapshots"][-1]["summary"]
    check(summary.get("changed-partition-count") == str(len(parts)),
          "changed-partition-count counts data and delete partitions once",
          f"{summary.get('changed-partition-count')} vs {len(parts)}")
    after_delta = expected
else:
    after_delta = None

# A failing directory fsync after the new metadata is published: the commit has landed, so
# the import succeeds, deletes nothing, and every row reads.
FAILSYNC = sys.argv[2] if len(sys.argv) > 2 else None
if check(FAILSYNC and os.path.exists(FAILSYNC), "the fsync fault shim is built", str(FAILSYNC)):
    lines_f, rows_f = users(40, with_score=True, start_id=6000)
    env = dict(os.environ, LD_PRELOAD=FAILSYNC,
               ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
    p = subprocess.run([FLOE, "import", "-c", c2, write("f.ndjson", lines_f)], env=env,
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0 and "40 imported" in p.stdout,
          "an import whose directory fsync fails after publishing still succeeds",
          p.stdout + p.stderr)
    if after_delta is not None:
        after_delta = after_delta + rows_f
    rows_e = rows_e + rows_f
    nsnap = 8 if after_delta is not None else 7
    readers_agree("after a commit with a failing fsync", COLS + ["score"],
                  after_delta if after_delta is not None
                  else [r + [None] for r in rows_a + rows_b] + rows_c + rows_d + rows_e,
                  snapshots=nsnap)

# A config whose partition spec differs from the table's is refused by import.
c_spec = conf("spec.conf", BASE_SCHEMA + ", score double")
with open(c_spec) as f:
    text = f.read().replace("bucket(16, id)", "bucket(8, id)")
with open(c_spec, "w") as f:
    f.write(text)
rc, out, err = floe("import", "-c", c_spec, write("g.ndjson", users(5, True)[0]))
check(rc == 1 and "another partition spec" in err, "import refuses a different partition spec",
      out + err)

# Expiry: nothing without a retention setting; keep_last = 2 removes four snapshots and the
# manifest lists only they used; every row stays readable.
rc, out, err = floe("table", "expire", "-c", c2)
check(rc == 0 and "nothing expires" in out, "expire without retention does nothing", out + err)
c3 = conf("floe3.conf", BASE_SCHEMA + ", score double", "[table]\nsnapshots_keep_last = 2\n")
meta_files = sorted((f for f in os.listdir(os.path.join(table_dir, "metadata"))
                     if f.endswith(".metadata.json")), key=lambda f: int(f[1:].split(".")[0]))
with open(os.path.join(table_dir, "metadata", meta_files[-1])) as f:
    md = json.load(f)
by_time = sorted(md["snapshots"], key=lambda s: s["timestamp-ms"])
old_lists = [s["manifest-list"] for s in by_time[:-2]]
kept_lists = [s["manifest-list"] for s in by_time[-2:]]
rc, out, err = floe("table", "expire", "-c", c3)
nexpired = len(md["snapshots"]) - 2
check(rc == 0 and f"{nexpired} snapshots expired, {nexpired} files deleted, 2 snapshots kept"
      in out, "expire keeps the last two and deletes the lists only the others used", out + err)
check(not any(os.path.exists(p) for p in old_lists) and all(os.path.exists(p) for p in kept_lists),
      "expired manifest lists are gone, kept ones stay")
readers_agree("after expire", COLS + ["score"],
              after_delta if after_delta is not None
              else [r + [None] for r in rows_a + rows_b] + rows_c + rows_d + rows_e,
              snapshots=2)
rc, out, err = floe("table", "expire", "-c", c3)
check(rc == 0 and "0 snapshots expired" in out, "expiring again changes nothing", out + err)

finish()
