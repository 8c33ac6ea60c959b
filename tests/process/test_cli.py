"""test_cli — floe's command line: `check` exit codes and messages for good and bad configs,
`version`, `help` and `--help` on every subcommand, usage errors."""
import os
import re

from floetest import check, finish, run, tmpdir

work = tmpdir()


def conf(name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


GOOD = """[kafka]
topic = users
[table]
warehouse = s3://bucket/warehouse
namespace = db
schema = id long required, name string, email string, signup_ts timestamptz, age int
partition = day(signup_ts), bucket(16, id)
[s3]
secret_access_key = topsecretvalue
"""

rc, out, err = run(["check", "-c", conf("good.conf", GOOD)])
check(rc == 0, "check exits 0 on a good config", err)
check("secret_access_key = ********" in out and "topsecretvalue" not in out,
      "check masks secrets", out)
check("memory = 64M    # default" in out, "check prints defaults, marked", out)

# Each kind of bad config exits 1 naming file, line and reason.
bad_cases = [
    ("section", GOOD + "[kafak]\n", ":10: unknown section [kafak]; did you mean [kafka]?"),
    ("key", GOOD + "regoin = x\n", ":10: unknown key 'regoin' in [s3]; did you mean 'region'?"),
    ("size", GOOD + "[limits]\nmemory = 12 apples\n", ":11: limits.memory: '12 apples'"),
    ("duration", GOOD + "[limits]\nflush_every = 10\n", ":11: limits.flush_every: '10'"),
    ("bool", GOOD + "verify = sometimes\n", ":10: s3.verify: 'sometimes' is not true or false"),
    ("enum", GOOD + "[agent]\nlog_level = chatty\n", ":11: agent.log_level: 'chatty'"),
    ("env", GOOD + "region = ${FLOE_CLI_UNSET_VAR}\n", ":10: environment variable"),
    ("quote", GOOD + "region = \"eu\n", ":10: unterminated double quote"),
    ("syntax", GOOD + "region\n", ":10: expected `key = value`"),
    ("schema", GOOD.replace("age int", "age integer"), ":6: table.schema: column 'age'"),
    ("partition", GOOD.replace("bucket(16, id)", "bucket(16, nope)"), ":7: table.partition"),
    ("required", "[kafka]\ntopic = users\n", ":2: table.warehouse is required"),
    ("duplicate", GOOD + "region = a\nregion = b\n", ":11: s3.region is already set on line 10"),
]
for name, text, want in bad_cases:
    path = conf(f"bad-{name}.conf", text)
    rc, out, err = run(["check", "-c", path])
    check(rc == 1, f"check exits 1 on a bad {name}", f"exit {rc}")
    check(f"{path}{want}" in err, f"check names file:line and reason for a bad {name}", err)

# Several errors in one file are all reported.
path = conf("many.conf", GOOD + "[limits]\nmemory = x\nflush_rows = y\n[agent]\nlog_level = z\n")
rc, out, err = run(["check", "-c", path])
check(rc == 1 and len(re.findall(re.escape(path) + r":\d+: ", err)) == 3 and "3 errors" in err,
      "all errors reported", err)

rc, out, err = run(["check", "-c", os.path.join(work, "missing.conf")])
check(rc == 1 and "cannot read config" in err, "missing file exits 1", err)

# --env-file feeds ${VAR}.
envf = conf("vars.env", "FLOE_CLI_REGION=ap-south-1\n")
path = conf("env.conf", GOOD + "region = ${FLOE_CLI_REGION}\n")
rc, out, err = run(["check", "-c", path, "--env-file", envf])
check(rc == 0 and "region = ap-south-1" in out, "--env-file values expand", err)
rc, out, err = run(["check", "-c", path])
check(rc == 1 and "FLOE_CLI_REGION is not set" in err, "without the env file it fails", err)

rc, out, err = run(["version"])
check(rc == 0 and out.startswith("floe "), "version prints floe's version", out)
for lib in ("libuv", "librdkafka", "mbedTLS", "zstd", "cJSON", "llhttp"):
    check(any(line.split()[0] == lib and len(line.split()) > 1 for line in out.splitlines()),
          f"version names {lib}", out)

for cmd in ("run", "check", "version", "help"):
    rc, out, err = run([cmd, "--help"])
    check(rc == 0 and out.startswith("usage: floe " + cmd), f"{cmd} --help", out + err)
rc, out, err = run(["help", "config"])
check(rc == 0 and "#### [kafka]" in out and "| `secret_access_key` |" in out, "help config", out)
# The README's reference is the key table's, word for word.
readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
begin, end = "<!-- config-reference:begin -->\n", "<!-- config-reference:end -->"
section = readme[readme.index(begin) + len(begin):readme.index(end)] if begin in readme else ""
check(section == out, "README's config reference matches 'floe help config' "
      "(regenerate it from that command)")

rc, out, err = run([])
check(rc == 2, "no command is a usage error")
rc, out, err = run(["frobnicate"])
check(rc == 2 and "unknown command" in err, "unknown command exits 2", err)
rc, out, err = run(["check"])
check(rc == 2 and "missing -c FILE" in err, "check without -c exits 2", err)
rc, out, err = run(["check", "-c", path, "--bogus"])
check(rc == 2 and "unexpected argument" in err, "unknown option exits 2", err)

finish()
