/* store_internal.h — what the stores (store_local.c, store_s3.c) implement behind store.h.
 *
 * store.c dispatches each call of store.h to the store's operations; a writer starts with the
 * store it belongs to, so that close and abort reach the right implementation.
 */
#ifndef FLOE_STORE_INTERNAL_H
#define FLOE_STORE_INTERNAL_H

#include "store.h"

struct floe__store_ops {
    int (*put)(struct floe_store *s, const char *location, const void *data, size_t len,
               unsigned flags, char *err, size_t cap);
    int (*get)(struct floe_store *s, const char *location, size_t max, char **data,
               size_t *len, char *err, size_t cap);
    int (*size)(struct floe_store *s, const char *location, uint64_t *size, char *err,
                size_t cap);
    int (*list)(struct floe_store *s, const char *prefix, floe_store_list_fn fn, void *arg,
                char *err, size_t cap);
    int (*del)(struct floe_store *s, const char *const *locations, size_t n, size_t *deleted,
               char *err, size_t cap);
    int (*sync)(struct floe_store *s, const char *location, char *err, size_t cap);
    int (*writer_open)(struct floe_store *s, const char *location, unsigned flags,
                       struct floe_store_writer **w, char *err, size_t cap);
    int (*writer_write)(struct floe_store_writer *w, const void *data, size_t len);
    int (*writer_close)(struct floe_store_writer *w, char *err, size_t cap);
    void (*writer_abort)(struct floe_store_writer *w);
    void (*close)(struct floe_store *s);
};

struct floe_store {
    const struct floe__store_ops *ops;
    bool local;
};

/* Every writer begins with this header. */
struct floe_store_writer {
    struct floe_store *store;
};

/* floe__store_err(err, cap, fmt, …): formats a reason into a caller's buffer (cap may be 0). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void floe__store_err(char *err, size_t cap, const char *fmt, ...);

/* floe__store_s3_open(cfg, &s, err, cap): the S3 store (store_s3.c); -ENOTSUP in a build
 * without the S3 client. */
int floe__store_s3_open(const struct floe_config *cfg, struct floe_store **s, char *err,
                        size_t cap);

#endif
