"""test_ports — what ships for the boards: ports/floe.conf is exactly `floe help
config-example` (every key, documented) and passes `floe check`; the systemd unit passes
`systemd-analyze verify`, runs floe run with the shipped paths, reloads with SIGHUP and is
hardened."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import FLOE, check, finish, run, tmpdir  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
conf = os.path.join(ROOT, "ports", "floe.conf")
unit = os.path.join(ROOT, "ports", "systemd", "floe.service")

rc, out, err = run(["help", "config-example"])
with open(conf) as f:
    shipped = f.read()
check(rc == 0 and shipped == out, "ports/floe.conf is `floe help config-example` (regenerate it)")
rc, out, err = run(["check", "-c", conf])
check(rc == 0, "the example config is valid", err)
for line in run(["help", "config"])[1].splitlines():
    if line.startswith("| `") and not line.startswith(("| `rdkafka", "| `<")):
        key = line.split("`")[1]
        check(f"{key} = " in shipped, f"the example has {key}")

with open(unit) as f:
    text = f.read()
for directive in ["ExecStart=/usr/local/bin/floe run -c /etc/floe/floe.conf",
                  "ExecReload=/bin/kill -HUP $MAINPID", "NoNewPrivileges=yes",
                  "ProtectSystem=strict", "StateDirectory=floe", "DynamicUser=yes"]:
    check(directive in text, f"the unit has {directive}")
if shutil.which("systemd-analyze"):
    work = tmpdir()
    local = os.path.join(work, "floe.service")
    with open(local, "w") as f:  # the unit as installed, with floe where this build has it
        f.write(text.replace("/usr/local/bin/floe", os.path.abspath(FLOE)))
    p = subprocess.run(["systemd-analyze", "verify", local], capture_output=True, text=True)
    check(p.returncode == 0 and "floe.service" not in p.stderr,
          "systemd-analyze verify accepts the unit", p.stderr)
else:
    print("systemd-analyze is not installed: the unit was checked by its directives only")
finish()
