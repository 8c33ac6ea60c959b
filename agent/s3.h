/* s3.h — floe's S3 client: asynchronous operations on the libuv loop (on top of
 * floe_http_client), the pure helpers they are built from, and a blocking facade for the
 * command line and worker threads (DESIGN.md "upload", SPEC-NOTES §7 and §10).
 *
 * Layers:
 *   - pure helpers (no I/O, unit-tested): endpoint parsing and addressing, s3:// URIs, the
 *     retry verdict and backoff schedule, multipart planning, credential resolution;
 *   - struct floe_s3_client: one floe_http_client, the signing settings and credentials, a
 *     retry timer; operations are caller-owned structs started on it (s3.c; multipart in
 *     s3_multipart.c; the pure parts in s3_addr.c and s3_retry.c);
 *   - struct floe_s3_sync: a private loop and client, one blocking call at a time (s3_sync.c).
 *
 * Integrity: every PUT and UploadPart carries Content-MD5, so S3 (and moto, MinIO) rejects a
 * body damaged on the way with BadDigest. Over https the payload is sent as UNSIGNED-PAYLOAD:
 * TLS already protects it and MD5 is about three times cheaper than SHA-256, so each body is
 * hashed once. Over plain http the SHA-256 payload hash is signed too (so a proxy cannot swap
 * the body and its MD5 together). Hashing of bodies runs on libuv's thread pool, never on the
 * loop. After CompleteMultipartUpload the returned ETag is compared with the MD5 of the parts'
 * MD5s ("<hex>-N").
 *
 * Retries: an operation is attempted until it succeeds, fails in a way that cannot succeed
 * (403, 404, 400, 405, 409, 412…), or its retry budget is spent. Retried: HTTP 5xx, 408, 429,
 * the throttling and transient S3 codes of floe_s3_classify (SlowDown, RequestTimeout,
 * BadDigest…), connection failures, timeouts, resets and truncated or malformed responses.
 * Each attempt is signed afresh (new x-amz-date); a body is hashed once.
 * The delay before attempt n+1 is uniform in [0, min(cap, base * 2^n)] ("full jitter").
 * Defaults (struct floe_s3_retry zeroed): base 100 ms, cap 20 s, 10 attempts — the CLI's
 * budget, also used by the table layer's store. Data not yet safe is kept by the layer above:
 * `floe run` retries a failed commit (with its rows buffered) for as long as it fails, so an
 * operation's bounded budget never loses a record; FLOE_S3_RETRY_FOREVER is there for callers
 * that have no such loop of their own.
 *
 * Memory: floe_s3_client_new allocates the client (a few KiB) and the HTTP client with its
 * connection slots (see http.h; max_connections = s3.max_in_flight + 2). An operation is a
 * caller-owned struct holding every buffer a request needs (target, headers, signature, the
 * error body): starting, retrying and finishing one allocates nothing. A multipart upload is a
 * caller-owned struct floe_s3_upload (about 180 KiB: the MD5s of FLOE_S3_MAX_PARTS parts); its
 * first multipart start allocates max_in_flight part requests (about 10 KiB each) and the
 * CompleteMultipartUpload body (about 800 KiB), kept until floe_s3_upload_release, so a
 * long-lived upload struct is reused without allocating. Response bodies go into caller
 * buffers or sinks. The blocking facade allocates at open (client, 1 MiB listing buffer), at
 * its first put_file (the upload struct), and per call only what its contract returns or needs
 * for that call (get's object, delete's request body).
 *
 * Secrets (secret key, session token, Authorization) are never logged.
 */
#ifndef FLOE_S3_H
#define FLOE_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "http.h"
#include "s3_sign.h"
#include "s3_xml.h"

/* ---- limits ------------------------------------------------------------------------------ */

#define FLOE_S3_MAX_PARTS 10000                    /* S3's limit on parts in one upload */
#define FLOE_S3_MIN_PART_SIZE (5ull << 20)         /* every part but the last */
#define FLOE_S3_MAX_PART_SIZE (5ull << 30)
#define FLOE_S3_MAX_OBJECT_SIZE (5ull << 40)       /* 5 TiB */
#define FLOE_S3_MAX_IN_FLIGHT 64                   /* parts of one upload at once */
#define FLOE_S3_DELETE_MAX 1000                    /* keys in one DeleteObjects */
#define FLOE_S3_BUCKET_SIZE 64                     /* bucket names are 3..63 bytes */
#define FLOE_S3_REGION_SIZE 64
#define FLOE_S3_ERR_SIZE 512                       /* op->err: a one-line reason */
#define FLOE_S3_ERR_BODY_SIZE 2048                 /* an error response body kept for its XML */
#define FLOE_S3_TARGET_SIZE 4096                   /* request-target: encoded key + query */
#define FLOE_S3_AUTH_SIZE 512                      /* the Authorization value */
#define FLOE_S3_MD5_B64_SIZE 25                    /* base64 of 16 bytes + NUL */
#define FLOE_S3_RETRY_FOREVER UINT32_MAX           /* floe_s3_retry.max_attempts: no limit */

/* floe's own S3 error codes (negative, outside errno, libuv and floe_http_error ranges). */
enum floe_s3_error_code {
    FLOE_S3_EPRECONDITION = -5101, /* 412: If-None-Match: * and the object exists */
    FLOE_S3_ECONFLICT = -5102,     /* 409 ConditionalRequestConflict: a concurrent write */
    FLOE_S3_EREMOTE = -5103,       /* S3 answered an error that cannot succeed (op->s3_code) */
    FLOE_S3_EETAG = -5104,         /* the multipart ETag does not match the parts' MD5s */
    FLOE_S3_ENOBUCKET = -5105,     /* 404 NoSuchBucket */
    FLOE_S3_ENOKEY = -5106,        /* 404 NoSuchKey (or a HEAD's bodiless 404) */
    FLOE_S3_EDENIED = -5107,       /* 403: AccessDenied, InvalidAccessKeyId, signature… */
};

/* floe_s3_strerror(err): a short message for a code from this module, http.h's or an errno;
 * never NULL. */
const char *floe_s3_strerror(int err);

/* ---- endpoint and addressing (pure) ------------------------------------------------------- */

struct floe_s3_endpoint {
    bool tls;
    char host[FLOE_HTTP_HOST_MAX + 1]; /* DNS name or address literal (IPv6 without brackets) */
    uint16_t port;                     /* 0: the scheme's default */
    bool default_aws;                  /* no endpoint configured: s3.<region>.amazonaws.com */
};

/* floe_s3_endpoint_parse(url, region, ep): url is "", NULL (AWS's regional endpoint
 * https://s3.<region>.amazonaws.com), or "http[s]://host[:port][/]" (host a DNS name, an IPv4
 * literal or an IPv6 literal in brackets). Returns 0, or -EINVAL (unknown scheme, a path,
 * query, user info, bad port, empty host; no region with an empty url) with *ep cleared. */
int floe_s3_endpoint_parse(const char *url, const char *region, struct floe_s3_endpoint *ep);

/* Where one request goes: the Host header value (with ":port" when not the default), and the
 * raw (unencoded) path to sign and send: "/bucket/key" path-style, "/key" virtual-hosted. */
struct floe_s3_address {
    char host[FLOE_HTTP_HOST_MAX + 1]; /* to connect to: the endpoint or bucket.endpoint */
    char host_header[FLOE_HTTP_HOST_MAX + 8];
    char path[FLOE_S3_KEY_SIZE + FLOE_S3_BUCKET_SIZE + 2];
    uint16_t port;
    bool tls;
};

/* floe_s3_bucket_valid(bucket): true for a name S3 accepts: 3..63 bytes of a-z 0-9 . -,
 * starting and ending with a letter or digit. */
bool floe_s3_bucket_valid(const char *bucket);

/* floe_s3_address(ep, path_style, bucket, key, out): fills out for an object (key not NULL;
 * "" is the bucket itself) of bucket. Virtual-hosted addressing (bucket.host) is used unless
 * path_style, the endpoint host is an address literal, or (over TLS) the bucket name contains a
 * dot, which no wildcard certificate covers; then it is path-style. Returns 0, -EINVAL (invalid
 * bucket), -ENAMETOOLONG (key over 1024 bytes or the host too long). */
int floe_s3_address(const struct floe_s3_endpoint *ep, bool path_style, const char *bucket,
                    const char *key, struct floe_s3_address *out);

/* floe_s3_parse_uri(uri, bucket, bcap, &key): "s3://bucket/some/prefix" → bucket copied
 * (NUL-terminated) and *key pointing into uri after the '/' following the bucket ("" when
 * none). Returns 0, or -EINVAL for anything else (another scheme, an invalid bucket name, a
 * bucket that does not fit bcap); then bucket holds "" (when bcap > 0) and *key is NULL. */
int floe_s3_parse_uri(const char *uri, char *bucket, size_t bcap, const char **key);

/* ---- retry (pure) ------------------------------------------------------------------------ */

struct floe_s3_retry {
    uint32_t max_attempts; /* attempts in all; 0: 10; FLOE_S3_RETRY_FOREVER: no limit */
    uint32_t base_ms;      /* 0: 100 */
    uint32_t cap_ms;       /* longest single delay; 0: 20000 */
};

enum floe_s3_verdict {
    FLOE_S3_DONE = 0,  /* success */
    FLOE_S3_RETRY = 1, /* transient: try again after a delay */
    FLOE_S3_FAIL = 2,  /* cannot succeed by repeating it */
};

/* floe_s3_classify(status, http_status, s3_code): the verdict on one attempt. status is the
 * HTTP layer's (0 when a response arrived, else a negative code), http_status the response's
 * status code, s3_code the Code of its XML error body ("" or NULL when none). 2xx is DONE;
 * transport failures (timeouts, resets, truncation, DNS, refused connections, malformed
 * responses, TLS failures other than verification), 5xx, 408, 429 and the codes SlowDown,
 * RequestTimeout, InternalError, ServiceUnavailable, Throttling, ThrottlingException,
 * RequestLimitExceeded, RequestTimeTooSkewed, OperationAborted and BadDigest (a body damaged
 * on the way) are RETRY; other 3xx/4xx, -ECANCELED, -EINVAL, -ENOSPC, -EFBIG, -ENOMEM and
 * certificate verification are FAIL. A 409 ConditionalRequestConflict is FAIL here (the op
 * reports it with its own code). */
enum floe_s3_verdict floe_s3_classify(int status, int http_status, const char *s3_code);

/* floe_s3_backoff_ms(retry, attempt, rnd): the delay before attempt number attempt + 1 after
 * attempt (1-based) failed: rnd (uniform in [0, 2^32)) scaled into
 * [0, min(cap, base * 2^(attempt-1))]. Zero fields of retry mean their defaults. */
uint64_t floe_s3_backoff_ms(const struct floe_s3_retry *retry, uint32_t attempt, uint32_t rnd);

/* floe_s3_retry_allowed(retry, attempts): whether another attempt may follow attempts done. */
bool floe_s3_retry_allowed(const struct floe_s3_retry *retry, uint32_t attempts);

/* ---- multipart planning (pure) ----------------------------------------------------------- */

struct floe_s3_plan {
    bool multipart;     /* false: one PutObject */
    uint64_t part_size; /* every part but the last */
    uint32_t nparts;    /* 1 for a single PUT */
    uint64_t last_size; /* the last part's size */
};

/* floe_s3_plan_parts(size, part_size, plan): a size-byte object is sent in one PUT when
 * size <= part_size, else in parts of part_size bytes (the last shorter), part_size raised (to
 * a whole MiB) when that would take more than FLOE_S3_MAX_PARTS parts. part_size is clamped to
 * [FLOE_S3_MIN_PART_SIZE, FLOE_S3_MAX_PART_SIZE]. Returns 0, or -EFBIG beyond
 * FLOE_S3_MAX_OBJECT_SIZE (*plan cleared). */
int floe_s3_plan_parts(uint64_t size, uint64_t part_size, struct floe_s3_plan *plan);

/* ---- settings and credentials (pure) ----------------------------------------------------- */

/* Strings are copies inside the struct (no pointers into the config). */
struct floe_s3_settings {
    struct floe_s3_endpoint endpoint;
    char region[FLOE_S3_REGION_SIZE];
    char access_key_id[128];
    char secret_access_key[FLOE_S3_SIGN_MAX_SECRET + 1];
    char session_token[4096];
    char ca_file[1024];
    bool verify;
    bool path_style;
    uint64_t part_size;
    unsigned max_in_flight;
    uint64_t connect_timeout_ms;
    uint64_t request_timeout_ms;
};

/* Looks up an environment variable; NULL when unset. floe_env_get fits. */
typedef const char *(*floe_s3_getenv_fn)(const char *name);

/* floe_s3_settings_from_config(cfg, getenv_fn, out, err, cap): the client settings of cfg's
 * [s3] section. Credentials: the config's values (which default to ${AWS_…}), and where the
 * config leaves access_key_id or secret_access_key empty, both (and the session token) from
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN via getenv_fn (NULL:
 * floe_env_get). Region: s3.region, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1.
 * Returns 0, or -EINVAL with err set (a bad endpoint, missing credentials, a value too long);
 * err never holds a secret. */
int floe_s3_settings_from_config(const struct floe_config *cfg, floe_s3_getenv_fn getenv_fn,
                                 struct floe_s3_settings *out, char *err, size_t cap);

/* ---- the asynchronous client ------------------------------------------------------------- */

struct floe_s3_client;

struct floe_s3_stats {
    uint64_t requests;    /* HTTP attempts finished */
    uint64_t retries;     /* attempts that were retries after a transient failure */
    uint64_t connections; /* connections established (from http.h) */
    uint64_t bytes_sent;  /* request body bytes of successful attempts */
    uint64_t bytes_received;
};

/* floe_s3_client_new(loop, settings, out, err, cap): a client on loop with settings (copied).
 * verify = false logs a warning. Returns 0 and *out, or a negative code with err set (CA file
 * unreadable, no memory…); nothing is left allocated then. */
int floe_s3_client_new(uv_loop_t *loop, const struct floe_s3_settings *settings,
                       struct floe_s3_client **out, char *err, size_t cap);

/* floe_s3_client_close(c, cb, ctx): fails every running operation with -ECANCELED (their
 * callbacks run later), closes connections and the timer, then calls cb(ctx) (may be NULL)
 * and frees c. */
void floe_s3_client_close(struct floe_s3_client *c, void (*cb)(void *ctx), void *ctx);

/* floe_s3_client_set_credentials(c, creds): replaces the credentials used to sign every
 * request from now on (requests already signed keep theirs; a retry is signed with the new
 * ones). Strings are copied. Returns 0, or -EINVAL (empty key id or secret, too long) with
 * the old credentials kept. The daemon calls it on SIGHUP with re-resolved settings. */
int floe_s3_client_set_credentials(struct floe_s3_client *c,
                                   const struct floe_s3_credentials *creds);

/* floe_s3_client_stats(c, out): counters since creation. */
void floe_s3_client_stats(const struct floe_s3_client *c, struct floe_s3_stats *out);

/* floe_s3_client_settings(c): the settings in use (a view valid while c lives). */
const struct floe_s3_settings *floe_s3_client_settings(const struct floe_s3_client *c);

/* ---- single-request operations ----------------------------------------------------------- */

enum floe_s3_op_kind {
    FLOE_S3_PUT = 1,       /* PutObject: body from memory or a file region */
    FLOE_S3_GET,           /* GetObject: to resp_buf (bounded) or sink */
    FLOE_S3_HEAD,          /* HeadObject: out size, etag */
    FLOE_S3_LIST,          /* one ListObjectsV2 page: resp_buf holds its XML */
    FLOE_S3_DELETE_BATCH,  /* DeleteObjects: body.data from floe_s3_delete_body, resp_buf */
    FLOE_S3_CREATE_BUCKET, /* CreateBucket (LocationConstraint outside us-east-1) */
    FLOE_S3_MP_CREATE,     /* CreateMultipartUpload */
    FLOE_S3_MP_PART,       /* UploadPart */
    FLOE_S3_MP_COMPLETE,   /* CompleteMultipartUpload; body is the caller's XML */
    FLOE_S3_MP_ABORT,      /* AbortMultipartUpload */
};

struct floe_s3_op;

/* The operation's outcome: 0, or a negative code with op->err set ("PUT s3://b/k: 403
 * AccessDenied: Access Denied"). Runs exactly once per started op, never from inside
 * floe_s3_op_start or floe_s3_client_close; op is the caller's again inside it. */
typedef void (*floe_s3_op_done_fn)(struct floe_s3_op *op, int status);

/* Receives a GET's body (2xx responses only), as floe_http_sink_fn. A retried GET starts over:
 * restart (when not NULL) is called before the first byte of each new attempt. */
typedef int (*floe_s3_sink_fn)(struct floe_s3_op *op, const uint8_t *data, size_t len);

struct floe_s3_op {
    /* In: set before floe_s3_op_start; pointers borrowed until the done callback. */
    enum floe_s3_op_kind kind;
    const char *bucket;
    const char *key;        /* object key; list: the prefix */
    struct {
        enum floe_http_body_kind kind;
        const uint8_t *data;
        uv_file fd;
        int64_t offset;
        uint64_t len;
    } body;                 /* PUT, MP_PART, MP_COMPLETE */
    bool if_none_match;     /* PUT: If-None-Match: * */
    const char *upload_id;  /* MP_PART, MP_COMPLETE, MP_ABORT */
    uint32_t part_number;   /* MP_PART: 1..10000 */
    const char *list_token; /* LIST: continuation token or NULL */
    uint32_t max_keys;      /* LIST: 0 = S3's 1000 */
    floe_s3_sink_fn sink;   /* GET: body goes here when set… */
    int (*restart)(struct floe_s3_op *op); /* …and this resets the sink for a retry */
    uint8_t *resp_buf;      /* …else here (GET, LIST, DELETE_BATCH, MP_CREATE and
                               MP_COMPLETE responses) */
    size_t resp_cap;
    struct floe_s3_retry retry;
    void *data;             /* the caller's */

    /* Out: meaningful in and after the done callback. */
    int http_status;               /* of the last attempt, 0 if none arrived */
    uint64_t size;                 /* HEAD: Content-Length; GET: bytes received */
    uint64_t resp_len;             /* bytes in resp_buf */
    char etag[FLOE_S3_ETAG_SIZE];  /* PUT, MP_PART, HEAD, GET (quotes included) */
    uint8_t md5[16];               /* PUT, MP_PART: the body's MD5 as sent */
    uint32_t attempts;
    char s3_code[FLOE_S3_CODE_SIZE]; /* the S3 error Code of the last failure, "" if none */
    char err[FLOE_S3_ERR_SIZE];

    /* Private to the s3 module. */
    struct {
        struct floe_s3_client *client;
        struct floe_s3_op *next;      /* retry queue */
        floe_s3_op_done_fn cb;
        int state;
        int status;
        uint64_t due;                 /* retry time, uv_now() */
        struct floe_s3_address addr;
        char target[FLOE_S3_TARGET_SIZE];
        char auth[FLOE_S3_AUTH_SIZE];
        char amz_date[FLOE_S3_AMZ_DATE_SIZE];
        char payload_hash[FLOE_S3_SHA256_HEX_SIZE];
        char md5_b64[FLOE_S3_MD5_B64_SIZE];
        char extra[192];              /* CreateBucket's LocationConstraint body */
        bool hashed;                  /* md5 (and payload_hash) are those of the body */
        bool cancelled;
        struct floe_http_header headers[12];
        struct floe_http_request http;
        uv_work_t work;               /* body hashing on the thread pool */
        int work_status;
        uint8_t err_body[FLOE_S3_ERR_BODY_SIZE];
        size_t err_len;
        uint64_t body_len;            /* request body length actually sent */
    } priv;
};

/* floe_s3_op_start(c, op, cb): starts op (zeroed before its first use; afterwards it may be
 * started again with only its in fields set). Returns 0: cb runs exactly once, later. Returns
 * a negative code without calling cb: -EINVAL (bad bucket, key or fields for its kind; op->err
 * says which), -EBUSY (op in flight), -ECANCELED (client closing). */
int floe_s3_op_start(struct floe_s3_client *c, struct floe_s3_op *op, floe_s3_op_done_fn cb);

/* floe_s3_op_cancel(op): ends a running op with -ECANCELED soon (its callback runs later).
 * Returns 0 or -EINVAL when op is not running. */
int floe_s3_op_cancel(struct floe_s3_op *op);

/* floe_s3_delete_body(keys, n, dst, cap, &len): the DeleteObjects XML for n keys (Quiet mode,
 * keys XML-escaped). Returns 0, -E2BIG (n over FLOE_S3_DELETE_MAX or 0), -EINVAL (a key
 * with bytes XML cannot carry), -ENOSPC. */
int floe_s3_delete_body(const char *const *keys, size_t n, uint8_t *dst, size_t cap,
                        size_t *len);

/* ---- multipart upload of a file ---------------------------------------------------------- */

struct floe_s3_upload;
typedef void (*floe_s3_upload_done_fn)(struct floe_s3_upload *up, int status);

/* Uploads len bytes of fd from offset as one object: one PutObject when len <= part_size,
 * else CreateMultipartUpload, UploadPart with at most max_in_flight parts at once, then
 * CompleteMultipartUpload and an ETag check; on failure the upload is aborted (best effort).
 * Zero it before its first use; it may be started again after its callback. */
struct floe_s3_upload {
    /* In */
    const char *bucket;
    const char *key;
    uv_file fd;
    int64_t offset;
    uint64_t len;
    bool if_none_match; /* single PUT only (multipart cannot be conditional here) */
    struct floe_s3_retry retry;
    void *data;

    /* Out */
    char etag[FLOE_S3_ETAG_SIZE];
    uint32_t nparts; /* 0 for a single PUT */
    char err[FLOE_S3_ERR_SIZE];

    /* Private */
    struct {
        struct floe_s3_client *client;
        floe_s3_upload_done_fn cb;
        int state;
        int status;
        struct floe_s3_plan plan;
        uint32_t next_part;  /* parts started */
        uint32_t parts_done;
        unsigned running;
        unsigned complete_tries;
        char upload_id[FLOE_S3_UPLOAD_ID_SIZE];
        uint8_t md5[FLOE_S3_MAX_PARTS][16]; /* each part's ETag as returned, in binary */
        bool etags_not_md5; /* some part's ETag was not its MD5 (SSE-KMS, SSE-C) */
        struct floe_s3_op ctl; /* create, single put, complete, abort */
        uint8_t xml[8192];     /* responses of create and complete */
        struct floe_s3_op *parts; /* max_in_flight slots, allocated at the first multipart
                                     start and kept for reuse */
        unsigned nslots;
        uint8_t *complete_body;   /* CompleteMultipartUpload XML, sized for 10,000 parts,
                                     allocated with parts */
        size_t complete_len;
    } priv;
};

/* floe_s3_upload_start(c, up, cb): starts the upload. Returns 0 (cb runs once, later), or
 * -EINVAL / -EBUSY / -ECANCELED / -EFBIG / -ENOMEM without calling cb. */
int floe_s3_upload_start(struct floe_s3_client *c, struct floe_s3_upload *up,
                         floe_s3_upload_done_fn cb);

/* floe_s3_upload_release(up): frees the part slots a multipart start allocated (up must not be
 * running); up may be started again, and then allocates them again. */
void floe_s3_upload_release(struct floe_s3_upload *up);

/* ---- the blocking facade (s3_sync.c) -----------------------------------------------------
 * For the command line and worker threads: each struct floe_s3_sync owns a private uv_loop_t
 * and client, so it may be used from any one thread at a time (never from a loop callback).
 * Every call runs its operation to completion on that loop, with the CLI's bounded retry
 * budget (struct floe_s3_retry defaults). Errors are negative errnos; err (cap bytes, may be
 * NULL when cap is 0) receives a one-line reason with S3's Code and Message, never a secret.
 * Besides those named below: -EACCES (403), -ENXIO (NoSuchBucket), -EREMOTEIO (another S3
 * refusal), -EBADMSG (multipart ETag mismatch), -EIO (transport failures after the retry
 * budget: timeouts, resets, TLS), -EINVAL (bad bucket or key). */

struct floe_s3_sync;

/* floe_s3_sync_open(cfg, &out, err, cap): a facade with cfg's [s3] settings (see
 * floe_s3_settings_from_config). Returns 0 and *out, or a negative code with err set. */
int floe_s3_sync_open(const struct floe_config *cfg, struct floe_s3_sync **out, char *err,
                      size_t cap);

/* floe_s3_sync_close(s): closes the client and loop and frees s; NULL is allowed. */
void floe_s3_sync_close(struct floe_s3_sync *s);

#define FLOE_S3_IF_NONE_MATCH 1u

/* floe_s3_sync_put(s, bucket, key, data, len, flags, err, cap): one PutObject of len bytes
 * (data borrowed for the call). Returns 0; -EEXIST on 412 (the object exists, with
 * FLOE_S3_IF_NONE_MATCH); -EAGAIN on 409 ConditionalRequestConflict; other negative codes with
 * err set. */
int floe_s3_sync_put(struct floe_s3_sync *s, const char *bucket, const char *key,
                     const uint8_t *data, size_t len, unsigned flags, char *err, size_t cap);

/* floe_s3_sync_put_file(s, bucket, key, path, flags, err, cap): the whole file at path;
 * multipart above s3.part_size (FLOE_S3_IF_NONE_MATCH is honoured by single PUTs only; a
 * multipart upload with it first checks with HEAD and answers -EEXIST when the key exists).
 * Returns as floe_s3_sync_put, and -errno when the file cannot be read. */
int floe_s3_sync_put_file(struct floe_s3_sync *s, const char *bucket, const char *key,
                          const char *path, unsigned flags, char *err, size_t cap);

/* floe_s3_sync_get(s, bucket, key, max, &data, &len, err, cap): the whole object. *data is
 * malloc'd (the caller frees it) and NUL-terminated beyond *len. Returns 0; -ENOENT
 * (NoSuchKey); -EFBIG when larger than max bytes; other negative codes with err set. *data is
 * NULL and *len 0 after a failure. */
int floe_s3_sync_get(struct floe_s3_sync *s, const char *bucket, const char *key, size_t max,
                     uint8_t **data, size_t *len, char *err, size_t cap);

/* floe_s3_sync_get_fd(s, bucket, key, fd, &size, err, cap): the whole object written to fd
 * (from its current position). A retry after bytes were written fails with -EIO unless fd is
 * seekable (it is then rewound and truncated). Returns 0, -ENOENT, or negative with err. */
int floe_s3_sync_get_fd(struct floe_s3_sync *s, const char *bucket, const char *key, int fd,
                        uint64_t *size, char *err, size_t cap);

/* floe_s3_sync_head(s, bucket, key, &size, err, cap): the object's size. Returns 0, -ENOENT
 * when there is no such object (a HEAD's 404 has no body, so a missing bucket is -ENOENT
 * too), other negative codes with err set. */
int floe_s3_sync_head(struct floe_s3_sync *s, const char *bucket, const char *key,
                      uint64_t *size, char *err, size_t cap);

/* floe_s3_sync_head_etag(s, bucket, key, &size, etag, err, cap): as floe_s3_sync_head, and the
 * ETag (quotes included) into etag[FLOE_S3_ETAG_SIZE]. */
int floe_s3_sync_head_etag(struct floe_s3_sync *s, const char *bucket, const char *key,
                           uint64_t *size, char *etag, char *err, size_t cap);

typedef int (*floe_s3_list_fn)(void *arg, const char *key, uint64_t size);

/* floe_s3_sync_list(s, bucket, prefix, fn, arg, err, cap): calls fn for every key under prefix
 * ("" or NULL: all), all pages, in S3's order. A negative return from fn stops the listing and
 * is returned. Returns 0 or a negative code with err set. */
int floe_s3_sync_list(struct floe_s3_sync *s, const char *bucket, const char *prefix,
                      floe_s3_list_fn fn, void *arg, char *err, size_t cap);

/* floe_s3_sync_delete(s, bucket, keys, n, err, cap): deletes the n keys in batches of
 * FLOE_S3_DELETE_MAX. Keys that do not exist are not an error. Returns 0, or a negative
 * code with err naming the first key S3 refused to delete. */
int floe_s3_sync_delete(struct floe_s3_sync *s, const char *bucket, const char *const *keys,
                        size_t n, char *err, size_t cap);

/* floe_s3_sync_create_bucket(s, bucket, err, cap): creates bucket. A bucket that exists and is
 * ours (BucketAlreadyOwnedByYou) is 0. */
int floe_s3_sync_create_bucket(struct floe_s3_sync *s, const char *bucket, char *err,
                               size_t cap);

/* floe_s3_sync_stats(s, out): the client's counters. */
void floe_s3_sync_stats(const struct floe_s3_sync *s, struct floe_s3_stats *out);

/* floe_s3_sync_loop(s): the private loop, so a caller may add its own timers to it (they run
 * while a call blocks). A view valid until floe_s3_sync_close. */
uv_loop_t *floe_s3_sync_loop(struct floe_s3_sync *s);

#endif
