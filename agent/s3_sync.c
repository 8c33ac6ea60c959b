/* s3_sync.c — the blocking facade of the S3 client (contract in s3.h): a private loop and
 * client per struct floe_s3_sync; each call starts one operation and runs the loop until its
 * callback, so timers the caller added to the loop keep running while a request waits.
 *
 * floe's S3 codes are mapped to errnos here, for callers that compare results:
 *   NoSuchKey -ENOENT, 412 -EEXIST, ConditionalRequestConflict -EAGAIN, 403 -EACCES,
 *   NoSuchBucket -ENXIO, ETag mismatch -EBADMSG, other S3 refusals -EREMOTEIO, transport
 *   failures (timeouts, resets, TLS) after the retry budget -EIO; errnos pass through.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "s3_internal.h"

#define LIST_BUF (1u << 20)
#define XML_BUF (64u << 10)

struct floe_s3_sync {
    uv_loop_t loop;
    struct floe_s3_client *client;
    struct floe_s3_op op;
    struct floe_s3_upload *up; /* allocated at the first put_file */
    uint8_t *list_buf;         /* LIST_BUF: ListObjectsV2 pages and DeleteObjects results */
    bool done;
    int status;
    bool closed;
    /* get */
    uint8_t *data;
    size_t len, cap, max;
    int fd;
    off_t fd_start;
    bool fd_seekable;
};

static void set(char *err, size_t cap, const char *msg)
{
    if (cap > 0) {
        snprintf(err, cap, "%s", msg);
    }
}

static int map(int rc)
{
    switch (rc) {
    case FLOE_S3_ENOKEY:
        return -ENOENT;
    case FLOE_S3_EPRECONDITION:
        return -EEXIST;
    case FLOE_S3_ECONFLICT:
        return -EAGAIN;
    case FLOE_S3_EDENIED:
        return -EACCES;
    case FLOE_S3_ENOBUCKET:
        return -ENXIO;
    case FLOE_S3_EETAG:
        return -EBADMSG;
    case FLOE_S3_EREMOTE:
        return -EREMOTEIO;
    default:
        return rc <= -5000 ? -EIO : rc;
    }
}

static void on_op(struct floe_s3_op *op, int status)
{
    struct floe_s3_sync *s = op->data;
    s->status = status;
    s->done = true;
}

static void on_upload(struct floe_s3_upload *up, int status)
{
    struct floe_s3_sync *s = up->data;
    s->status = status;
    s->done = true;
}

static void wait_done(struct floe_s3_sync *s)
{
    while (!s->done) {
        uv_run(&s->loop, UV_RUN_ONCE);
    }
}

/* Runs s->op (its in fields set by the caller) to its end. Returns its status (floe codes). */
static int run_op(struct floe_s3_sync *s, char *err, size_t cap)
{
    s->op.data = s;
    s->done = false;
    int rc = floe_s3_op_start(s->client, &s->op, on_op);
    if (rc < 0) {
        set(err, cap, s->op.err);
        return rc;
    }
    wait_done(s);
    if (s->status < 0) {
        set(err, cap, s->op.err);
    }
    return s->status;
}

static void reset_op(struct floe_s3_sync *s, enum floe_s3_op_kind kind, const char *bucket,
                     const char *key)
{
    struct floe_s3_op *op = &s->op;
    int state = op->priv.state;
    memset(op, 0, offsetof(struct floe_s3_op, priv));
    op->priv.state = state;
    op->kind = kind;
    op->bucket = bucket;
    op->key = key;
    op->body.fd = -1;
}

int floe_s3_sync_open(const struct floe_config *cfg, struct floe_s3_sync **out, char *err,
                      size_t cap)
{
    struct floe_s3_settings *st = calloc(1, sizeof(*st));
    struct floe_s3_sync *s = calloc(1, sizeof(*s));
    int rc = -ENOMEM;
    set(err, cap, "out of memory");
    if (!st || !s || !(s->list_buf = malloc(LIST_BUF))) {
        goto fail;
    }
    if ((rc = floe_s3_settings_from_config(cfg, NULL, st, err, cap)) < 0) {
        goto fail;
    }
    if ((rc = uv_loop_init(&s->loop)) < 0) {
        set(err, cap, uv_strerror(rc));
        goto fail;
    }
    if ((rc = floe_s3_client_new(&s->loop, st, &s->client, err, cap)) < 0) {
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        goto fail;
    }
    explicit_wipe(st, sizeof(*st));
    free(st);
    set(err, cap, "");
    *out = s;
    return 0;
fail:
    if (st) {
        explicit_wipe(st, sizeof(*st));
    }
    free(st);
    if (s) {
        free(s->list_buf);
    }
    free(s);
    return map(rc);
}

static void on_closed(void *ctx)
{
    struct floe_s3_sync *s = ctx;
    s->closed = true;
}

void floe_s3_sync_close(struct floe_s3_sync *s)
{
    if (!s) {
        return;
    }
    floe_s3_client_close(s->client, on_closed, s);
    while (!s->closed) {
        uv_run(&s->loop, UV_RUN_ONCE);
    }
    uv_run(&s->loop, UV_RUN_DEFAULT);
    (void)uv_loop_close(&s->loop);
    if (s->up) {
        floe_s3_upload_release(s->up);
        free(s->up);
    }
    free(s->list_buf);
    free(s);
}

uv_loop_t *floe_s3_sync_loop(struct floe_s3_sync *s)
{
    return &s->loop;
}

void floe_s3_sync_stats(const struct floe_s3_sync *s, struct floe_s3_stats *out)
{
    floe_s3_client_stats(s->client, out);
}

int floe_s3_sync_put(struct floe_s3_sync *s, const char *bucket, const char *key,
                     const uint8_t *data, size_t len, unsigned flags, char *err, size_t cap)
{
    reset_op(s, FLOE_S3_PUT, bucket, key);
    s->op.body.kind = FLOE_HTTP_BODY_MEMORY;
    s->op.body.data = data;
    s->op.body.len = len;
    s->op.if_none_match = (flags & FLOE_S3_IF_NONE_MATCH) != 0;
    return map(run_op(s, err, cap));
}

int floe_s3_sync_put_file(struct floe_s3_sync *s, const char *bucket, const char *key,
                          const char *path, unsigned flags, char *err, size_t cap)
{
    struct stat sb;
    int rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = -errno;
        if (cap > 0) {
            snprintf(err, cap, "%s: %s", path, strerror(errno));
        }
        return rc;
    }
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        rc = S_ISREG(sb.st_mode) ? -errno : -EINVAL;
        if (cap > 0) {
            snprintf(err, cap, "%s: %s", path, S_ISREG(sb.st_mode) ? strerror(-rc)
                                                                    : "not a regular file");
        }
        goto done;
    }
    if (!s->up && !(s->up = calloc(1, sizeof(*s->up)))) {
        rc = -ENOMEM;
        set(err, cap, "out of memory");
        goto done;
    }
    struct floe_s3_plan plan;
    bool conditional = (flags & FLOE_S3_IF_NONE_MATCH) != 0;
    if (floe_s3_plan_parts((uint64_t)sb.st_size, s->client->settings.part_size, &plan) == 0 &&
        plan.multipart && conditional) {
        /* CompleteMultipartUpload takes no If-None-Match here: check first (racy, said so in
         * s3.h). */
        uint64_t size;
        rc = floe_s3_sync_head(s, bucket, key, &size, err, cap);
        if (rc == 0) {
            set(err, cap, "the object exists (If-None-Match)");
            rc = -EEXIST;
            goto done;
        }
        if (rc != -ENOENT) {
            goto done;
        }
    }
    struct floe_s3_upload *up = s->up;
    up->bucket = bucket;
    up->key = key;
    up->fd = fd;
    up->offset = 0;
    up->len = (uint64_t)sb.st_size;
    up->if_none_match = conditional;
    up->data = s;
    s->done = false;
    if ((rc = floe_s3_upload_start(s->client, up, on_upload)) < 0) {
        set(err, cap, up->err);
        rc = map(rc);
        goto done;
    }
    wait_done(s);
    rc = s->status;
    if (rc < 0) {
        set(err, cap, up->err);
        rc = map(rc);
    }
done:
    close(fd);
    return rc;
}

/* ---- get ---------------------------------------------------------------------------------- */

static int mem_sink(struct floe_s3_op *op, const uint8_t *data, size_t len)
{
    struct floe_s3_sync *s = op->data;
    int64_t cl = op->priv.http.content_length;
    if (len > s->max - s->len || (cl >= 0 && (uint64_t)cl > s->max)) {
        return -EFBIG;
    }
    if (s->len + len + 1 > s->cap) {
        size_t want = s->cap ? s->cap * 2 : 65536;
        if (cl >= 0 && (size_t)cl + 1 > want) {
            want = (size_t)cl + 1;
        }
        while (want < s->len + len + 1) {
            want *= 2;
        }
        uint8_t *p = realloc(s->data, want);
        if (!p) {
            return -ENOMEM;
        }
        s->data = p;
        s->cap = want;
    }
    memcpy(s->data + s->len, data, len);
    s->len += len;
    return 0;
}

static int mem_restart(struct floe_s3_op *op)
{
    struct floe_s3_sync *s = op->data;
    s->len = 0;
    return 0;
}

int floe_s3_sync_get(struct floe_s3_sync *s, const char *bucket, const char *key, size_t max,
                     uint8_t **data, size_t *len, char *err, size_t cap)
{
    *data = NULL;
    *len = 0;
    reset_op(s, FLOE_S3_GET, bucket, key);
    s->op.sink = mem_sink;
    s->op.restart = mem_restart;
    s->data = NULL;
    s->len = s->cap = 0;
    s->max = max;
    int rc = map(run_op(s, err, cap));
    if (rc == 0 && !s->data && !(s->data = malloc(1))) {
        rc = -ENOMEM;
        set(err, cap, "out of memory");
    }
    if (rc < 0) {
        free(s->data);
        s->data = NULL;
        if (rc == -EFBIG && cap > 0) {
            snprintf(err, cap, "GET s3://%s/%s: larger than %zu bytes", bucket, key, max);
        }
        return rc;
    }
    s->data[s->len] = '\0';
    *data = s->data;
    *len = s->len;
    s->data = NULL;
    return 0;
}

static int fd_sink(struct floe_s3_op *op, const uint8_t *data, size_t len)
{
    struct floe_s3_sync *s = op->data;
    while (len > 0) {
        ssize_t n = write(s->fd, data, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        data += n;
        len -= (size_t)n;
        s->len += (size_t)n;
    }
    return 0;
}

static int fd_restart(struct floe_s3_op *op)
{
    struct floe_s3_sync *s = op->data;
    if (s->len == 0) {
        return 0;
    }
    if (!s->fd_seekable) {
        return -EIO; /* bytes already gone down a pipe cannot be taken back */
    }
    if (lseek(s->fd, s->fd_start, SEEK_SET) < 0 || ftruncate(s->fd, s->fd_start) < 0) {
        return -errno;
    }
    s->len = 0;
    return 0;
}

int floe_s3_sync_get_fd(struct floe_s3_sync *s, const char *bucket, const char *key, int fd,
                        uint64_t *size, char *err, size_t cap)
{
    reset_op(s, FLOE_S3_GET, bucket, key);
    s->op.sink = fd_sink;
    s->op.restart = fd_restart;
    s->fd = fd;
    s->len = 0;
    s->fd_start = lseek(fd, 0, SEEK_CUR);
    s->fd_seekable = s->fd_start >= 0;
    int rc = map(run_op(s, err, cap));
    *size = rc == 0 ? (uint64_t)s->len : 0;
    return rc;
}

/* ---- head, list, delete, create ----------------------------------------------------------- */

int floe_s3_sync_head_etag(struct floe_s3_sync *s, const char *bucket, const char *key,
                           uint64_t *size, char *etag, char *err, size_t cap)
{
    reset_op(s, FLOE_S3_HEAD, bucket, key);
    int rc = map(run_op(s, err, cap));
    *size = rc == 0 ? s->op.size : 0;
    if (etag) {
        snprintf(etag, FLOE_S3_ETAG_SIZE, "%s", rc == 0 ? s->op.etag : "");
    }
    return rc;
}

int floe_s3_sync_head(struct floe_s3_sync *s, const char *bucket, const char *key,
                      uint64_t *size, char *err, size_t cap)
{
    return floe_s3_sync_head_etag(s, bucket, key, size, NULL, err, cap);
}

struct list_ctx {
    floe_s3_list_fn fn;
    void *arg;
    int stopped; /* the callback's negative return */
};

static int list_entry(void *arg, const struct floe_s3_object *obj)
{
    struct list_ctx *lc = arg;
    int rc = lc->fn(lc->arg, obj->key, obj->size);
    if (rc < 0) {
        lc->stopped = rc;
        return rc;
    }
    return 0;
}

int floe_s3_sync_list(struct floe_s3_sync *s, const char *bucket, const char *prefix,
                      floe_s3_list_fn fn, void *arg, char *err, size_t cap)
{
    char token[FLOE_S3_TOKEN_SIZE] = "";
    struct list_ctx lc = {fn, arg, 0};
    uint32_t max_keys = 1000;
    struct floe_s3_list *l = malloc(sizeof(*l)); /* 3 KiB, kept off small worker stacks */
    int rc = 0;
    if (!l) {
        set(err, cap, "out of memory");
        return -ENOMEM;
    }
    for (;;) {
        reset_op(s, FLOE_S3_LIST, bucket, prefix ? prefix : "");
        s->op.list_token = token[0] ? token : NULL;
        s->op.max_keys = max_keys;
        s->op.resp_buf = s->list_buf;
        s->op.resp_cap = LIST_BUF;
        rc = run_op(s, err, cap);
        if (rc == -ENOSPC && max_keys > 10) {
            max_keys /= 4; /* a page of very long keys: ask for fewer */
            continue;
        }
        if (rc < 0) {
            rc = map(rc);
            break;
        }
        struct floe_s3_error e;
        rc = floe_s3_parse_list(s->op.resp_buf, s->op.resp_len, l, list_entry, &lc, &e);
        if (rc < 0) {
            if (cap > 0 && rc == -EREMOTEIO) {
                snprintf(err, cap, "LIST s3://%s/%s: %s: %s", bucket, prefix ? prefix : "",
                         e.code, e.message);
            } else if (cap > 0 && lc.stopped == 0) {
                snprintf(err, cap, "LIST s3://%s/%s: unreadable ListObjectsV2 page", bucket,
                         prefix ? prefix : "");
            }
            if (lc.stopped == 0 && rc != -EREMOTEIO) {
                rc = -EREMOTEIO;
            }
            break;
        }
        if (!l->is_truncated) {
            break;
        }
        if (!l->next_token[0]) {
            set(err, cap, "LIST: a truncated page without NextContinuationToken");
            rc = -EREMOTEIO;
            break;
        }
        memcpy(token, l->next_token, sizeof(token));
    }
    free(l);
    return rc;
}

struct delete_ctx {
    const char *bucket;
    char *err;
    size_t cap;
    int rc;
};

static int delete_entry(void *arg, const struct floe_s3_deleted *d)
{
    struct delete_ctx *dc = arg;
    if (d->deleted || strcmp(d->code, "NoSuchKey") == 0 || dc->rc < 0) {
        return 0;
    }
    dc->rc = strcmp(d->code, "AccessDenied") == 0 ? -EACCES : -EREMOTEIO;
    if (dc->cap > 0) {
        snprintf(dc->err, dc->cap, "DELETE s3://%s/%s: %s: %s", dc->bucket, d->key, d->code,
                 d->message);
    }
    return 0;
}

int floe_s3_sync_delete(struct floe_s3_sync *s, const char *bucket, const char *const *keys,
                        size_t n, char *err, size_t cap)
{
    uint8_t *body = NULL;
    size_t body_cap = 0;
    int rc = 0;
    struct floe_s3_deleted *work = malloc(sizeof(*work));
    if (!work) {
        set(err, cap, "out of memory");
        return -ENOMEM;
    }
    for (size_t done = 0; done < n; ) {
        size_t batch = n - done < FLOE_S3_DELETE_MAX ? n - done : FLOE_S3_DELETE_MAX;
        size_t need = 256;
        for (size_t i = 0; i < batch; i++) {
            need += 32 + 5 * strlen(keys[done + i] ? keys[done + i] : "");
        }
        if (need > body_cap) {
            uint8_t *p = realloc(body, need);
            if (!p) {
                rc = -ENOMEM;
                set(err, cap, "out of memory");
                break;
            }
            body = p;
            body_cap = need;
        }
        size_t len;
        if ((rc = floe_s3_delete_body(keys + done, batch, body, body_cap, &len)) < 0) {
            if (cap > 0) {
                snprintf(err, cap, "DELETE s3://%s: a key is empty, too long or holds control "
                                   "characters", bucket);
            }
            break;
        }
        reset_op(s, FLOE_S3_DELETE_BATCH, bucket, "");
        s->op.body.kind = FLOE_HTTP_BODY_MEMORY;
        s->op.body.data = body;
        s->op.body.len = len;
        s->op.resp_buf = s->list_buf;
        s->op.resp_cap = LIST_BUF;
        if ((rc = run_op(s, err, cap)) < 0) {
            rc = map(rc);
            break;
        }
        struct floe_s3_error e;
        struct delete_ctx dc = {bucket, err, cap, 0};
        rc = floe_s3_parse_delete(s->op.resp_buf, s->op.resp_len, work, delete_entry, &dc, &e);
        if (rc < 0) {
            if (cap > 0) {
                snprintf(err, cap, "DELETE s3://%s: %s%s%s", bucket,
                         rc == -EREMOTEIO ? e.code : "unreadable DeleteObjects result",
                         rc == -EREMOTEIO ? ": " : "", rc == -EREMOTEIO ? e.message : "");
            }
            rc = -EREMOTEIO;
            break;
        }
        if ((rc = dc.rc) < 0) {
            break;
        }
        done += batch;
    }
    free(work);
    free(body);
    return rc;
}

int floe_s3_sync_create_bucket(struct floe_s3_sync *s, const char *bucket, char *err,
                               size_t cap)
{
    reset_op(s, FLOE_S3_CREATE_BUCKET, bucket, "");
    int rc = run_op(s, err, cap);
    if (rc < 0 && strcmp(s->op.s3_code, "BucketAlreadyOwnedByYou") == 0) {
        set(err, cap, "");
        return 0;
    }
    return map(rc);
}
