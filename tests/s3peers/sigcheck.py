"""sigcheck — verifies each request's AWS SigV4 signature with botocore's own signer.

SigV4Check(keys, region) is a `check` for faultproxy.FaultProxy: for every request it parses
the Authorization header (AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/s3/aws4_request,
SignedHeaders=..., Signature=...), rebuilds the request botocore would sign — same method,
the URL exactly as sent (path and query, no re-encoding), only the headers the client listed
in SignedHeaders, the client's x-amz-date as the signing time — and has
botocore.auth.S3SigV4Auth compute the canonical request, the string to sign and the
signature with the secret key it knows for that access key. A signature that differs is
answered 403 SignatureDoesNotMatch; so are a missing or malformed Authorization header, an
unsigned host or x-amz-date, and a credential scope whose date or region disagrees. An
unknown access key is answered 403 InvalidAccessKeyId. The body must match
x-amz-content-sha256 unless that is UNSIGNED-PAYLOAD (400 XAmzContentSHA256Mismatch); the
chunk signatures of STREAMING-* (aws-chunked) bodies are not checked.
Requests that pass go on to the server; `passed` and `rejected` count them.
"""
import hashlib
import re
import threading

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

AUTH_RX = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/,\s]+)/s3/aws4_request,"
                     r"\s*SignedHeaders=([a-z0-9;\-]+),\s*Signature=([0-9a-f]{64})$")


class _Signer(S3SigV4Auth):
    """botocore's S3 signer, signing exactly the headers given (botocore itself leaves a few,
    such as user-agent and expect, out of what it signs; a client may sign them)."""

    def headers_to_sign(self, request):
        out = HTTPHeaders()
        for name, value in request.headers.items():
            out[name.lower()] = value
        return out


class SigV4Check:
    def __init__(self, keys, region):
        self.keys = dict(keys)          # access key id -> secret access key
        self.region = region
        self.lock = threading.Lock()
        self.passed = 0
        self.rejected = []              # (method, path, reason)

    def _reject(self, req, status, code, reason):
        with self.lock:
            self.rejected.append((req.method, req.path, reason))
        return status, code, reason

    def __call__(self, req):
        auth = req.header("Authorization")
        m = AUTH_RX.match(auth or "")
        if not m:
            return self._reject(req, 403, "SignatureDoesNotMatch",
                                f"malformed or missing Authorization: {auth!r}")
        access, day, region, signed, signature = m.groups()
        if access not in self.keys:
            return self._reject(req, 403, "InvalidAccessKeyId",
                                f"unknown access key {access}")
        names = signed.split(";")
        if names != sorted(names) or "host" not in names or "x-amz-date" not in names:
            return self._reject(req, 403, "SignatureDoesNotMatch",
                                f"SignedHeaders must be sorted and hold host and x-amz-date: "
                                f"{signed}")
        amz_date = req.header("x-amz-date") or ""
        if not re.match(r"^\d{8}T\d{6}Z$", amz_date) or amz_date[:8] != day:
            return self._reject(req, 403, "SignatureDoesNotMatch",
                                f"x-amz-date {amz_date!r} does not fit the scope date {day}")
        if region != self.region:
            return self._reject(req, 403, "SignatureDoesNotMatch",
                                f"scope region {region} is not {self.region}")
        headers = {}
        for name in names:
            values = [v for k, v in req.headers if k.lower() == name]
            if not values:
                return self._reject(req, 403, "SignatureDoesNotMatch",
                                    f"signed header {name} is missing")
            headers[name] = ",".join(values)
        payload = headers.get("x-amz-content-sha256") or req.header("x-amz-content-sha256")
        if payload is None:
            return self._reject(req, 400, "InvalidRequest", "no x-amz-content-sha256")
        if payload != "UNSIGNED-PAYLOAD" and not payload.startswith("STREAMING-"):
            if hashlib.sha256(req.body).hexdigest() != payload:
                return self._reject(req, 400, "XAmzContentSHA256Mismatch",
                                    "the body does not match x-amz-content-sha256")
        host = headers["host"]
        aws_req = AWSRequest(method=req.method, url=f"https://{host}{req.target}",
                             headers=headers, data=req.body)
        aws_req.context["timestamp"] = amz_date
        signer = _Signer(Credentials(access, self.keys[access]), "s3", region)
        canonical = signer.canonical_request(aws_req)
        expected = signer.signature(signer.string_to_sign(aws_req, canonical), aws_req)
        if expected != signature:
            return self._reject(req, 403, "SignatureDoesNotMatch",
                                "The request signature we calculated does not match the "
                                "signature you provided. Check your key and signing method.")
        with self.lock:
            self.passed += 1
        return None
