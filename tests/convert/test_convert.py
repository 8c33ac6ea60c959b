"""test_convert — `floe convert` end to end.

Random records over every column type (extremes, NaN, ±0.0, multi-byte UTF-8 and \\u escapes,
timestamps with offsets and 9 fraction digits) mixed with lines that must be rejected. The
expected table is computed here, independently of floe, and the Parquet file is read back by
DuckDB, hyparquet and parquet-wasm through tests/readers/check-parquet.mjs. Also: exit
codes, stdin, several row groups, over-long lines, and no output left behind on failure."""
import base64
import datetime
import json
import math
import os
import random
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import FLOE, check, finish, tmpdir  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "..", "readers", "check-parquet.mjs")
SCHEMA = ("id long required, name string, ts timestamptz, age int, score double, ok boolean, "
          "day date, blob binary, local timestamp, f float")
COLUMNS = [("id", "long", True), ("name", "string", False), ("ts", "timestamptz", False),
           ("age", "int", False), ("score", "double", False), ("ok", "boolean", False),
           ("day", "date", False), ("blob", "binary", False), ("local", "timestamp", False),
           ("f", "float", False)]
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
WORDS = ["", "a", "Ada Lovelace", "élève", "日本語", "emoji 😀", "quote \" and \\ slash",
         "tab\tnew\nline", "x" * 300]

work = tmpdir()
rnd = random.Random(7)


def float32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def fnum(x):
    """A float/double in the checker's expected form."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0 and math.copysign(1, x) < 0:
        return "-0"
    return x


def json_float(x):
    if math.isnan(x):
        return '"NaN"'
    if math.isinf(x):
        return '"Infinity"' if x > 0 else '"-Infinity"'
    return repr(x)


def timestamp(with_offset):
    """Returns (text or int, expected µs) for a random instant, in a random spelling."""
    us = rnd.randrange(-2 * 10**15, 4 * 10**15)
    if rnd.random() < 0.1:
        return us, us
    secs, frac = divmod(us, 10**6)
    digits = rnd.choice([0, 3, 6, 9])
    extra = rnd.randrange(1000) if digits == 9 else 0
    off_min = rnd.choice([0, 60, -300, 330, -720]) if with_offset else 0
    local = (EPOCH + datetime.timedelta(seconds=secs, minutes=off_min)).replace(tzinfo=None)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    kept = 0  # the fraction digits written below are what floe can keep
    if digits == 3:
        text += ".%03d" % (frac // 1000)
        kept = frac // 1000 * 1000
    elif digits == 6:
        text += ".%06d" % frac
        kept = frac
    elif digits == 9:
        text += ".%06d%03d" % (frac, extra)
        kept = frac
    if with_offset:
        if off_min == 0 and rnd.random() < 0.5:
            text += "Z"
        else:
            sign = "+" if off_min >= 0 else "-"
            text += "%s%02d:%02d" % (sign, abs(off_min) // 60, abs(off_min) % 60)
    elif rnd.random() < 0.3:
        text = text.replace("T", " ")
    return text, secs * 10**6 + kept


def random_record(i):
    """Returns (json line, expected row)."""
    fields, row = [], []
    rid = rnd.choice([i, -i, 2**63 - 1, -2**63, 0]) if i % 50 == 0 else i
    fields.append(f'"id":{rid}')
    row.append(str(rid))
    for name, typ, _ in COLUMNS[1:]:
        r = rnd.random()
        if r < 0.08:
            row.append(None)
            if rnd.random() < 0.5:
                fields.append(f'"{name}":null')
            continue
        if typ == "string":
            s = rnd.choice(WORDS)
            fields.append(f'"{name}":' + json.dumps(s, ensure_ascii=rnd.random() < 0.5))
            row.append(s)
        elif typ in ("timestamptz", "timestamp"):
            text, us = timestamp(typ == "timestamptz")
            fields.append(f'"{name}":' + (json.dumps(text) if isinstance(text, str) else str(text)))
            row.append(str(us))
        elif typ == "int":
            v = rnd.choice([rnd.randrange(-2**31, 2**31), -2**31, 2**31 - 1, 0])
            fields.append(f'"{name}":{v}')
            row.append(v)
        elif typ == "double":
            v = rnd.choice([rnd.uniform(-1e6, 1e6), float("nan"), float("inf"), -0.0, 0.0,
                            1.7976931348623157e308, 5e-324, rnd.random()])
            fields.append(f'"{name}":{json_float(v)}')
            row.append(fnum(v))
        elif typ == "float":
            v = rnd.choice([float32(rnd.uniform(-1e6, 1e6)), float("-inf"), -0.0, 3.0e38, 0.5])
            fields.append(f'"{name}":{json_float(v)}')
            row.append(fnum(float32(v)))
        elif typ == "boolean":
            v = rnd.random() < 0.5
            fields.append(f'"{name}":{"true" if v else "false"}')
            row.append(v)
        elif typ == "date":
            days = rnd.randrange(-40000, 40000)
            d = datetime.date(1970, 1, 1) + datetime.timedelta(days=days)
            fields.append(f'"{name}":' + (f'"{d.isoformat()}"' if rnd.random() < 0.8 else str(days)))
            row.append(days)
        elif typ == "binary":
            b = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 20)))
            enc = base64.b64encode(b).decode()
            if rnd.random() < 0.3:
                enc = enc.rstrip("=")
            fields.append(f'"{name}":"{enc}"')
            row.append(b.hex())
    if rnd.random() < 0.2:
        fields.insert(rnd.randrange(len(fields) + 1), '"unknown":{"nested":[1,{"x":null}]}')
    rnd.shuffle(fields)
    return "{" + ",".join(fields) + "}", row


# Lines that must be rejected, each with the reason floe must give.
BAD = [
    ('{"id":"7"}', "column 'id': expected a long, got a string"),
    ('{"name":"no id"}', "column 'id': missing (required)"),
    ('{"id":null}', "null in a required column"),
    ('{"id":1,"age":1.5}', "column 'age': 1.5 is not a whole number"),
    ('{"id":1,"age":2147483648}', "out of range for int"),
    ('{"id":1,"name":"\xff"}', "column 'name': invalid UTF-8"),
    ('{"id":1,"ts":"2026-11-23T10:15:00"}', "column 'ts'"),
    ('{"id":1,"ok":1}', "column 'ok': expected a boolean"),
    ('{"id":1,"blob":"!!"}', "not valid base64"),
    ('{"id":1,"day":"2023-02-29"}', "column 'day'"),
    ('{"id":1', "malformed JSON"),
    ('[1,2,3]', "not a JSON object"),
    ('{"id":1,"id":2}', "appears twice"),
    ('{"id":1} trailing', "unexpected data after the object"),
]


def write_case(name, n_good, bad_every=0, crlf=False):
    """Writes NAME.ndjson and NAME.expected.json; returns (path, expected rows, {line: reason})."""
    lines, rows, bad = [], [], {}
    b = 0
    for i in range(1, n_good + 1):
        if bad_every and i % bad_every == 0:
            text, reason = BAD[b % len(BAD)]
            b += 1
            lines.append(text)
            bad[len(lines)] = reason
        if bad_every and i % (bad_every * 3) == 0:
            lines.append("   ")  # blank lines are skipped silently
        text, row = random_record(i)
        lines.append(text)
        rows.append(row)
    path = os.path.join(work, name + ".ndjson")
    with open(path, "wb") as f:
        sep = b"\r\n" if crlf else b"\n"
        f.write(sep.join(l.encode("utf-8", "surrogateescape") if "\xff" not in l
                         else l.encode("latin-1") for l in lines))
        f.write(sep)
    expected = {
        "format": "floe-parquet-expected/1",
        "columns": [{"name": n, "type": t, "id": i + 1, "required": r}
                    for i, (n, t, r) in enumerate(COLUMNS)],
        "num_rows": len(rows),
        "rows": rows,
    }
    with open(os.path.join(work, name + ".expected.json"), "w") as f:
        json.dump(expected, f)
    return path, rows, bad


def convert(args, stdin=None):
    p = subprocess.run([FLOE, "convert"] + args, capture_output=True, timeout=300, input=stdin)
    return p.returncode, p.stdout.decode(), p.stderr.decode(errors="replace")


def readers_agree(name, extra=None):
    exp = os.path.join(work, name + ".expected.json")
    if extra:
        with open(exp) as f:
            e = json.load(f)
        e.update(extra)
        with open(exp, "w") as f:
            json.dump(e, f)
    p = subprocess.run(["node", CHECKER, os.path.join(work, name + ".parquet"), exp],
                       capture_output=True, text=True, timeout=300)
    return check(p.returncode == 0, f"{name}: DuckDB, hyparquet and parquet-wasm read the "
                 f"expected values", (p.stdout + p.stderr)[-3000:])


# 1. Mixed good and bad lines: the bad ones reported by line, the rest exactly right.
src, rows, bad = write_case("mixed", 3000, bad_every=97)
out = os.path.join(work, "mixed.parquet")
rc, so, se = convert(["--schema", SCHEMA, src, out])
check(rc == 2, "some rejected lines exit 2", f"exit {rc}: {se[-2000:]}")
check(f"{len(rows)} rows written" in so and f"{len(bad)} lines rejected" in so,
      "the summary counts rows and rejections", so)
reported = {}
for line in se.splitlines():
    head, _, reason = line.partition(": ")
    if head.startswith(src + ":"):
        reported[int(head[len(src) + 1:])] = reason
check(sorted(reported) == sorted(bad), "exactly the bad lines are reported, by line number",
      f"reported {sorted(reported)[:10]}, expected {sorted(bad)[:10]}")
for ln, reason in bad.items():
    check(reason in reported.get(ln, ""), f"line {ln} is rejected for the right reason",
          f"got {reported.get(ln)!r}, expected {reason!r}")
readers_agree("mixed", {"created_by": "floe 0.1.0"})
check(not os.path.exists(out + ".tmp"), "no temporary file is left")

# 2. Every line good, CRLF line ends, several row groups, no compression: exit 0.
src, rows, _ = write_case("groups", 4000, crlf=True)
out = os.path.join(work, "groups.parquet")
rc, so, se = convert(["--schema", SCHEMA, "--row-group", "64K", "--compression", "none",
                      src, out])
check(rc == 0, "all lines converted exits 0", se[-2000:])
groups = int(so.split("(")[1].split(",")[1].split()[0]) if "(" in so else 0
check(groups > 1, "a small --row-group gives several row groups", so)
readers_agree("groups", {"row_groups": groups})

# 3. stdin, zstd level 19.
src, rows, _ = write_case("stdin", 500)
with open(src, "rb") as f:
    data = f.read()
rc, so, se = convert(["--schema", SCHEMA, "--level", "19", "-",
                      os.path.join(work, "stdin.parquet")], stdin=data)
check(rc == 0, "reading stdin works", se)
readers_agree("stdin")

# 4. Over-long lines (with --max-line 1K), also as the last line without a newline.
long_name = "y" * 3000
lines = ['{"id":1,"name":"short"}', '{"id":2,"name":"%s"}' % long_name, '{"id":3}',
         '{"id":4,"name":"%s"}' % long_name]
src = os.path.join(work, "long.ndjson")
with open(src, "w") as f:
    f.write("\n".join(lines))
out = os.path.join(work, "long.parquet")
rc, so, se = convert(["--schema", SCHEMA, "--max-line", "1K", src, out])
check(rc == 2, "over-long lines are rejected (exit 2)", se)
check(f"{src}:2: line longer than 1024 bytes" in se and f"{src}:4: line longer than 1024 bytes"
      in se, "over-long lines are reported with their numbers", se)
with open(os.path.join(work, "long.expected.json"), "w") as f:
    json.dump({"format": "floe-parquet-expected/1",
               "columns": [{"name": n, "type": t, "id": i + 1, "required": r}
                           for i, (n, t, r) in enumerate(COLUMNS)],
               "rows": [["1", "short"] + [None] * 8, ["3"] + [None] * 9]}, f)
readers_agree("long")

# 5. Fatal errors exit 1 and leave no file.
bad_out = os.path.join(work, "never.parquet")
for args, what in [(["--schema", SCHEMA, os.path.join(work, "missing.ndjson"), bad_out],
                    "cannot open"),
                   (["--schema", "id lng", src, bad_out], "--schema"),
                   (["--schema", SCHEMA, "--compression", "lz4", src, bad_out], "--compression"),
                   (["--schema", SCHEMA, "--level", "0", src, bad_out], "--level"),
                   (["--schema", SCHEMA, src], "needs --schema SPEC"),
                   (["--schema", SCHEMA, src, os.path.join(work, "no-dir", "x.parquet")],
                    "cannot create")]:
    rc, so, se = convert(args)
    check(rc == 1 and what in se, f"fatal error '{what}' exits 1", f"exit {rc}: {se}")
    check(not os.path.exists(bad_out), f"no output after '{what}'")
rc, so, se = convert(["--help"])
check(rc == 0 and so.startswith("usage: floe convert"), "--help prints usage", so + se)

finish()
