"""integration.s3_tls — `floe s3 ls` refuses TLS servers it must not trust, and only those.

moto serves S3 over TLS; in front of it faultproxy.py presents, in turn, a certificate
signed by a CA floe was not given, a certificate (from the right CA) for another host name,
and an expired one (right CA, right name). Each `floe s3 ls` must exit 1 with a message that
names the certificate problem, and the proxy must see no request (and, for the untrusted and
expired chains, the handshake refused).
With the right CA and a valid certificate the listing works; with verify = false the untrusted
server is accepted and floe logs a warning.
"""
import datetime
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "process"))
sys.path.insert(0, HERE)
from faultproxy import FaultProxy  # noqa: E402
from floetest import check, finish, tmpdir  # noqa: E402
from s3clients import client, is_floe  # noqa: E402
from s3peer import Moto  # noqa: E402
from tlscerts import DAY, make_ca, make_leaf, pem_key, write_pem  # noqa: E402

# What a message naming each problem says (mbedTLS's and OpenSSL's wordings, and plain ones).
PROBLEMS = {
    "unknown CA": r"(?i)not trusted|untrusted|unknown ca|not correctly signed|issuer|self.signed",
    "other host": r"(?i)host ?name|common name|\bCN\b|not valid for|name mismatch|"
                  r"does not match",
    "expired": r"(?i)expired",
}


def leaf_files(work, name, ca, ca_key, dns, not_before, not_after):
    cert, key = make_leaf(ca, ca_key, dns, not_before, not_after)
    crt_path = write_pem(os.path.join(work, name + ".crt"), cert)
    key_path = os.path.join(work, name + ".key")
    with open(key_path, "wb") as f:
        f.write(pem_key(key))
    return crt_path, key_path


def main():
    work = tmpdir()
    try:
        with Moto(work) as s3:
            s3.create_bucket("lake")
            s3.client().put_object(Bucket="lake", Key="dir/obj", Body=b"tls")
            run_cases(work, s3)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish()


def run_cases(work, s3):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca, ca_key = make_ca("floe-test-trusted")
    ca_path = write_pem(os.path.join(work, "trusted-ca.crt"), ca)
    stranger, stranger_key = make_ca("floe-test-stranger")
    servers = {
        "unknown CA": leaf_files(work, "stranger", stranger, stranger_key, "localhost",
                                 now - DAY, now + 30 * DAY),
        "other host": leaf_files(work, "otherhost", ca, ca_key, "other.example",
                                 now - DAY, now + 30 * DAY),
        "expired": leaf_files(work, "expired", ca, ca_key, "localhost",
                              now - 30 * DAY, now - DAY),
        "valid": leaf_files(work, "valid", ca, ca_key, "localhost", now - DAY, now + 30 * DAY),
    }

    for what, (crt, key) in servers.items():
        with FaultProxy(work, s3.endpoint, upstream_ca=s3.ca_file, cert=crt, key=key) as px:
            cli = client(work, px.endpoint, ca_path, conf_name=f"tls-{what.replace(' ', '-')}",
                         extra="connect_timeout = 5s\nrequest_timeout = 10s\n")
            r = cli.ls("s3://lake/dir/")
            if what == "valid":
                check(r.rc == 0 and r.out == "3\tdir/obj\n", "right CA: ls works", r)
                check(px.attempts() >= 1 and not px.tls_errors(),
                      "right CA: the request reached the server", px.tls_errors())
                continue
            check(r.rc == 1, f"{what}: exit 1", r)
            check(re.search(r"(?i)certif|x509|tls|ssl", r.err) is not None,
                  f"{what}: the message is about the certificate", r)
            check(re.search(PROBLEMS[what], r.err) is not None,
                  f"{what}: the message names the problem ({PROBLEMS[what]})", r)
            others = [o for o in PROBLEMS if o != what and re.search(PROBLEMS[o], r.err)]
            check(not others, f"{what}: the message names no other problem", f"{others}: {r}")
            check(px.attempts() == 0, f"{what}: no request was sent", px.records())
            if what != "other host":
                # A chain that does not verify fails inside the handshake; the name may be
                # checked after it (urllib3 does), so only "no request" is required there.
                check(len(px.tls_errors()) >= 1, f"{what}: the client refused the handshake")

            if what == "unknown CA":
                insecure = client(work, px.endpoint, ca_path, conf_name="tls-noverify",
                                  extra="verify = false\nconnect_timeout = 5s\n")
                r = insecure.ls("s3://lake/dir/")
                check(r.rc == 0 and r.out == "3\tdir/obj\n",
                      "verify = false: ls works against the untrusted server", r)
                if is_floe():
                    warned = [ln for ln in r.err.splitlines()
                              if "level=warn" in ln and re.search(r"(?i)verif", ln)]
                    check(bool(warned), "verify = false: floe logs a warning", r)
                else:
                    check("InsecureRequestWarning" in r.err,
                          "verify = false: the client warns", r)


if __name__ == "__main__":
    main()
