/* store_s3.c — the S3 store: a warehouse under s3://bucket/prefix, through the blocking
 * facade of floe's S3 client (s3.h: floe_s3_sync_*, its own loop and connections).
 *
 * Locations are full s3://bucket/key URIs. An exclusive put is a PUT with `If-None-Match: *`
 * (SPEC-NOTES §7): 412 comes back as -EEXIST, 409 (a concurrent conditional write) as
 * -EAGAIN. Streamed objects (Parquet data files, Avro manifests) are spooled to a temporary
 * file under agent.state_dir/tmp (else TMPDIR, else /tmp) and uploaded by close — in parts
 * above s3.part_size — so memory stays bounded whatever the file's size; abort and every
 * failure remove the spool.
 */
/* mkostemp(3) */
#define _GNU_SOURCE
#include "store_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"

#ifdef FLOE_HAVE_S3_CLIENT

#include "s3.h"

#define BUCKET_MAX 256    /* bucket names have at most 63 characters */
#define DELETE_BATCH 1000 /* keys per DeleteObjects request */

struct s3_store {
    struct floe_store base;
    struct floe_s3_sync *s3;
    char *spool_dir;
};

struct s3_writer {
    struct floe_store_writer base;
    int fd;
    char *spool;
    char bucket[BUCKET_MAX];
    char *key;
};

static struct floe_s3_sync *client(struct floe_store *s)
{
    return ((struct s3_store *)s)->s3;
}

/* Splits an s3://bucket/key location; the key points into location. */
static int split(const char *location, char bucket[BUCKET_MAX], const char **key, char *err,
                 size_t cap)
{
    if (strncmp(location, "s3://", 5) != 0 ||
        floe_s3_parse_uri(location, bucket, BUCKET_MAX, key) < 0 || !*key) {
        floe__store_err(err, cap, "%s is not an s3://bucket/key location", location);
        return -EINVAL;
    }
    return 0;
}

static int s3_put(struct floe_store *s, const char *location, const void *data, size_t len,
                  unsigned flags, char *err, size_t cap)
{
    char bucket[BUCKET_MAX];
    const char *key;
    int rc = split(location, bucket, &key, err, cap);
    if (rc < 0) {
        return rc;
    }
    return floe_s3_sync_put(client(s), bucket, key, data, len,
                            (flags & FLOE_STORE_EXCL) ? FLOE_S3_IF_NONE_MATCH : 0u, err, cap);
}

static int s3_get(struct floe_store *s, const char *location, size_t max, char **data,
                  size_t *len, char *err, size_t cap)
{
    char bucket[BUCKET_MAX];
    const char *key;
    uint8_t *bytes = NULL;
    int rc = split(location, bucket, &key, err, cap);
    if (rc < 0) {
        return rc;
    }
    rc = floe_s3_sync_get(client(s), bucket, key, max, &bytes, len, err, cap);
    if (rc == 0) {
        *data = (char *)bytes;
    }
    return rc;
}

static int s3_size(struct floe_store *s, const char *location, uint64_t *size, char *err,
                   size_t cap)
{
    char bucket[BUCKET_MAX];
    const char *key;
    int rc = split(location, bucket, &key, err, cap);
    return rc < 0 ? rc : floe_s3_sync_head(client(s), bucket, key, size, err, cap);
}

struct list_ctx {
    floe_store_list_fn fn;
    void *arg;
    const char *bucket;
    char *buf;
    size_t cap;
};

/* Turns each listed key back into a location for the caller. */
static int on_key(void *arg, const char *key, uint64_t size)
{
    struct list_ctx *c = arg;
    size_t need = 5 + strlen(c->bucket) + 1 + strlen(key) + 1;
    if (need > c->cap) {
        char *grown = realloc(c->buf, need);
        if (!grown) {
            return -ENOMEM;
        }
        c->buf = grown;
        c->cap = need;
    }
    snprintf(c->buf, c->cap, "s3://%s/%s", c->bucket, key);
    return c->fn(c->arg, c->buf, size);
}

static int s3_list(struct floe_store *s, const char *prefix, floe_store_list_fn fn, void *arg,
                   char *err, size_t cap)
{
    char bucket[BUCKET_MAX];
    const char *key;
    int rc = split(prefix, bucket, &key, err, cap);
    if (rc < 0) {
        return rc;
    }
    struct list_ctx c = {fn, arg, bucket, NULL, 0};
    rc = floe_s3_sync_list(client(s), bucket, key, on_key, &c, err, cap);
    free(c.buf);
    return rc;
}

static int s3_delete(struct floe_store *s, const char *const *locations, size_t n,
                     size_t *deleted, char *err, size_t cap)
{
    const char **keys = calloc(n < DELETE_BATCH ? n : DELETE_BATCH, sizeof(*keys));
    char bucket[BUCKET_MAX], next[BUCKET_MAX];
    if (!keys) {
        return -ENOMEM;
    }
    int rc = 0;
    size_t i = 0;
    /* One request per run of keys in the same bucket, at most DELETE_BATCH each. */
    while (rc == 0 && i < n) {
        size_t k = 0;
        if ((rc = split(locations[i], bucket, &keys[k], err, cap)) < 0) {
            break;
        }
        k++;
        i++;
        while (rc == 0 && i < n && k < DELETE_BATCH) {
            const char *key;
            if ((rc = split(locations[i], next, &key, err, cap)) < 0) {
                break;
            }
            if (strcmp(next, bucket) != 0) {
                break;
            }
            keys[k++] = key;
            i++;
        }
        if (rc == 0) {
            rc = floe_s3_sync_delete(client(s), bucket, keys, k, err, cap);
        }
        if (rc == 0 && deleted) {
            *deleted += k;
        }
    }
    free(keys);
    return rc;
}

static int s3_sync(struct floe_store *s, const char *location, char *err, size_t cap)
{
    (void)s, (void)location, (void)err, (void)cap;
    return 0; /* an upload is durable once it has returned */
}

static int s3_writer_open(struct floe_store *s, const char *location, unsigned flags,
                          struct floe_store_writer **out, char *err, size_t cap)
{
    struct s3_store *st = (struct s3_store *)s;
    const char *key;
    (void)flags; /* uploads are durable when close returns */
    struct s3_writer *w = calloc(1, sizeof(*w));
    if (!w) {
        return -ENOMEM;
    }
    w->fd = -1;
    int rc = split(location, w->bucket, &key, err, cap);
    if (rc < 0) {
        goto fail;
    }
    w->key = strdup(key);
    size_t n = strlen(st->spool_dir) + 32;
    w->spool = malloc(n);
    if (!w->key || !w->spool) {
        rc = -ENOMEM;
        goto fail;
    }
    if ((rc = floe_mkdirs(st->spool_dir, 0700)) < 0) {
        floe__store_err(err, cap, "cannot create the upload spool directory %s: %s",
                        st->spool_dir, strerror(-rc));
        goto fail;
    }
    snprintf(w->spool, n, "%s/upload-XXXXXX", st->spool_dir);
    w->fd = mkostemp(w->spool, O_CLOEXEC);
    if (w->fd < 0) {
        rc = -errno;
        floe__store_err(err, cap, "cannot create a spool file in %s: %s", st->spool_dir,
                        strerror(-rc));
        goto fail;
    }
    w->base.store = s;
    *out = &w->base;
    return 0;
fail:
    free(w->key);
    free(w->spool);
    free(w);
    return rc;
}

static int s3_writer_write(struct floe_store_writer *base, const void *data, size_t len)
{
    return floe_write_all(((struct s3_writer *)base)->fd, data, len);
}

static void writer_free(struct s3_writer *w)
{
    if (w->fd >= 0) {
        close(w->fd);
    }
    unlink(w->spool);
    free(w->spool);
    free(w->key);
    free(w);
}

static int s3_writer_close(struct floe_store_writer *base, char *err, size_t cap)
{
    struct s3_writer *w = (struct s3_writer *)base;
    int rc = 0;
    if (close(w->fd) < 0) {
        rc = -errno;
        floe__store_err(err, cap, "writing the spool file %s: %s", w->spool, strerror(-rc));
    }
    w->fd = -1;
    if (rc == 0) {
        rc = floe_s3_sync_put_file(client(w->base.store), w->bucket, w->key, w->spool, 0, err,
                                   cap);
    }
    writer_free(w);
    return rc;
}

static void s3_writer_abort(struct floe_store_writer *base)
{
    writer_free((struct s3_writer *)base);
}

static void s3_close(struct floe_store *s)
{
    struct s3_store *st = (struct s3_store *)s;
    struct floe_s3_stats n;
    floe_s3_sync_stats(st->s3, &n);
    FLOE_DEBUG("store", "S3 store closed\trequests=%" PRIu64 " retries=%" PRIu64
               " connections=%" PRIu64 " bytes_sent=%" PRIu64,
               n.requests, n.retries, n.connections, n.bytes_sent);
    floe_s3_sync_close(st->s3);
    free(st->spool_dir);
    free(st);
}

static const struct floe__store_ops s3_ops = {
    s3_put,         s3_get,          s3_size,         s3_list,
    s3_delete,      s3_sync,         s3_writer_open,  s3_writer_write,
    s3_writer_close, s3_writer_abort, s3_close,
};

int floe__store_s3_open(const struct floe_config *cfg, struct floe_store **out, char *err,
                        size_t cap)
{
    struct s3_store *st = calloc(1, sizeof(*st));
    if (!st) {
        return -ENOMEM;
    }
    const char *tmp = getenv("TMPDIR");
    const char *state = cfg->agent.state_dir;
    size_t n = (state && *state) ? strlen(state) + 5 : strlen(tmp && *tmp ? tmp : "/tmp") + 1;
    st->spool_dir = malloc(n);
    if (!st->spool_dir) {
        free(st);
        return -ENOMEM;
    }
    if (state && *state) {
        snprintf(st->spool_dir, n, "%s/tmp", state);
    } else {
        snprintf(st->spool_dir, n, "%s", tmp && *tmp ? tmp : "/tmp");
    }
    int rc = floe_s3_sync_open(cfg, &st->s3, err, cap);
    if (rc < 0) {
        free(st->spool_dir);
        free(st);
        return rc;
    }
    st->base.ops = &s3_ops;
    st->base.local = false;
    *out = &st->base;
    return 0;
}

#else /* a build without the S3 client */

int floe__store_s3_open(const struct floe_config *cfg, struct floe_store **out, char *err,
                        size_t cap)
{
    (void)cfg, (void)out;
    floe__store_err(err, cap, "s3:// warehouses need floe's S3 client, which this build does "
                              "not have; use a local path");
    return -ENOTSUP;
}

#endif
