"""test_static — the FLOE_STATIC link: a build tree configured with -DFLOE_STATIC=ON (inside
this build's directory) links floe, which runs `floe version`, and what it still needs at run
time is only what the README says stays shared: cJSON and Cyrus SASL (no static archives on
Debian) and libc. The dynamic floe of this build, which needs librdkafka and the others, is
rejected by the same check.

usage: test_static.py C_COMPILER"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import FLOE, check, finish  # noqa: E402

SOURCE = os.environ["FLOE_SOURCE"]
BUILD = os.path.join(os.environ["FLOE_BUILD"], "static-check")
CC = sys.argv[1]
# Shared libraries a FLOE_STATIC floe may need: no archive on Debian, or libc itself.
ALLOWED = re.compile(r"lib(cjson|sasl2|c|m|pthread|dl|rt)\.so\.\d+|ld-linux[-\w.]*\.so\.\d+")


def needed(path):
    p = subprocess.run(["readelf", "-d", path], capture_output=True, text=True)
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", p.stdout)


def unexpected(libs):
    return [lib for lib in libs if not ALLOWED.fullmatch(lib)]


p = subprocess.run(["cmake", "-S", SOURCE, "-B", BUILD, "-DFLOE_STATIC=ON", "-DFLOE_WERROR=ON",
                    "-DCMAKE_BUILD_TYPE=MinSizeRel", "-DFLOE_SIZE=ON", f"-DCMAKE_C_COMPILER={CC}"],
                   capture_output=True, text=True)
check(p.returncode == 0, "cmake configures a FLOE_STATIC tree", p.stderr[-2000:])
if p.returncode != 0:
    finish()
p = subprocess.run(["cmake", "--build", BUILD, "-j2", "--target", "floe"],
                   capture_output=True, text=True)
check(p.returncode == 0, "the FLOE_STATIC floe links", (p.stdout + p.stderr)[-3000:])
if p.returncode != 0:
    finish()
floe = os.path.join(BUILD, "floe")
p = subprocess.run([floe, "version"], capture_output=True, text=True, timeout=30)
check(p.returncode == 0 and "librdkafka" in p.stdout, "the FLOE_STATIC floe runs floe version",
      p.stdout + p.stderr)
check("running" not in p.stdout,
      "floe runs the library versions it was built with (one cJSON: Debian's)", p.stdout)
libs = needed(floe)
print("FLOE_STATIC floe needs:", " ".join(libs))
check(libs and not unexpected(libs), "only cJSON, SASL and libc stay shared",
      " ".join(unexpected(libs)))
check(any(lib.startswith("libcjson.so") for lib in libs),
      "cJSON is Debian's shared library, not librdkafka's bundled copy")
check(unexpected(needed(FLOE)), "the dynamic floe fails the same check (it can fail)",
      " ".join(needed(FLOE)))
finish()
