"""test_pipeline_s3 — `floe run` into an s3:// warehouse while S3 fails for ~10 s mid-stream.

mock-kafka runs in its own process, moto serves S3 over TLS and the fault proxy of
tests/s3peers/faultproxy.py sits in front of it: floe's [s3] endpoint is the proxy. A users
stream (duplicates, stale and equal versions, invalid records, two days of signup_ts) is
produced at a steady rate; once floe has committed, the proxy answers EVERY request with a
fault for ~10 s — 503 SlowDown for the first half, the connection reset (TCP RST, the
request never forwarded) for the second — while production goes on; then the proxy forwards
again. The test waits until the table's floe.offsets summary covers every valid record, stops
floe with SIGTERM and checks:

  - floe never exited during the outage (the same process throughout) and exits 0;
  - the proxy refused floe's requests during the outage and floe logged the failures
    (S3 retries, and failed commits when an outage outlasts the S3 client's retries; the
    pipeline then retries the commit with the rows kept);
  - then S3 refuses every request with 403 AccessDenied, which the S3 client does not retry,
    until floe logs a failed commit; the pipeline retries that commit after the refusal ends;
  - the table, read through HTTPS from moto by icebird and the spec's scan rules
    (tests/readers/check-iceberg.mjs --s3-endpoint, unsigned GETs a bucket policy allows),
    holds exactly the latest valid version of every key; the last summary's offsets lie
    between the last valid record and the end of each partition;
  - every snapshot carries its own floe.commit-id (no batch committed twice);
  - no spooled upload is left in agent.state_dir/tmp and no multipart upload is left open.

The expected table comes from kcat and floe-produce's log (test_pipeline.py's helpers), never
from floe's code. Exits 77 (skipped) when the floe under test has no S3 client.
"""
import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "process"))
sys.path.insert(0, os.path.join(HERE, "..", "s3peers"))
from faultproxy import FaultProxy  # noqa: E402
from floetest import check, finish, tmpdir  # noqa: E402
from s3peer import ACCESS_KEY, REGION, SECRET_KEY, Moto  # noqa: E402
from test_pipeline import (COLS, TOPIC, Floe, MockKafka, Producer, expected,  # noqa: E402
                           last_changing, offsets)

CHECKER = os.path.join(HERE, "..", "readers", "check-iceberg.mjs")
BUCKET = "lake"
TABLE = "wh/db/users"
OUTAGE = 10.0        # seconds during which every request to S3 fails
SKIP = 77


def conf(work, px, group="floe-s3", flush_rows=400, shutdown=60, extra=""):
    """floe's config for the stream through the proxy px into s3://BUCKET/wh; extra (more
    [kafka] keys) follows the [kafka] section's keys."""
    path = os.path.join(work, "floe.conf")
    with open(path, "w") as f:
        f.write(f"""[kafka]
brokers = {px["bootstrap"]}
topic = {TOPIC}
group = {group}
rdkafka.session.timeout.ms = 6000
rdkafka.heartbeat.interval.ms = 500
{extra}[table]
warehouse = s3://{BUCKET}/wh
namespace = db
name = users
schema = id long required, name string, email string, signup_ts timestamptz, age int
partition = day(signup_ts), bucket(4, id)
[validate]
age = min 0, max 150
name = max_length 200
[dedup]
memory = 4M
[limits]
memory = 64M
flush_rows = {flush_rows}
flush_every = 1s
[agent]
state_dir = {work}/state
shutdown_timeout = {shutdown}s
[s3]
endpoint = {px["endpoint"]}
region = {REGION}
access_key_id = {ACCESS_KEY}
secret_access_key = {SECRET_KEY}
ca_file = {px["ca_file"]}
path_style = true
connect_timeout = 5s
request_timeout = 10s
""")
    return path


def s3_metadata(client):
    """The table's current metadata, read from moto directly (not through the proxy)."""
    try:
        hint = client.get_object(Bucket=BUCKET, Key=f"{TABLE}/metadata/version-hint.text")
        v = hint["Body"].read().decode().strip()
        obj = client.get_object(Bucket=BUCKET, Key=f"{TABLE}/metadata/v{v}.metadata.json")
        return json.loads(obj["Body"].read())
    except Exception:  # noqa: BLE001 - no table yet, or a version being written
        return None


def check_s3_table(label, work, s3, client, rows, last, ends):
    """The table on moto holds exactly rows (the latest valid version of every key: icebird and
    the spec's scan rules through HTTPS), its last summary's offsets lie between last (after
    each partition's last valid record) and ends, and no commit id repeats."""
    exp = os.path.join(work, "expected.json")
    with open(exp, "w") as f:
        json.dump({"columns": COLS, "rows": list(rows.values())}, f)
    node_env = dict(os.environ, NODE_EXTRA_CA_CERTS=s3.ca_file)
    p = subprocess.run(["node", CHECKER, f"s3://{BUCKET}/{TABLE}", exp, "--s3-endpoint",
                        s3.endpoint], capture_output=True, text=True, timeout=300, env=node_env)
    check(p.returncode == 0 and "rows by the spec's rules" in p.stdout,
          f"{label}: icebird and the spec's scan rules, through HTTPS from moto, read the "
          "latest valid version of every key", (p.stdout + p.stderr)[-3000:])
    meta = s3_metadata(client)
    got = offsets(meta)
    check(all(last.get(q, 0) <= got.get(q, -1) <= ends[q] for q in ends),
          f"{label}: the last summary's offsets lie between the last valid record and the end "
          "of each partition", f"offsets {got}, ends {ends}, last {last}")
    ids = [s["summary"].get("floe.commit-id") for s in (meta or {}).get("snapshots", [])
           if s["summary"].get("operation") != "replace"]
    check(ids and len(ids) == len(set(i for i in ids if i)),
          f"{label}: every snapshot carries its own floe.commit-id", str(ids))
    return meta


def wait_for(pred, timeout, step=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


def wait_reached(bootstrap, client, logs, timeout):
    """What the table must become from the records of the floe-produce logs — rows, ends and
    last, as expected() and last_changing() give them — once its offsets on S3 have passed,
    for every partition, the last record that changed it. Waits for that up to timeout; also
    returns whether it came, and a line saying where the offsets are."""
    rows, _, ends = expected(bootstrap, logs)
    last = last_changing(bootstrap, logs)
    ok = wait_for(lambda: all(offsets(s3_metadata(client)).get(p, 0) >= last.get(p, 0)
                              for p in ends), timeout)
    return rows, ends, last, ok, f"offsets {offsets(s3_metadata(client))}, last {last}"


def main():
    work = tmpdir()
    with Moto(work) as s3, MockKafka(brokers=1, partitions=4, topic=TOPIC) as mk:
        s3.create_bucket(BUCKET, public_read=True)  # the readers fetch unsigned
        client = s3.client()
        with FaultProxy(work, upstream=s3.endpoint, upstream_ca=s3.ca_file) as px:
            cfgp = conf(work, {"bootstrap": mk.bootstrap, "endpoint": px.endpoint,
                               "ca_file": px.ca_file})
            prod = Producer(mk.bootstrap, f"{work}/p.log", "--count", "3600", "--keys", "600",
                            "--equal", "0.03", "--invalid", "0.02", "--days", "2",
                            "--rate", "120", "--seed", "21", "--timeout", "120")
            agent = Floe(cfgp, f"{work}/floe.log")
            pid = agent.proc.pid

            # An outage only counts once floe has committed through the proxy.
            committed = wait_for(lambda: 'msg="committed"' in agent.text()
                                 or agent.proc.poll() is not None, 60)
            if agent.proc.poll() is not None and "S3 client" in agent.text():
                print(f"SKIP: this floe has no S3 client ({agent.text().strip()[-300:]})")
                sys.exit(SKIP)
            check(committed and agent.proc.poll() is None,
                  "s3 outage: floe committed to the s3:// warehouse before the outage",
                  agent.text()[-2000:])

            # The outage: every request fails, production goes on.
            mark = len(agent.text())
            px.clear()
            px.fault("slowdown", times=None)
            time.sleep(OUTAGE / 2)
            alive_mid = agent.proc.poll() is None
            px_refused_first = [r for r in px.records() if r["action"] == "slowdown"]
            px.clear()
            px.fault("reset", times=None)
            time.sleep(OUTAGE / 2)
            refused = [r for r in px.records() if r["action"] == "reset"]
            px.clear()
            healed = len(agent.text())
            during = agent.text()[mark:]
            check(alive_mid and agent.proc.poll() is None and agent.proc.pid == pid,
                  "s3 outage: floe kept running (same process) through the outage",
                  agent.text()[-2000:])
            # How many requests each half saw depends on where the S3 client's jittered
            # backoff falls, so only the outage as a whole must have refused some.
            check(len(px_refused_first) + len(refused) > 0,
                  "s3 outage: the proxy refused floe's requests during it",
                  f"{len(px_refused_first)} answered 503, {len(refused)} connections reset")
            # The S3 client retries a request a bounded number of times; what outlasts that
            # fails the commit, which the pipeline retries with its own backoff. Either way
            # the failures are in the log.
            s3_retries = during.count('msg="retrying"')
            commit_failures = during.count("commit failed")
            print(f"during the outage: {len(px_refused_first)} requests answered 503, "
                  f"{len(refused)} connections reset; floe logged {s3_retries} S3 retries and "
                  f"{commit_failures} failed commits")
            check(s3_retries + commit_failures > 0,
                  "s3 outage: floe logged the failures (S3 retries or failed commits)",
                  during[-2000:])

            # Then S3 refuses with 403 AccessDenied, which the S3 client does not retry: the
            # commit under way fails and the pipeline retries it itself, the rows kept. The
            # refusal lasts until floe has logged a failed commit.
            mark = len(agent.text())
            px.fault("error", status=403, code="AccessDenied", times=None)
            failed = wait_for(lambda: "commit failed" in agent.text()[mark:], 60)
            denied = [r for r in px.records() if r["action"] == "error"]
            px.clear()
            healed = len(agent.text())
            print(f"AccessDenied phase: {len(denied)} requests refused with 403")
            check(failed and agent.proc.poll() is None and agent.proc.pid == pid,
                  "s3 refusal: a commit refused by S3 fails, is logged, and floe keeps running",
                  agent.text()[mark:][-2000:])

            # SIGHUP with rotated credentials (moto takes any key): the table is reopened with
            # them, and every request after that is signed with the new key.
            rotated = "AKIDROTATED"
            with open(cfgp) as f:
                text = f.read()
            with open(cfgp, "w") as f:
                f.write(text.replace(f"access_key_id = {ACCESS_KEY}", f"access_key_id = {rotated}"))
            mark = len(agent.text())
            agent.signal(signal.SIGHUP)
            reopened = wait_for(lambda: "table reopened" in agent.text()[mark:], 60)
            check(reopened, "SIGHUP with new S3 credentials reopens the table",
                  agent.text()[mark:][-2000:])
            t_reopen = time.monotonic()
            signed = wait_for(lambda: any(r["access_key"] == rotated and r["time"] > t_reopen
                                          for r in px.records()), 60)
            old_after = [r for r in px.records()
                         if r["time"] > t_reopen + 0.5 and r["access_key"] == ACCESS_KEY]
            check(signed and not old_after,
                  "requests after the reload are signed with the rotated access key",
                  f"{len(old_after)} requests still with the old key")

            prod.join()
            check(prod.rc == 0, "s3 outage: floe-produce delivered every record",
                  prod.out[-500:])
            rows, ends, last, caught_up, where = wait_reached(mk.bootstrap, client,
                                                              [f"{work}/p.log"], 120)
            check(caught_up and agent.proc.poll() is None and agent.proc.pid == pid,
                  "s3 outage: the same floe catches up after the outage",
                  where + "\n"
                  + agent.text()[-2000:])
            after = agent.text()[healed:]
            check('msg="committed"' in after,
                  "s3 outage: floe committed again after the failures", after[-2000:])

            agent.signal(signal.SIGTERM)
            rc = agent.wait(90)
            check(rc == 0, "s3 outage: floe exits 0 on SIGTERM", agent.text()[-2000:])

        # The proxy is gone; the readers go to moto directly.
        check_s3_table("s3 outage", work, s3, client, rows, last, ends)
        spool = os.path.join(work, "state", "tmp")
        check(not os.path.isdir(spool) or not os.listdir(spool),
              "s3 outage: no spooled upload is left in agent.state_dir/tmp",
              str(os.listdir(spool)) if os.path.isdir(spool) else "")
        open_uploads = client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])
        check(not open_uploads, "s3 outage: no multipart upload is left open",
              str([u["Key"] for u in open_uploads]))


if __name__ == "__main__":
    main()
    finish()
