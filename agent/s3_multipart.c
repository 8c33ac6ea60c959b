/* s3_multipart.c — a file region as one S3 object: a single PutObject up to s3.part_size, a
 * multipart upload above it (contract in s3.h, "multipart upload of a file").
 *
 *     START ─► PUT ─────────────────────────────────────────► DONE
 *       └───► CREATE ─► PARTS (≤ max_in_flight at once) ─► COMPLETE ─► DONE
 *                          │ failure                          │ failure
 *                          └──► (wait for running parts) ─► ABORT ─► DONE (the failure)
 *
 * Each part carries Content-MD5 and must come back with that MD5 as its ETag; the
 * CompleteMultipartUpload body is built from those MD5s, and the object's ETag must then be
 * hex(MD5(md5_1 ‖ … ‖ md5_N)) "-N", which proves S3 assembled exactly the parts we sent, in
 * order. A CompleteMultipartUpload that answers NoSuchUpload after an earlier attempt may have
 * completed it: HEAD then tells, by that same ETag.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/md5.h>

#include "log.h"
#include "s3_internal.h"

#define MODULE "s3"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

enum up_state {
    UP_IDLE = 0,
    UP_PUT,      /* single PutObject */
    UP_CREATE,   /* CreateMultipartUpload */
    UP_PARTS,    /* UploadPart */
    UP_COMPLETE, /* CompleteMultipartUpload */
    UP_VERIFY,   /* HEAD after an ambiguous completion */
    UP_ABORT,    /* AbortMultipartUpload after a failure */
};

/* Longest Complete body per part: "<Part><PartNumber>10000</PartNumber><ETag>\"<32 hex>\""
 * "</ETag></Part>" is 73 bytes. */
#define COMPLETE_PER_PART 80
#define COMPLETE_CAP (FLOE_S3_MAX_PARTS * COMPLETE_PER_PART + 256)
#define COMPLETE_TRIES 5

static void advance(struct floe_s3_upload *up);

static void set_up_err(struct floe_s3_upload *up, const char *msg)
{
    snprintf(up->err, sizeof(up->err), "%s", msg);
}

static void finish(struct floe_s3_upload *up, int status)
{
    up->priv.state = UP_IDLE;
    up->priv.status = status;
    up->priv.cb(up, status);
}

/* The first failure wins; a part that fails after it only adds nothing. */
static void fail_with(struct floe_s3_upload *up, int status, const char *err)
{
    if (up->priv.status == 0) {
        up->priv.status = status;
        set_up_err(up, err);
    }
}

static void expected_etag(const struct floe_s3_upload *up, char out[FLOE_S3_ETAG_SIZE])
{
    mbedtls_md5_context m;
    uint8_t d[16];
    mbedtls_md5_init(&m);
    mbedtls_md5_starts_ret(&m);
    for (uint32_t i = 0; i < up->priv.plan.nparts; i++) {
        mbedtls_md5_update_ret(&m, up->priv.md5[i], 16);
    }
    mbedtls_md5_finish_ret(&m, d);
    mbedtls_md5_free(&m);
    char *p = out;
    *p++ = '"';
    for (int i = 0; i < 16; i++) {
        p += snprintf(p, 3, "%02x", d[i]);
    }
    snprintf(p, (size_t)(FLOE_S3_ETAG_SIZE - (p - out)), "-%" PRIu32 "\"", up->priv.plan.nparts);
}

/* Compares ETags ignoring quotes and hex case. */
static bool etag_equal(const char *a, const char *b)
{
    while (*a == '"') {
        a++;
    }
    while (*b == '"') {
        b++;
    }
    size_t la = strlen(a), lb = strlen(b);
    while (la > 0 && a[la - 1] == '"') {
        la--;
    }
    while (lb > 0 && b[lb - 1] == '"') {
        lb--;
    }
    return la == lb && strncasecmp(a, b, la) == 0;
}

static bool part_etag_ok(const char *etag, const uint8_t md5[16])
{
    char hex[33];
    for (int i = 0; i < 16; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md5[i]);
    }
    return etag_equal(etag, hex);
}

static int build_complete(struct floe_s3_upload *up)
{
    uint8_t *b = up->priv.complete_body;
    size_t n = 0;
    n += (size_t)snprintf((char *)b, COMPLETE_CAP, "<CompleteMultipartUpload xmlns=\""
                                                   "http://s3.amazonaws.com/doc/2006-03-01/\">");
    for (uint32_t i = 0; i < up->priv.plan.nparts; i++) {
        char hex[33];
        for (int j = 0; j < 16; j++) {
            snprintf(hex + 2 * j, 3, "%02x", up->priv.md5[i][j]);
        }
        n += (size_t)snprintf((char *)b + n, COMPLETE_CAP - n,
                              "<Part><PartNumber>%" PRIu32 "</PartNumber><ETag>\"%s\"</ETag>"
                              "</Part>",
                              i + 1, hex);
    }
    n += (size_t)snprintf((char *)b + n, COMPLETE_CAP - n, "</CompleteMultipartUpload>");
    if (n >= COMPLETE_CAP) {
        return -ENOSPC;
    }
    up->priv.complete_len = n;
    return 0;
}

static void on_ctl_done(struct floe_s3_op *op, int status);
static void on_part_done(struct floe_s3_op *op, int status);

static int start_ctl(struct floe_s3_upload *up, enum floe_s3_op_kind kind)
{
    struct floe_s3_op *op = &up->priv.ctl;
    op->kind = kind;
    op->bucket = up->bucket;
    op->key = up->key;
    memset(&op->body, 0, sizeof(op->body));
    op->if_none_match = false;
    op->upload_id = up->priv.upload_id;
    op->resp_buf = up->priv.xml;
    op->resp_cap = sizeof(up->priv.xml);
    op->sink = NULL;
    op->restart = NULL;
    op->retry = up->retry;
    op->data = up;
    switch (kind) {
    case FLOE_S3_PUT:
        op->body.kind = FLOE_HTTP_BODY_FILE;
        op->body.fd = up->fd;
        op->body.offset = up->offset;
        op->body.len = up->len;
        op->if_none_match = up->if_none_match;
        break;
    case FLOE_S3_MP_COMPLETE:
        op->body.kind = FLOE_HTTP_BODY_MEMORY;
        op->body.data = up->priv.complete_body;
        op->body.len = up->priv.complete_len;
        break;
    case FLOE_S3_MP_ABORT: {
        /* Best effort, bounded even for a caller that retries forever. */
        struct floe_s3_retry r = {3, 0, 0};
        op->retry = r;
        break;
    }
    default:
        break;
    }
    int rc = floe_s3_op_start(up->priv.client, op, on_ctl_done);
    if (rc < 0) {
        set_up_err(up, op->err);
    }
    return rc;
}

static void start_parts(struct floe_s3_upload *up)
{
    const struct floe_s3_plan *pl = &up->priv.plan;
    for (unsigned i = 0; i < up->priv.nslots && up->priv.status == 0; i++) {
        struct floe_s3_op *op = &up->priv.parts[i];
        if (op->data != NULL || up->priv.next_part >= pl->nparts) {
            continue; /* running, or nothing left to start */
        }
        uint32_t n = up->priv.next_part++;
        op->kind = FLOE_S3_MP_PART;
        op->bucket = up->bucket;
        op->key = up->key;
        op->upload_id = up->priv.upload_id;
        op->part_number = n + 1;
        op->body.kind = FLOE_HTTP_BODY_FILE;
        op->body.fd = up->fd;
        op->body.offset = up->offset + (int64_t)((uint64_t)n * pl->part_size);
        op->body.len = n + 1 == pl->nparts ? pl->last_size : pl->part_size;
        op->retry = up->retry;
        op->data = up;
        int rc = floe_s3_op_start(up->priv.client, op, on_part_done);
        if (rc < 0) {
            op->data = NULL;
            fail_with(up, rc, op->err);
            break;
        }
        up->priv.running++;
    }
}

static void on_part_done(struct floe_s3_op *op, int status)
{
    struct floe_s3_upload *up = op->data;
    op->data = NULL;
    up->priv.running--;
    uint32_t i = op->part_number - 1;
    if (status == 0 && !part_etag_ok(op->etag, op->md5)) {
        char msg[FLOE_S3_ERR_SIZE];
        snprintf(msg, sizeof(msg),
                 "UPLOAD-PART s3://%s/%s: part %" PRIu32 " came back with ETag %s, not the MD5 "
                 "of the part sent",
                 up->bucket, up->key, op->part_number, op->etag);
        fail_with(up, FLOE_S3_EETAG, msg);
    } else if (status < 0) {
        fail_with(up, status, op->err);
    } else {
        memcpy(up->priv.md5[i], op->md5, 16);
        up->priv.parts_done++;
    }
    if (up->priv.status < 0) {
        /* Stop the others; ABORT once the last of them has returned. */
        for (unsigned j = 0; j < up->priv.nslots; j++) {
            if (up->priv.parts[j].data) {
                (void)floe_s3_op_cancel(&up->priv.parts[j]);
            }
        }
    }
    advance(up);
}

static void on_ctl_done(struct floe_s3_op *op, int status)
{
    struct floe_s3_upload *up = op->data;
    struct floe_s3_error e;
    size_t len;
    int rc;
    switch (up->priv.state) {
    case UP_PUT:
        if (status == 0) {
            snprintf(up->etag, sizeof(up->etag), "%s", op->etag);
        } else {
            set_up_err(up, op->err);
        }
        finish(up, status);
        return;
    case UP_CREATE:
        if (status == 0) {
            rc = floe_s3_parse_initiate(op->resp_buf, op->resp_len, up->priv.upload_id,
                                        sizeof(up->priv.upload_id), &len, &e);
            if (rc < 0) {
                char msg[FLOE_S3_ERR_SIZE];
                snprintf(msg, sizeof(msg), "CREATE-MULTIPART s3://%s/%s: %s%s%s", up->bucket,
                         up->key, rc == -EREMOTEIO ? e.code : "unreadable response",
                         rc == -EREMOTEIO ? ": " : "", rc == -EREMOTEIO ? e.message : "");
                set_up_err(up, msg);
                finish(up, FLOE_S3_EREMOTE);
                return;
            }
            FLOE_DEBUG(MODULE, "multipart upload created\tbucket=%s parts=%" PRIu32,
                       up->bucket, up->priv.plan.nparts);
            up->priv.state = UP_PARTS;
            advance(up);
            return;
        }
        set_up_err(up, op->err);
        finish(up, status);
        return;
    case UP_COMPLETE:
        up->priv.complete_tries++;
        if (status == 0) {
            rc = floe_s3_parse_complete(op->resp_buf, op->resp_len, up->etag, sizeof(up->etag),
                                        &len, &e);
            if (rc == 0) {
                char want[FLOE_S3_ETAG_SIZE];
                expected_etag(up, want);
                if (!etag_equal(up->etag, want)) {
                    char msg[FLOE_S3_ERR_SIZE];
                    snprintf(msg, sizeof(msg),
                             "COMPLETE-MULTIPART s3://%s/%s: ETag %s, expected %s from the "
                             "parts sent",
                             up->bucket, up->key, up->etag, want);
                    set_up_err(up, msg);
                    finish(up, FLOE_S3_EETAG);
                    return;
                }
                finish(up, 0);
                return;
            }
            /* A 200 that holds an <Error>: S3 failed while assembling the object. */
            if (rc == -EREMOTEIO &&
                floe_s3_classify(0, 500, e.code) == FLOE_S3_RETRY &&
                up->priv.complete_tries < COMPLETE_TRIES && start_ctl(up, FLOE_S3_MP_COMPLETE) == 0) {
                FLOE_WARN(MODULE, "retrying CompleteMultipartUpload\tbucket=%s code=%s",
                          up->bucket, e.code);
                return;
            }
            char msg[FLOE_S3_ERR_SIZE];
            snprintf(msg, sizeof(msg), "COMPLETE-MULTIPART s3://%s/%s: %s%s%s", up->bucket,
                     up->key, rc == -EREMOTEIO ? e.code : "unreadable response",
                     rc == -EREMOTEIO ? ": " : "", rc == -EREMOTEIO ? e.message : "");
            fail_with(up, FLOE_S3_EREMOTE, msg);
        } else if (strcmp(op->s3_code, "NoSuchUpload") == 0 && op->attempts > 1) {
            /* An earlier attempt may have completed it: the object's ETag tells. */
            up->priv.state = UP_VERIFY;
            if (start_ctl(up, FLOE_S3_HEAD) == 0) {
                return;
            }
            finish(up, FLOE_S3_EREMOTE);
            return;
        } else {
            fail_with(up, status, op->err);
        }
        up->priv.state = UP_ABORT;
        if (start_ctl(up, FLOE_S3_MP_ABORT) < 0) {
            finish(up, up->priv.status);
        }
        return;
    case UP_VERIFY: {
        char want[FLOE_S3_ETAG_SIZE];
        expected_etag(up, want);
        if (status == 0 && etag_equal(op->etag, want)) {
            snprintf(up->etag, sizeof(up->etag), "%s", op->etag);
            finish(up, 0);
            return;
        }
        char msg[FLOE_S3_ERR_SIZE];
        snprintf(msg, sizeof(msg),
                 "COMPLETE-MULTIPART s3://%s/%s: NoSuchUpload, and the object is not ours",
                 up->bucket, up->key);
        set_up_err(up, msg);
        finish(up, FLOE_S3_EREMOTE);
        return;
    }
    case UP_ABORT:
        if (status < 0) {
            FLOE_WARN(MODULE, "abort of a failed multipart upload failed (S3 lifecycle rules "
                              "clean it up)\tbucket=%s error=\"%s\"",
                      up->bucket, op->err);
        }
        finish(up, up->priv.status);
        return;
    default:
        return;
    }
}

static void advance(struct floe_s3_upload *up)
{
    if (up->priv.state != UP_PARTS) {
        return;
    }
    if (up->priv.status == 0) {
        start_parts(up);
    }
    if (up->priv.running > 0) {
        return;
    }
    if (up->priv.status < 0) {
        up->priv.state = UP_ABORT;
        if (start_ctl(up, FLOE_S3_MP_ABORT) < 0) {
            finish(up, up->priv.status);
        }
        return;
    }
    if (up->priv.parts_done == up->priv.plan.nparts) {
        int rc = build_complete(up);
        up->priv.state = UP_COMPLETE;
        up->priv.complete_tries = 0;
        if (rc < 0 || start_ctl(up, FLOE_S3_MP_COMPLETE) < 0) {
            fail_with(up, rc < 0 ? rc : -EIO, "COMPLETE-MULTIPART: cannot start");
            up->priv.state = UP_ABORT;
            if (start_ctl(up, FLOE_S3_MP_ABORT) < 0) {
                finish(up, up->priv.status);
            }
        }
    }
}

int floe_s3_upload_start(struct floe_s3_client *c, struct floe_s3_upload *up,
                         floe_s3_upload_done_fn cb)
{
    int rc;
    if (up->priv.state != UP_IDLE) {
        return -EBUSY;
    }
    up->etag[0] = '\0';
    up->err[0] = '\0';
    up->nparts = 0;
    up->priv.client = c;
    up->priv.cb = cb;
    up->priv.status = 0;
    up->priv.next_part = 0;
    up->priv.parts_done = 0;
    up->priv.running = 0;
    up->priv.upload_id[0] = '\0';
    if (!cb || up->fd < 0 || up->offset < 0 || !floe_s3_bucket_valid(up->bucket) || !up->key ||
        !*up->key) {
        set_up_err(up, "upload: invalid bucket, key or file");
        return -EINVAL;
    }
    if ((rc = floe_s3_plan_parts(up->len, c->settings.part_size, &up->priv.plan)) < 0) {
        set_up_err(up, "upload: object larger than S3's 5 TiB limit");
        return rc;
    }
    if (!up->priv.plan.multipart) {
        up->priv.state = UP_PUT;
        if ((rc = start_ctl(up, FLOE_S3_PUT)) < 0) {
            up->priv.state = UP_IDLE;
        }
        return rc;
    }
    unsigned want = c->settings.max_in_flight;
    if (want > up->priv.plan.nparts) {
        want = up->priv.plan.nparts;
    }
    if (!up->priv.parts || up->priv.nslots < want) {
        floe_s3_upload_release(up);
        up->priv.parts = calloc(want, sizeof(*up->priv.parts));
        if (!up->priv.complete_body) {
            up->priv.complete_body = malloc(COMPLETE_CAP);
        }
        if (!up->priv.parts || !up->priv.complete_body) {
            floe_s3_upload_release(up);
            set_up_err(up, "upload: out of memory");
            return -ENOMEM;
        }
        up->priv.nslots = want;
    }
    for (unsigned i = 0; i < up->priv.nslots; i++) {
        up->priv.parts[i].data = NULL;
    }
    up->nparts = up->priv.plan.nparts;
    up->priv.state = UP_CREATE;
    if ((rc = start_ctl(up, FLOE_S3_MP_CREATE)) < 0) {
        up->priv.state = UP_IDLE;
    }
    return rc;
}

void floe_s3_upload_release(struct floe_s3_upload *up)
{
    free(up->priv.parts);
    free(up->priv.complete_body);
    up->priv.parts = NULL;
    up->priv.complete_body = NULL;
    up->priv.nslots = 0;
}
