/* store.c — picks the store of a warehouse and dispatches store.h's calls to it.
 *
 * The stores themselves are store_local.c (a directory tree) and store_s3.c (an S3 bucket
 * through the blocking S3 client); this file only chooses one by the warehouse's scheme.
 */
#include "store_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void floe__store_err(char *err, size_t cap, const char *fmt, ...)
{
    if (!err || cap == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
}

int floe_store_open(const struct floe_config *cfg, const char *warehouse, struct floe_store **s,
                    char *err, size_t cap)
{
    if (strncmp(warehouse, "s3://", 5) == 0) {
        return floe__store_s3_open(cfg, s, err, cap);
    }
    if (strncmp(warehouse, "file:", 5) != 0 && strstr(warehouse, "://")) {
        floe__store_err(err, cap, "%s: unknown scheme (use a path, file:///path or "
                                  "s3://bucket/prefix)", warehouse);
        return -EINVAL;
    }
    int rc = floe_store_open_local(s);
    if (rc < 0) {
        floe__store_err(err, cap, "out of memory");
    }
    return rc;
}

void floe_store_close(struct floe_store *s)
{
    if (s) {
        s->ops->close(s);
    }
}

bool floe_store_is_local(const struct floe_store *s)
{
    return s->local;
}

int floe_store_put(struct floe_store *s, const char *location, const void *data, size_t len,
                   unsigned flags, char *err, size_t cap)
{
    return s->ops->put(s, location, data, len, flags, err, cap);
}

int floe_store_get(struct floe_store *s, const char *location, size_t max, char **data,
                   size_t *len, char *err, size_t cap)
{
    return s->ops->get(s, location, max, data, len, err, cap);
}

int floe_store_size(struct floe_store *s, const char *location, uint64_t *size, char *err,
                    size_t cap)
{
    return s->ops->size(s, location, size, err, cap);
}

int floe_store_list(struct floe_store *s, const char *prefix, floe_store_list_fn fn, void *arg,
                    char *err, size_t cap)
{
    return s->ops->list(s, prefix, fn, arg, err, cap);
}

int floe_store_delete(struct floe_store *s, const char *const *locations, size_t n,
                      size_t *deleted, char *err, size_t cap)
{
    if (deleted) {
        *deleted = 0;
    }
    return n ? s->ops->del(s, locations, n, deleted, err, cap) : 0;
}

int floe_store_sync(struct floe_store *s, const char *location, char *err, size_t cap)
{
    return s->ops->sync(s, location, err, cap);
}

int floe_store_writer_open(struct floe_store *s, const char *location, unsigned flags,
                           struct floe_store_writer **w, char *err, size_t cap)
{
    return s->ops->writer_open(s, location, flags, w, err, cap);
}

int floe_store_writer_write(struct floe_store_writer *w, const void *data, size_t len)
{
    return w->store->ops->writer_write(w, data, len);
}

int floe_store_writer_sink(void *ctx, const uint8_t *data, size_t len)
{
    return floe_store_writer_write(ctx, data, len);
}

int floe_store_writer_close(struct floe_store_writer *w, char *err, size_t cap)
{
    return w->store->ops->writer_close(w, err, cap);
}

void floe_store_writer_abort(struct floe_store_writer *w)
{
    if (w) {
        w->store->ops->writer_abort(w);
    }
}
