"""tlscerts — test certificates for floe's TLS peers (needs `cryptography`).

make_ca() makes a self-signed CA; make_leaf() a server certificate for one DNS name (mbedTLS
2.28 matches DNS names only, so servers are reached as "localhost"); server_context() writes a
pair to disk and returns a server-side ssl.SSLContext; write_pem() writes a certificate alone.
"""
import datetime
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = datetime.timedelta(days=1)


def pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_ca(name):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - DAY).not_valid_after(now + 30 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def make_leaf(ca, ca_key, dns, not_before, not_after, alt=()):
    """A server certificate for dns (its CN and first subjectAltName) and the names in alt."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)]))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in (dns,) + tuple(alt)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


def server_context(work, name, cert, key):
    cpath = os.path.join(work, name + ".crt")
    kpath = os.path.join(work, name + ".key")
    with open(cpath, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(kpath, "wb") as f:
        f.write(pem_key(key))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cpath, kpath)
    return ctx


def write_pem(path, cert):
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return path


def localhost_pair(work, name="server", days=30, alt=()):
    """A fresh CA and a DNS:localhost certificate signed by it (with the names in alt too),
    written to work/name.crt and work/name.key; returns (ca_path, crt_path, key_path)."""
    ca, ca_key = make_ca(name + "-ca")
    now = datetime.datetime.now(datetime.timezone.utc)
    cert, key = make_leaf(ca, ca_key, "localhost", now - DAY, now + days * DAY, alt)
    ca_path = write_pem(os.path.join(work, name + "-ca.crt"), ca)
    crt_path = write_pem(os.path.join(work, name + ".crt"), cert)
    key_path = os.path.join(work, name + ".key")
    with open(key_path, "wb") as f:
        f.write(pem_key(key))
    return ca_path, crt_path, key_path
