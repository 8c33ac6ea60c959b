/* catalog.h — where a table's metadata lives and how a new version is committed atomically.
 *
 * A catalog resolves a table to its current metadata JSON and commits version N+1 only if no
 * other writer committed it first. The operations are an interface so that a file catalog (a
 * local directory, below), an object store with conditional PUT (`If-None-Match: *` on
 * vN+1.metadata.json) and a REST catalog can stand behind the same table layer.
 *
 * The file catalog is Iceberg's "file system table" layout (spec "File System Tables";
 * SPEC-NOTES §7):
 *
 *     <warehouse>/<namespace levels…>/<table>/metadata/v<N>.metadata.json
 *     <warehouse>/<namespace levels…>/<table>/metadata/version-hint.text   ("N", no newline)
 *
 * A commit creates v<N+1>.metadata.json with O_CREAT|O_EXCL (written to a unique temporary
 * name, fsynced, then linked into place: link(2) fails if the name exists), so two writers can
 * never both commit N+1; the loser gets -EEXIST and must reload and rebase. The hint is
 * rewritten afterwards (rename over it) and is only a hint: loading probes v<N+1>, v<N+2>, …
 * past it, and lists the directory when it is missing or unreadable. These calls block; the
 * CLI uses them directly, and the daemon runs them off its loop.
 *
 * The same layout works on any store (store.h). On S3 (s3://bucket/prefix warehouses) the
 * exclusive create is a PUT of v<N+1>.metadata.json with `If-None-Match: *` (SPEC-NOTES §7):
 * 412 means another writer committed N+1 first (-EEXIST, as above); 409, a conditional write
 * racing another, is retried after a short backoff a few times and then reported as -EEXIST
 * too (the caller reloads and finds out who won). The hint is overwritten afterwards, best
 * effort. The scheme is only safe while every writer of the table commits this way.
 */
#ifndef FLOE_CATALOG_H
#define FLOE_CATALOG_H

#include <stddef.h>
#include <stdint.h>

struct floe_catalog;
struct floe_store;

struct floe_catalog_ops {
    /* Loads the current metadata: *text (malloc'd, NUL-terminated, caller frees), *len, its
     * *version and *location (malloc'd URI or path, caller frees). -ENOENT: no such table. */
    int (*load)(struct floe_catalog *cat, char **text, size_t *len, int64_t *version,
                char **location);
    /* Commits text as version `version` (the loaded version + 1). 0: committed, *location set
     * (malloc'd; NULL if out of memory after the commit, which still succeeded). -EEXIST:
     * another writer committed that version first; nothing was written. Any other error:
     * not committed. */
    int (*commit)(struct floe_catalog *cat, int64_t version, const char *text, size_t len,
                  char **location);
    void (*free)(struct floe_catalog *cat);
};

struct floe_catalog {
    const struct floe_catalog_ops *ops;
    char *table_dir; /* the table's root location (also the metadata's `location`) */
    char *err;       /* last error text, for messages; NULL if none */
    struct floe_store *store; /* where the files are (borrowed unless owned_store) */
    struct floe_store *owned_store;
};

/* floe_catalog_file_open(warehouse, ns, table, &cat): a file catalog for table `table` in
 * namespace `ns` (levels separated by '.') under warehouse (a plain path or file:///path).
 * Creates nothing. Returns 0 with *cat set (free with floe_catalog_free), -EINVAL for a
 * warehouse that is not local, or -ENOMEM. */
int floe_catalog_file_open(const char *warehouse, const char *ns, const char *table,
                           struct floe_catalog **cat);

/* floe_catalog_store_open(store, warehouse, ns, table, &cat): the file-system layout above on
 * store (borrowed: it must outlive the catalog), for a warehouse of that store's kind (a local
 * store: a plain path or file:///path; the S3 store: s3://bucket/prefix). table_dir is then a
 * path or an s3:// URI. Creates nothing. 0 with *cat set, -EINVAL for a warehouse the store
 * does not hold, or -ENOMEM. */
int floe_catalog_store_open(struct floe_store *store, const char *warehouse, const char *ns,
                            const char *table, struct floe_catalog **cat);

/* floe_catalog_free(cat): releases the catalog; NULL is allowed. */
void floe_catalog_free(struct floe_catalog *cat);

/* floe_catalog_file_path(cat, version, buf, cap): the path of v<version>.metadata.json. */
int floe_catalog_file_path(const struct floe_catalog *cat, int64_t version, char *buf,
                           size_t cap);

#endif
