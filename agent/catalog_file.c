/* catalog_file.c — the file catalog: Iceberg file-system tables on a store (store.h), a local
 * disk or an S3 bucket.
 *
 * Layout and rules are in catalog.h. Loading prefers the hint, probes forward past it (a
 * writer may have committed and crashed before rewriting the hint, or another writer may be
 * ahead), and falls back to listing the metadata directory when the hint is missing, corrupt or
 * names a version that does not exist. Committing is the store's exclusive put (local: O_EXCL
 * and link(2); S3: If-None-Match: *), then a best-effort rewrite of the hint.
 */
#include "catalog.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

#define METADATA_MAX (64u << 20) /* a metadata file larger than this is refused */
#define HINT_MAX 64
#define CONFLICT_RETRIES 5       /* 409 on the conditional PUT: retries of the same PUT */
#define CONFLICT_BACKOFF_MS 50   /* doubled after each */

static void set_err(struct floe_catalog *cat, const char *fmt, const char *a, const char *b)
{
    int n = snprintf(NULL, 0, fmt, a, b);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf) {
        snprintf(buf, (size_t)n + 1, fmt, a, b);
    }
    free(cat->err);
    cat->err = buf;
}

int floe_catalog_file_path(const struct floe_catalog *cat, int64_t version, char *buf,
                           size_t cap)
{
    int n = snprintf(buf, cap, "%s/metadata/v%" PRId64 ".metadata.json", cat->table_dir,
                     version);
    return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}

/* The store's reason for a failure, or the errno's text when it gave none. */
static const char *reason(const char *err, int rc)
{
    return err[0] ? err : strerror(-rc);
}

/* 1 when the object at location exists, 0 when it does not, or a negative errno when the
 * store could not say (err set). */
static int object_exists(struct floe_catalog *cat, const char *location, char *err, size_t cap)
{
    uint64_t size;
    int rc = floe_store_size(cat->store, location, &size, err, cap);
    return rc == 0 ? 1 : rc == -ENOENT ? 0 : rc;
}

/* Parses "v<N>.metadata.json"; returns N or -1. */
static int64_t version_of(const char *name)
{
    if (name[0] != 'v' || !isdigit((unsigned char)name[1])) {
        return -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(name + 1, &end, 10);
    if (errno || strcmp(end, ".metadata.json") != 0 || v < 0) {
        return -1;
    }
    return (int64_t)v;
}

struct latest {
    size_t dir_len; /* of "<table>/metadata/" */
    int64_t best;
};

static int on_metadata(void *arg, const char *location, uint64_t size)
{
    struct latest *l = arg;
    (void)size;
    const char *name = location + l->dir_len;
    if (strchr(name, '/') == NULL) { /* directly in metadata/ */
        int64_t v = version_of(name);
        if (v > l->best) {
            l->best = v;
        }
    }
    return 0;
}

/* The highest v<N>.metadata.json in the metadata directory; -ENOENT if none (err set on other
 * errors). */
static int64_t list_latest(struct floe_catalog *cat, char *err, size_t cap)
{
    char prefix[4096];
    int n = snprintf(prefix, sizeof(prefix), "%s/metadata/v", cat->table_dir);
    if (n < 0 || (size_t)n >= sizeof(prefix)) {
        return -ENAMETOOLONG;
    }
    struct latest l = {(size_t)n - 1, -ENOENT};
    int rc = floe_store_list(cat->store, prefix, on_metadata, &l, err, cap);
    return rc < 0 ? rc : l.best;
}

/* The hint's version, or -1 if it is missing or not a number. Java writes the bare number;
 * a trailing newline or blanks written by other tools are tolerated. */
static int64_t read_hint(const struct floe_catalog *cat)
{
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/metadata/version-hint.text", cat->table_dir);
    char err[256] = "";
    if (floe_store_get(cat->store, path, HINT_MAX, &text, &len, err, sizeof(err)) < 0) {
        return -1;
    }
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    bool ok = end != text && errno == 0 && v >= 0 && isdigit((unsigned char)text[0]);
    while (ok && *end) {
        ok = isspace((unsigned char)*end++);
    }
    free(text);
    return ok ? (int64_t)v : -1;
}

static int file_load(struct floe_catalog *cat, char **text, size_t *len, int64_t *version,
                     char **location)
{
    char path[4096], err[512] = "";
    set_err(cat, "%s%s", "", ""); /* no stale message from an earlier call */
    int64_t v = read_hint(cat);
    int rc;
    if (v >= 0) {
        if (floe_catalog_file_path(cat, v, path, sizeof(path)) < 0 ||
            (rc = object_exists(cat, path, err, sizeof(err))) == 0) {
            v = -1; /* the hint names a version that is not there */
        } else if (rc < 0) {
            set_err(cat, "%s%s", reason(err, rc), "");
            return rc;
        } else {
            for (;;) { /* committed past the hint? */
                if (floe_catalog_file_path(cat, v + 1, path, sizeof(path)) < 0) {
                    break;
                }
                if ((rc = object_exists(cat, path, err, sizeof(err))) < 0) {
                    set_err(cat, "%s%s", reason(err, rc), "");
                    return rc;
                }
                if (rc == 0) {
                    break;
                }
                v++;
            }
        }
    }
    if (v < 0) {
        v = list_latest(cat, err, sizeof(err));
        if (v == -ENOENT) {
            set_err(cat, "no table at %s%s", cat->table_dir,
                    " (no metadata/v<N>.metadata.json)");
            return -ENOENT;
        }
        if (v < 0) {
            if (err[0]) {
                set_err(cat, "%s%s", err, "");
            } else {
                set_err(cat, "cannot list %s/metadata: %s", cat->table_dir, strerror((int)-v));
            }
            return (int)v;
        }
    }
    if (floe_catalog_file_path(cat, v, path, sizeof(path)) < 0) {
        return -ENAMETOOLONG;
    }
    char *data = NULL;
    size_t n = 0;
    rc = floe_store_get(cat->store, path, METADATA_MAX, &data, &n, err, sizeof(err));
    if (rc < 0) {
        if (rc == -EFBIG || !err[0]) {
            set_err(cat, "cannot read %s: %s", path,
                    rc == -EFBIG ? "larger than 64 MiB" : strerror(-rc));
        } else {
            set_err(cat, "%s%s", err, "");
        }
        return rc;
    }
    char *loc = strdup(path);
    if (!loc) {
        free(data);
        return -ENOMEM;
    }
    *text = data;
    *len = n;
    *version = v;
    *location = loc;
    return 0;
}

/* The exclusive put of a new version; a 409 (-EAGAIN: a conditional write racing another) is
 * retried after a growing pause, and reported as a lost race (-EEXIST) when it persists. */
static int put_version(struct floe_catalog *cat, const char *path, const char *text, size_t len,
                       char *err, size_t cap)
{
    long pause_ms = CONFLICT_BACKOFF_MS;
    for (int attempt = 0;; attempt++) {
        int rc = floe_store_put(cat->store, path, text, len, FLOE_STORE_EXCL, err, cap);
        if (rc != -EAGAIN) {
            return rc;
        }
        if (attempt >= CONFLICT_RETRIES) {
            return -EEXIST;
        }
        struct timespec ts = {pause_ms / 1000, (pause_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        pause_ms *= 2;
    }
}

static int file_commit(struct floe_catalog *cat, int64_t version, const char *text, size_t len,
                       char **location)
{
    char path[4096], hint[4200], num[32], err[512] = "";
    set_err(cat, "%s%s", "", "");
    *location = NULL;
    if (version < 1) {
        return -EINVAL;
    }
    if (floe_catalog_file_path(cat, version, path, sizeof(path)) < 0) {
        return -ENAMETOOLONG;
    }
    int rc = put_version(cat, path, text, len, err, sizeof(err));
    if (rc == -EEXIST) {
        set_err(cat, "%s exists: another writer committed first%s", path, "");
        return rc;
    }
    if (rc < 0) {
        if (err[0]) {
            set_err(cat, "%s%s", err, "");
        } else {
            set_err(cat, "cannot write %s: %s", path, strerror(-rc));
        }
        return rc;
    }
    /* Committed: whatever happens below, the result is success (*location may stay NULL). */
    *location = strdup(path);
    /* The hint is best-effort: readers and writers probe past a stale one. */
    snprintf(hint, sizeof(hint), "%s/metadata/version-hint.text", cat->table_dir);
    int n = snprintf(num, sizeof(num), "%" PRId64, version);
    if (floe_store_put(cat->store, hint, num, (size_t)n, 0, err, sizeof(err)) < 0) {
        set_err(cat, "committed %s, but could not update the version hint%s", path, "");
    }
    return 0;
}

static void file_free(struct floe_catalog *cat)
{
    floe_store_close(cat->owned_store);
    free(cat->table_dir);
    free(cat->err);
    free(cat);
}

static const struct floe_catalog_ops file_ops = {file_load, file_commit, file_free};

int floe_catalog_store_open(struct floe_store *store, const char *warehouse, const char *ns,
                            const char *table, struct floe_catalog **out)
{
    char cwd[4096];
    const char *root = warehouse;
    bool remote = strncmp(root, "s3://", 5) == 0;
    if (strncmp(root, "file://", 7) == 0) {
        root += 7;
    } else if (strstr(root, "://") && !remote) {
        return -EINVAL;
    }
    if (remote == floe_store_is_local(store)) {
        return -EINVAL; /* an s3:// warehouse needs the S3 store, a path the local one */
    }
    if (!*root || !*ns || !*table || (remote && !root[5])) {
        return -EINVAL;
    }
    bool relative = !remote && root[0] != '/';
    if (relative && !getcwd(cwd, sizeof(cwd))) {
        return -errno;
    }
    struct floe_catalog *cat = calloc(1, sizeof(*cat));
    size_t cap = strlen(root) + strlen(ns) + strlen(table) + sizeof(cwd) + 4;
    char *dir = malloc(cap);
    if (!cat || !dir) {
        free(cat);
        free(dir);
        return -ENOMEM;
    }
    size_t at = (size_t)snprintf(dir, cap, "%s%s%s", relative ? cwd : "", relative ? "/" : "",
                                 root);
    size_t keep = remote ? 6 : 1; /* "s3://b" or "/" */
    while (at > keep && dir[at - 1] == '/') {
        dir[--at] = '\0';
    }
    /* Namespace levels become directories: "db.sales" → db/sales. */
    dir[at++] = '/';
    for (const char *p = ns; *p; p++) {
        dir[at++] = *p == '.' ? '/' : *p;
    }
    snprintf(dir + at, cap - at, "/%s", table);
    cat->ops = &file_ops;
    cat->table_dir = dir;
    cat->store = store;
    *out = cat;
    return 0;
}

int floe_catalog_file_open(const char *warehouse, const char *ns, const char *table,
                           struct floe_catalog **out)
{
    struct floe_store *store = NULL;
    if (strncmp(warehouse, "file://", 7) != 0 && strstr(warehouse, "://")) {
        return -EINVAL;
    }
    int rc = floe_store_open_local(&store);
    if (rc < 0) {
        return rc;
    }
    if ((rc = floe_catalog_store_open(store, warehouse, ns, table, out)) < 0) {
        floe_store_close(store);
        return rc;
    }
    (*out)->owned_store = store;
    return 0;
}

void floe_catalog_free(struct floe_catalog *cat)
{
    if (cat) {
        cat->ops->free(cat);
    }
}
