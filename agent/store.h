/* store.h — the object store under a warehouse: the few blocking calls the table layer makes
 * for everything it reads and writes below table.warehouse.
 *
 * Two stores stand behind one interface:
 *   - local (store_local.c): a plain directory tree. Locations are paths (file:/path and
 *     file:///path are accepted too). Exclusive puts are O_EXCL + link(2), plain puts are an
 *     atomic rename, parent directories are created as needed, and writers can fsync.
 *   - S3 (store_s3.c): locations are full `s3://bucket/key` URIs, as other Iceberg engines
 *     expect them in metadata. Exclusive puts are `If-None-Match: *` (412 → -EEXIST, 409 →
 *     -EAGAIN), streamed data files are spooled to a local temporary file and uploaded (in
 *     parts when large) when the writer is closed, so memory stays bounded.
 *
 * Every call blocks: the CLI and worker threads call them directly, the daemon calls the table
 * layer off its loop. A store is used from one thread at a time. Every call takes a caller
 * buffer (err, cap) that receives the reason of a failure; it is left unchanged on success.
 * Returns are 0 or a negative errno.
 */
#ifndef FLOE_STORE_H
#define FLOE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* put: create only; -EEXIST when the object exists (and nothing is written). */
#define FLOE_STORE_EXCL 1u
/* writer: the content is durable when close returns (local: fsync; S3: always). */
#define FLOE_STORE_SYNC 2u

struct floe_store;
struct floe_store_writer;

/* floe_store_open(cfg, warehouse, &s, err, cap): the store of a warehouse location: s3://…
 * gives an S3 store configured by cfg's [s3] section (cfg borrowed for the call only; its
 * agent.state_dir/tmp, else TMPDIR, else /tmp holds spooled uploads); a plain path or file://
 * gives the local store. 0 with *s set (free with floe_store_close); -EINVAL for an unknown
 * scheme, -ENOTSUP when this build has no S3 client, or another error with err set. */
int floe_store_open(const struct floe_config *cfg, const char *warehouse, struct floe_store **s,
                    char *err, size_t cap);

/* floe_store_open_local(&s): the local store. 0 or -ENOMEM. */
int floe_store_open_local(struct floe_store **s);

/* floe_store_close(s): releases the store (NULL allowed). Open writers must be closed or
 * aborted first. */
void floe_store_close(struct floe_store *s);

/* floe_store_is_local(s): whether locations are local paths. */
bool floe_store_is_local(const struct floe_store *s);

/* floe_store_local_path(location): a local store's location as a path (plain, file:/path or
 * file:///path accepted), pointing into location. Any thread. */
const char *floe_store_local_path(const char *location);

/* floe_store_put(s, location, data, len, flags, err, cap): writes a whole object (data
 * borrowed). With FLOE_STORE_EXCL the object appears only if it did not exist: -EEXIST when
 * it did (nothing written); on S3 -EAGAIN when a concurrent conditional write conflicted (409:
 * nothing written, the same put may be retried). Without it the object is replaced
 * atomically: readers see the old or the new content. Local puts are fsynced. */
int floe_store_put(struct floe_store *s, const char *location, const void *data, size_t len,
                   unsigned flags, char *err, size_t cap);

/* floe_store_get(s, location, max, &data, &len, err, cap): reads a whole object of at most max
 * bytes into a malloc'd buffer with a NUL after the last byte (the caller frees it). -ENOENT
 * when it does not exist, -EFBIG above max; *data unchanged on failure. */
int floe_store_get(struct floe_store *s, const char *location, size_t max, char **data,
                   size_t *len, char *err, size_t cap);

/* floe_store_size(s, location, &size, err, cap): the object's size; -ENOENT when it does not
 * exist. */
int floe_store_size(struct floe_store *s, const char *location, uint64_t *size, char *err,
                    size_t cap);

/* floe_store_list_fn(arg, location, size): one object of a listing (location borrowed for the
 * call). A negative return stops the listing and is returned by floe_store_list. */
typedef int (*floe_store_list_fn)(void *arg, const char *location, uint64_t size);

/* floe_store_list(s, prefix, fn, arg, err, cap): calls fn for every object whose location
 * starts with prefix, in no particular order (local: a walk of prefix's directory and the
 * directories below it). A prefix whose directory does not exist lists nothing (0). */
int floe_store_list(struct floe_store *s, const char *prefix, floe_store_list_fn fn, void *arg,
                    char *err, size_t cap);

/* floe_store_delete(s, locations, n, &deleted, err, cap): deletes the objects (locations
 * borrowed); missing ones are not an error. *deleted (may be NULL) counts the objects removed
 * (local: those that existed; S3, which does not say: all of them on success). On failure some
 * may be deleted. */
int floe_store_delete(struct floe_store *s, const char *const *locations, size_t n,
                      size_t *deleted, char *err, size_t cap);

/* floe_store_sync(s, location, err, cap): makes what was written below location durable
 * before metadata names it (local: one syncfs of its file system; S3: nothing, uploads are
 * durable when they return). */
int floe_store_sync(struct floe_store *s, const char *location, char *err, size_t cap);

/* floe_store_writer_open(s, location, flags, &w, err, cap): starts a new object written as a
 * stream (FLOE_STORE_SYNC: durable at close). The object must not exist: local creates it with
 * O_EXCL (-EEXIST otherwise) and its missing parent directories; S3 spools to a temporary
 * local file. Nothing is visible at location before close succeeds on S3; locally the file
 * grows in place. */
int floe_store_writer_open(struct floe_store *s, const char *location, unsigned flags,
                           struct floe_store_writer **w, char *err, size_t cap);

/* floe_store_writer_write(w, data, len): appends (data borrowed). 0 or -errno; after a failure
 * the writer must be aborted. */
int floe_store_writer_write(struct floe_store_writer *w, const void *data, size_t len);

/* floe_store_writer_sink(ctx, data, len): floe_store_writer_write with the writer as a void *,
 * for the Parquet and Avro writers' sink callbacks. */
int floe_store_writer_sink(void *ctx, const uint8_t *data, size_t len);

/* floe_store_writer_close(w, err, cap): finishes the object (S3: uploads the spool, in parts
 * above s3.part_size, and removes it) and frees w in every case. On failure the object is
 * removed (local) or was never created (S3). */
int floe_store_writer_close(struct floe_store_writer *w, char *err, size_t cap);

/* floe_store_writer_abort(w): drops what was written (the local file or the spool) and frees
 * w; NULL allowed. */
void floe_store_writer_abort(struct floe_store_writer *w);

#endif
