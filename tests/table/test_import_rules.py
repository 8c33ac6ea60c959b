"""test_import_rules — floe import with [validate] rules: records that break a rule are
reported with file, line and reason, written to the dead-letter file with their reason and
source, and kept out of the table, which icebird reads back with exactly the records that
pass."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import (check, check_iceberg, finish, run, table_config, tmpdir,  # noqa: E402
                      write_lines)

work = tmpdir()
conf, table = table_config(
    work, "id long required, name string, email string, signup_ts timestamptz, age int",
    "day(signup_ts)", f"""[agent]
state_dir = {work}/state
[validate]
age = min 18, max 120
name = not_null, max_length 12
email = pattern ^[^@ ]+@[^@ ]+\\.[a-z]+$
""")
records = [
    ({"id": 1, "name": "Ada", "email": "ada@example.com", "age": 36}, None),
    ({"id": 2, "name": "Bob", "email": "bob@example.com", "age": 17}, "below the minimum 18"),
    ({"id": 3, "name": None, "email": "c@example.com", "age": 40}, "says not_null"),
    ({"id": 4, "name": "Grace", "email": "grace at example", "age": 85},
     "does not match validate.email's pattern"),
    ({"id": 5, "name": "Bartholomew Jr", "email": "b@example.com"}, "over max_length 12"),
    ({"id": 6, "name": "Linus", "email": "linus@example.org", "age": None}, None),
    ({"id": 7, "name": "Émile", "email": "emile@example.fr", "age": 120}, None),
]
lines, rows, bad = [], [], {}
for i, (rec, reason) in enumerate(records, 1):
    rec["signup_ts"] = "2026-11-2%dT10:00:00.000000Z" % (i % 3)
    lines.append(json.dumps(rec, ensure_ascii=False))
    if reason:
        bad[i] = reason
    else:
        rows.append([str(rec["id"]), rec["name"], rec["email"],
                     rec["signup_ts"].replace("000000Z", "000Z"), rec.get("age")])
src = write_lines(os.path.join(work, "users.ndjson"), lines)

rc, out, err = run(["import", "-c", conf, src], timeout=300)
check(rc == 2 and f"{len(rows)} imported, 0 stale, {len(bad)} rejected" in out,
      "import with rule violations exits 2 and counts them", out + err)
for line, reason in bad.items():
    check(f"{src}:{line}: " in err and reason in err.split(f"{src}:{line}: ")[1].splitlines()[0],
          f"line {line} is rejected for '{reason}'", err)
check(f"{len(bad)} rejected records written to" in out, "the summary names the dead letter", out)
with open(os.path.join(work, "state", "dead-letter.ndjson")) as f:
    dead = [json.loads(l) for l in f]
check([d["source"]["line"] for d in dead] == sorted(bad), "the dead letter holds the bad lines",
      str(dead))
for d in dead:
    line = d["source"]["line"]
    check(d["source"]["file"] == src and d["record"] == lines[line - 1] and
          bad[line] in d["reason"], f"dead letter of line {line}: record, reason, source", str(d))
check_iceberg("icebird reads exactly the records that pass", table,
              {"columns": ["id", "name", "email", "signup_ts", "age"], "rows": rows}, work)
finish()
