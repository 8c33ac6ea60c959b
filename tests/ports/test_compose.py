"""test_compose — docker-compose.yaml runs the whole pipeline, without a Docker engine.

Debian's docker-compose (v1.29) must accept the file (`docker-compose config`); the resolved
file must have every service floe needs, each in its role: Kafka in KRaft mode from a pinned
apache/kafka image with a one-shot service creating the users topic, MinIO with a one-shot service creating the bucket, floe built from
ports/docker/Dockerfile and run with /etc/floe/floe.conf, the sample producer from the same
image, and Spark reading the table through Iceberg's Hadoop catalog on S3A; healthchecks and
depends_on conditions order the start. ports/docker/floe.conf must pass `floe check` with the
environment the compose file gives floe, and point at the compose file's bucket and MinIO. The
Dockerfile must be multi-stage on Debian 12 and install only Debian packages tools/setup knows
(build stage) or that those packages bring in (run stage).

The checks run on the real file and, to show they catch what they are for, on copies with a
service taken out or a piece changed: each copy must be rejected."""
import base64
import copy
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from floetest import check, finish, run  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
COMPOSE = os.path.join(ROOT, "docker-compose.yaml")
DOCKERFILE = os.path.join(ROOT, "ports", "docker", "Dockerfile")
FLOE_CONF = os.path.join(ROOT, "ports", "docker", "floe.conf")
SPARK_CONF = os.path.join(ROOT, "ports", "docker", "spark", "spark-defaults.conf")

# Variables the compose file reads from the environment: unset, so its defaults are checked.
COMPOSE_VARS = ["MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "FLOE_BUCKET",
                "FLOE_PRODUCE_COUNT", "FLOE_PRODUCE_RATE", "FLOE_PRODUCE_KEYS"]


def load_yaml(text):
    """Parses YAML: PyYAML here if this Python has it, else the Python docker-compose runs on
    (PyYAML is one of its dependencies)."""
    try:
        import yaml
        return yaml.safe_load(text)
    except ImportError:
        with open(shutil.which("docker-compose")) as f:
            interpreter = f.readline()[2:].strip().split()
        p = subprocess.run(interpreter + ["-c", "import json, sys, yaml; "
                                          "json.dump(yaml.safe_load(sys.stdin), sys.stdout)"],
                           input=text, capture_output=True, text=True, check=True)
        return json.loads(p.stdout)


def pinned(image):
    """An image named with a tag that is not `latest`."""
    name, _, tag = (image or "").rpartition(":")
    return bool(name) and "/" not in tag and tag not in ("", "latest")


def command_text(svc):
    parts = []
    for key in ("entrypoint", "command"):
        v = svc.get(key)
        if isinstance(v, list):
            parts += [str(x) for x in v]
        elif v:
            parts.append(str(v))
    return " ".join(parts)


def condition(svc, dep):
    dep_on = svc.get("depends_on") or {}
    if isinstance(dep_on, list):
        return "service_started" if dep in dep_on else None
    entry = dep_on.get(dep)
    return None if entry is None else (entry or {}).get("condition", "service_started")


def waits_for(services, name, target, want, seen=None):
    """Whether service name waits, directly or through services it waits on, for target with
    condition want ("service_healthy" or "service_completed_successfully")."""
    seen = seen or set()
    if name in seen or name not in services:
        return False
    seen.add(name)
    for dep in (services[name].get("depends_on") or {}):
        cond = condition(services[name], dep)
        if dep == target and cond == want:
            return True
        if cond in ("service_healthy", "service_completed_successfully") and \
                waits_for(services, dep, target, want, seen):
            return True
    return False


def find(services, pred):
    return [n for n, s in services.items() if pred(n, s)]


def problems(cfg):
    """Everything wrong with a resolved compose file, as a list of sentences (empty: none)."""
    out = []
    services = (cfg or {}).get("services") or {}

    # Healthchecks behind every service_healthy condition; pinned images everywhere.
    for n, s in services.items():
        if "image" in s and "build" not in s and not pinned(s["image"]):
            out.append(f"{n}: image {s.get('image')} is not pinned to a tag")
        for dep in (s.get("depends_on") or {}):
            if dep not in services:
                out.append(f"{n} depends on {dep}, which is not a service")
            elif condition(s, dep) == "service_healthy" and \
                    not (services[dep].get("healthcheck") or {}).get("test"):
                out.append(f"{n} waits for {dep} to be healthy, which has no healthcheck")

    # Kafka: the official image, one node in KRaft mode (broker and controller), no ZooKeeper.
    kafka = find(services, lambda n, s: str(s.get("image", "")).startswith("apache/kafka:")
                 and "KAFKA_PROCESS_ROLES" in (s.get("environment") or {}))
    if len(kafka) != 1:
        out.append(f"one Kafka service from apache/kafka with KAFKA_PROCESS_ROLES: {kafka}")
    else:
        k = services[kafka[0]]
        env = k.get("environment") or {}
        roles = set(str(env.get("KAFKA_PROCESS_ROLES", "")).split(","))
        if roles != {"broker", "controller"}:
            out.append(f"Kafka is not broker and controller (KRaft combined): {roles}")
        if not env.get("KAFKA_CONTROLLER_QUORUM_VOTERS") or \
                "CONTROLLER" not in str(env.get("KAFKA_CONTROLLER_LISTENER_NAMES", "")):
            out.append("Kafka has no KRaft controller quorum or controller listener")
        if any("ZOOKEEPER" in key for key in env):
            out.append("Kafka is configured for ZooKeeper")
        cid = str(env.get("CLUSTER_ID", ""))
        try:
            ok = len(cid) == 22 and len(base64.urlsafe_b64decode(cid + "==")) == 16
        except ValueError:
            ok = False
        if not ok:
            out.append(f"Kafka's CLUSTER_ID {cid!r} is not a base64url 16-byte id")
        if not (k.get("healthcheck") or {}).get("test"):
            out.append("Kafka has no healthcheck")

    # MinIO and the bucket, created once MinIO is healthy.
    minio = find(services, lambda n, s: str(s.get("image", "")).startswith("minio/minio:")
                 and "server" in command_text(s))
    bucket_svc = find(services, lambda n, s: "mc mb" in command_text(s))
    bucket = None
    if len(minio) != 1:
        out.append(f"one MinIO server service: {minio}")
    elif not (services[minio[0]].get("healthcheck") or {}).get("test"):
        out.append("MinIO has no healthcheck")
    if len(bucket_svc) != 1:
        out.append(f"one service creating the bucket with `mc mb`: {bucket_svc}")
    elif minio:
        b = services[bucket_svc[0]]
        bucket = (b.get("environment") or {}).get("FLOE_BUCKET")
        if condition(b, minio[0]) != "service_healthy":
            out.append("the bucket is not created after MinIO is healthy")
        if not bucket or "$FLOE_BUCKET" not in command_text(b):
            out.append("the bucket service does not create FLOE_BUCKET")

    # floe, built from this repository by ports/docker/Dockerfile.
    floe = find(services, lambda n, s: isinstance(s.get("build"), dict)
                and s["build"].get("dockerfile") == "ports/docker/Dockerfile"
                and not command_text(s).startswith("floe-produce "))
    if len(floe) != 1:
        out.append(f"one service built from ports/docker/Dockerfile: {floe}")
        return out
    fname = floe[0]
    f = services[fname]
    if os.path.realpath(f["build"].get("context", "")) != os.path.realpath(ROOT):
        out.append(f"floe's build context is not the repository: {f['build'].get('context')}")
    if command_text(f) != "floe run -c /etc/floe/floe.conf":
        out.append(f"floe does not run `floe run -c /etc/floe/floe.conf`: {command_text(f)}")
    if kafka and not waits_for(services, fname, kafka[0], "service_healthy"):
        out.append("floe does not wait for Kafka to be healthy")
    topic = find(services, lambda n, s: "kafka-topics.sh" in command_text(s)
                 and "--create" in command_text(s))
    if len(topic) != 1 or "--topic users " not in command_text(services[topic[0]]) + " " or \
            not waits_for(services, fname, topic[0], "service_completed_successfully"):
        out.append(f"floe does not wait for a service creating the users topic: {topic}")
    if bucket_svc and not waits_for(services, fname, bucket_svc[0],
                                    "service_completed_successfully"):
        out.append("floe does not wait for the bucket to be created")
    fenv = {k: str(v) for k, v in (f.get("environment") or {}).items()}
    minio_env = (services[minio[0]].get("environment") or {}) if len(minio) == 1 else {}
    if fenv.get("AWS_ACCESS_KEY_ID") != minio_env.get("MINIO_ROOT_USER") or \
            fenv.get("AWS_SECRET_ACCESS_KEY") != minio_env.get("MINIO_ROOT_PASSWORD"):
        out.append("floe's S3 credentials are not MinIO's")
    if bucket and fenv.get("FLOE_BUCKET") != bucket:
        out.append("floe's FLOE_BUCKET is not the bucket created")

    # The producer: floe-produce from floe's image, after floe has started.
    prod = find(services, lambda n, s: command_text(s).startswith("floe-produce "))
    if len(prod) != 1:
        out.append(f"one producer service running floe-produce: {prod}")
    else:
        p = services[prod[0]]
        args = command_text(p).split()
        opt = {args[i]: args[i + 1] for i in range(1, len(args) - 1) if args[i].startswith("--")}
        if p.get("image") != f.get("image") or p.get("build", f["build"]) != f["build"]:
            out.append("the producer does not use floe's image")
        if opt.get("--topic") != "users":
            out.append(f"the producer does not produce the users topic: {opt.get('--topic')}")
        if kafka and opt.get("--brokers") != f"{kafka[0]}:9092":
            out.append(f"the producer's brokers are not Kafka's: {opt.get('--brokers')}")
        if condition(p, fname) is None:
            out.append("the producer does not start after floe")

    # The query engine: Spark with the Iceberg runtime and spark-defaults.conf mounted.
    spark = find(services, lambda n, s: str(s.get("image", "")).startswith("apache/spark:"))
    if len(spark) != 1:
        out.append(f"one query engine service (apache/spark): {spark}")
    else:
        s = services[spark[0]]
        mounts = [str(v) for v in s.get("volumes") or []]
        if not any(os.path.realpath(m.split(":")[0]) == os.path.realpath(SPARK_CONF)
                   for m in mounts):
            out.append("spark does not mount ports/docker/spark/spark-defaults.conf")
        if not (s.get("healthcheck") or {}).get("test"):
            out.append("spark has no healthcheck")
        if bucket_svc and not waits_for(services, spark[0], bucket_svc[0],
                                        "service_completed_successfully"):
            out.append("spark does not wait for the bucket")
        if "s3a://$FLOE_BUCKET/warehouse" not in command_text(s).replace("$$", "$"):
            out.append("spark's catalog warehouse is not s3a://$FLOE_BUCKET/warehouse")
    return out


def dockerfile_problems(text, setup_debs, depends_of):
    """depends_of: {package of setup_debs: the packages it depends on}."""
    """What is wrong with the Dockerfile: stages, base, packages, what the image runs."""
    out = []
    lines = re.sub(r"\\\n", " ", text).splitlines()
    froms = [ln.split()[1] for ln in lines if ln.startswith("FROM ")]
    if len(froms) < 2:
        out.append(f"the Dockerfile is not multi-stage: {froms}")
    if not all(re.fullmatch(r"debian:(12|bookworm)[-.\w]*", b) for b in froms):
        out.append(f"not every stage is Debian 12: {froms}")
    stage = -1
    stage_pkgs = []
    for ln in lines:
        if ln.startswith("FROM "):
            stage += 1
            stage_pkgs.append([])
        for m in re.finditer(r"apt-get install ((?:\s*-\S+)*)((?:\s+[a-z0-9][a-z0-9.+:-]*)+)", ln):
            stage_pkgs[stage] += m.group(2).split()
    if not stage_pkgs or not stage_pkgs[0] or not stage_pkgs[-1]:
        out.append("the stages install no Debian packages")
        return out
    for p in stage_pkgs[0]:
        if p not in setup_debs:
            out.append(f"build stage installs {p}, which tools/setup does not")
    brought = set(setup_debs)
    for deps in depends_of.values():
        brought |= deps
    for p in stage_pkgs[-1]:
        if p not in brought:
            out.append(f"run stage installs {p}, neither in tools/setup nor a dependency of it")
    for lib in ["build-essential", "cmake"]:
        if lib in stage_pkgs[-1]:
            out.append(f"the run image carries {lib}")
    if "cmake --build" not in text:
        out.append("the build stage does not build with cmake")
    if not re.search(r"COPY --from=\S+ .*/floe .*/floe-produce ", text):
        out.append("floe and floe-produce are not copied from the build stage")
    if "COPY ports/docker/floe.conf /etc/floe/floe.conf" not in text:
        out.append("the image has no /etc/floe/floe.conf from ports/docker/")
    if 'CMD ["floe", "run", "-c", "/etc/floe/floe.conf"]' not in text:
        out.append("the image does not run floe run -c /etc/floe/floe.conf")
    return out


def setup_packages():
    with open(os.path.join(ROOT, "tools", "setup")) as f:
        m = re.search(r"^debs=\((.*?)^\)", f.read(), re.S | re.M)
    return m.group(1).split() if m else []


def apt_depends(pkgs):
    """What each of pkgs depends on (one level, architecture qualifiers dropped), from apt's
    cache, in one apt-cache call: {package: set of packages}."""
    p = subprocess.run(["apt-cache", "depends", "--no-recommends", "--no-suggests",
                        "--no-enhances", "--no-breaks", "--no-conflicts", "--no-replaces"]
                       + list(pkgs), capture_output=True, text=True)
    deps = {}
    current = None
    for line in p.stdout.splitlines():
        if not line.startswith(" "):
            current = deps.setdefault(line.strip().split(":")[0], set())
        elif current is not None:
            m = re.match(r"\s*\|?Depends: <?([^\s>]+)>?", line)
            if m:
                current.add(m.group(1).split(":")[0])
    return deps


# --- the compose file as Debian's docker-compose resolves it ---------------------------------
dc = shutil.which("docker-compose")
check(dc is not None, "docker-compose is installed (tools/setup installs it)")
if dc is None:
    finish()
env = {k: v for k, v in os.environ.items() if k not in COMPOSE_VARS and not
       k.startswith("COMPOSE_")}
p = subprocess.run([dc, "-f", COMPOSE, "--project-directory", ROOT, "config"],
                   capture_output=True, text=True, env=env)
check(p.returncode == 0, "docker-compose config accepts docker-compose.yaml", p.stderr)
if p.returncode != 0:
    finish()
cfg = load_yaml(p.stdout)
with open(COMPOSE) as f:
    raw = load_yaml(f.read())
check("version" not in raw, "no top-level version key (obsolete in Compose v2)")

found = problems(cfg)
check(not found, "docker-compose.yaml has every service in its role", "\n    ".join(found))

# The checks can fail: each piece taken out or changed is caught.
services = cfg["services"]
roles = {
    "Kafka": lambda s: str(s.get("image", "")).startswith("apache/kafka:")
    and "KAFKA_PROCESS_ROLES" in (s.get("environment") or {}),
    "MinIO": lambda s: str(s.get("image", "")).startswith("minio/minio:")
    and "server" in command_text(s),
    "bucket": lambda s: "mc mb" in command_text(s),
    "topic": lambda s: "kafka-topics.sh" in command_text(s),
    "floe": lambda s: isinstance(s.get("build"), dict)
    and not command_text(s).startswith("floe-produce "),
    "producer": lambda s: command_text(s).startswith("floe-produce "),
    "query engine": lambda s: str(s.get("image", "")).startswith("apache/spark:"),
}
for role, pred in roles.items():
    names = [n for n, s in services.items() if pred(s)]
    check(len(names) == 1, f"exactly one {role} service", str(names))
    broken = copy.deepcopy(cfg)
    for n in names:
        del broken["services"][n]
        for s in broken["services"].values():
            if isinstance(s.get("depends_on"), dict):
                s["depends_on"].pop(n, None)
    check(problems(broken), f"a compose file without the {role} service is rejected")


def mutated(change):
    c = copy.deepcopy(cfg)
    change(c["services"])
    return problems(c)


kafka_name = [n for n, s in services.items() if roles["Kafka"](s)][0]
floe_name = [n for n, s in services.items() if roles["floe"](s)][0]
check(mutated(lambda s: s[kafka_name]["environment"].update(KAFKA_PROCESS_ROLES="broker")),
      "a Kafka that is not its own KRaft controller is rejected")
check(mutated(lambda s: s[kafka_name].pop("healthcheck")),
      "a Kafka without a healthcheck is rejected")
check(mutated(lambda s: s[floe_name].update(depends_on={})),
      "a floe that does not wait for Kafka and the bucket is rejected")
check(mutated(lambda s: s[kafka_name].update(image="apache/kafka:latest")),
      "an image on :latest is rejected")

# --- floe's config: valid with the environment compose gives floe, aimed at MinIO -----------
fenv = {k: str(v) for k, v in (services[floe_name].get("environment") or {}).items()}
rc, out, err = run(["check", "-c", FLOE_CONF], env={"PATH": os.environ.get("PATH", "")} | fenv)
check(rc == 0, "ports/docker/floe.conf passes floe check with floe's compose environment", err)
bucket = fenv.get("FLOE_BUCKET", "")
norm = {}
section = ""
for line in out.splitlines():
    if line.startswith("["):
        section = line.strip("[]")
    elif " = " in line:
        k, v = line.split(" = ", 1)
        norm[f"{section}.{k}"] = v.split("    #")[0].strip()
for key, want in [("table.warehouse", f"s3://{bucket}/warehouse"),
                  ("table.namespace", "db"), ("table.name", "users"),
                  ("kafka.topic", "users"), ("kafka.brokers", f"{kafka_name}:9092"),
                  ("s3.endpoint", "http://minio:9000"), ("s3.path_style", "true"),
                  ("s3.access_key_id", "********"), ("s3.secret_access_key", "********")]:
    check(norm.get(key) == want, f"floe's {key} is {want}", f"got {norm.get(key)!r}")
rc, out, err = run(["check", "-c", FLOE_CONF], env={"PATH": os.environ.get("PATH", "")})
check(rc != 0 and "AWS_ACCESS_KEY_ID" in err,
      "without the compose environment the config is rejected (credentials come from it)", err)
with open(FLOE_CONF) as f:
    conf_text = f.read()
check("${AWS_ACCESS_KEY_ID}" in conf_text and "${AWS_SECRET_ACCESS_KEY}" in conf_text,
      "floe.conf takes the S3 credentials from the environment")

# --- Spark's catalog: Iceberg's Hadoop catalog over S3A on MinIO -----------------------------
with open(SPARK_CONF) as f:
    spark = dict(ln.split(None, 1) for ln in f.read().splitlines()
                 if ln.strip() and not ln.startswith("#"))
spark = {k: v.strip() for k, v in spark.items()}
check("org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:" in spark.get("spark.jars.packages", "")
      and "org.apache.hadoop:hadoop-aws:" in spark.get("spark.jars.packages", ""),
      "Spark loads the Iceberg runtime and hadoop-aws")
for key, want in [("spark.sql.catalog.floe", "org.apache.iceberg.spark.SparkCatalog"),
                  ("spark.sql.catalog.floe.type", "hadoop"),
                  ("spark.sql.defaultCatalog", "floe"),
                  ("spark.hadoop.fs.s3.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem"),
                  ("spark.hadoop.fs.s3a.endpoint", "http://minio:9000"),
                  ("spark.hadoop.fs.s3a.path.style.access", "true")]:
    check(spark.get(key) == want, f"spark-defaults.conf sets {key} {want}", spark.get(key))

# --- the Dockerfile ---------------------------------------------------------------------------
with open(DOCKERFILE) as f:
    dtext = f.read()
debs = setup_packages()
check("docker-compose" in debs, "tools/setup installs docker-compose")
deps = apt_depends(debs)
check(len(deps) == len(set(debs)), "apt knows every package of tools/setup",
      " ".join(sorted(set(debs) - set(deps))))
found = dockerfile_problems(dtext, debs, deps)
check(not found, "ports/docker/Dockerfile: Debian 12, multi-stage, packages tools/setup knows",
      "\n    ".join(found))
check(dockerfile_problems(dtext.replace("node-llhttp", "node-llhttp curl", 1), debs,
                          deps),
      "a build-stage package tools/setup does not know is rejected")
check(dockerfile_problems(dtext.replace("ca-certificates", "ca-certificates openjdk-17-jre", 1),
                          debs, deps),
      "a run-stage package nothing in tools/setup brings is rejected")
finish()
