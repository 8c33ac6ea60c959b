"""test_demo — `floe demo --records 20000 --dir TMP` end to end.

The demo must exit 0, and what its summary says must agree with an independent look:
  - the table, read by icebird and the spec's scan rules (tests/readers/check-iceberg.mjs),
    holds exactly the latest valid version of every id, recomputed here from produced.ndjson
    (every record the demo produced, in order; one id always goes to one partition, so that
    order is each id's consumption order): a valid record replaces its id's row only with a
    strictly newer signup_ts;
  - "rows in the table" is that row count; "records in" is the produced count;
  - the dead-letter file holds one line per invalid record, and "dead-lettered" says so;
  - "stale dropped" counts the valid records that were not newer;
  - floe.conf, written by the demo, works with `floe table show -c`;
  - a second run wipes the directory; a foreign non-empty directory is refused.
"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "process"))
from floetest import FLOE, check, finish, tmpdir  # noqa: E402

CHECKER = os.path.join(HERE, "..", "readers", "check-iceberg.mjs")
COLS = ["id", "name", "email", "signup_ts", "age"]


def demo(*args):
    p = subprocess.run([FLOE, "demo", *args], capture_output=True, text=True, timeout=240)
    return p.returncode, p.stdout, p.stderr


def number(text, label):
    m = re.search(r"^  " + re.escape(label) + r"\s+(\d+)", text, re.M)
    return int(m.group(1)) if m else None


def expected(path):
    """(rows by id, invalid count, stale count, produced count) from produced.ndjson."""
    rows, invalid, stale, n = {}, 0, 0, 0
    with open(path) as f:
        for line in f:
            e = json.loads(line)
            n += 1
            if not e["valid"]:
                invalid += 1
                continue
            j = json.loads(e["value"])
            ts = j["signup_ts"]  # fixed-width RFC 3339 in UTC: compares as text
            if j["id"] in rows and ts <= rows[j["id"]][0]:
                stale += 1
                continue
            rows[j["id"]] = (ts, [str(j["id"]), j["name"], j["email"], ts[:23] + "Z", j["age"]])
    return {k: v[1] for k, v in rows.items()}, invalid, stale, n


def main():
    work = tmpdir()
    d = os.path.join(work, "floe-demo")
    rc, out, err = demo("--records", "20000", "--dir", d, "--seed", "5")
    check(rc == 0, "floe demo --records 20000 exits 0", (out + err)[-3000:])
    check("floe demo: 20000 records" in out, "the summary opens with the records run", out[:300])

    rows, invalid, stale, n = expected(os.path.join(d, "produced.ndjson"))
    check(n == 20000, "produced.ndjson holds every record produced", str(n))
    check(number(out, "records in") == n, "summary: records in", out)
    check(number(out, "rows in the table") == len(rows), "summary: rows in the table",
          f"{number(out, 'rows in the table')} vs {len(rows)}")
    check(number(out, "dead-lettered") == invalid and invalid > 0, "summary: dead-lettered",
          f"{number(out, 'dead-lettered')} vs {invalid}")
    check(number(out, "stale dropped") == stale and stale > 0, "summary: stale dropped",
          f"{number(out, 'stale dropped')} vs {stale}")

    exp = os.path.join(work, "expected.json")
    with open(exp, "w") as f:
        json.dump({"columns": COLS, "rows": list(rows.values())}, f)
    table = os.path.join(d, "warehouse", "db", "users")
    p = subprocess.run(["node", CHECKER, table, exp], capture_output=True, text=True,
                       timeout=300)
    check(p.returncode == 0 and "rows by the spec's rules" in p.stdout,
          "icebird and the spec's scan rules read the latest valid version of every id",
          (p.stdout + p.stderr)[-3000:])

    with open(os.path.join(d, "dead-letter.ndjson")) as f:
        dl = [json.loads(line) for line in f]
    check(len(dl) == invalid and all(x["source"]["topic"] == "users" for x in dl),
          "the dead-letter file holds one line per invalid record", f"{len(dl)} vs {invalid}")
    check(os.path.join(d, "dead-letter.ndjson") in out.replace("\n                     ", ""),
          "the summary names the dead-letter file")
    check(f"iceberg_scan('{table}'" in out and "spark.sql.catalog.demo.warehouse=file://" in out
          and "register_table" in out, "the summary shows DuckDB, Spark and Trino queries")

    conf = os.path.join(d, "floe.conf")
    p = subprocess.run([FLOE, "table", "show", "-c", conf], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 0 and "signup_ts" in p.stdout,
          "floe table show -c floe-demo/floe.conf works", (p.stdout + p.stderr)[-1000:])

    # A second, smaller run wipes the directory first.
    rc, out2, err2 = demo("--records", "3000", "--keys", "500", "--dir", d)
    check(rc == 0 and number(out2, "records in") == 3000, "a second run into the same directory",
          (out2 + err2)[-2000:])
    rows2, invalid2, _, n2 = expected(os.path.join(d, "produced.ndjson"))
    check(n2 == 3000 and number(out2, "rows in the table") == len(rows2),
          "the second run's table holds only its own records")

    foreign = os.path.join(work, "foreign")
    os.makedirs(foreign)
    with open(os.path.join(foreign, "keep.txt"), "w") as f:
        f.write("mine\n")
    rc, _, err3 = demo("--records", "100", "--dir", foreign)
    check(rc == 1 and os.path.exists(os.path.join(foreign, "keep.txt")),
          "a non-empty directory that is not a demo's is refused and left alone", err3)
    rc, _, _ = demo("--records", "abc")
    check(rc == 2, "a bad option value is a usage error")


if __name__ == "__main__":
    main()
    finish()
