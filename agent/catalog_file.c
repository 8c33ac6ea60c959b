/* catalog_file.c — the file catalog: Iceberg file-system tables on a local disk.
 *
 * Layout and rules are in catalog.h. Loading prefers the hint, probes forward past it (a
 * writer may have committed and crashed before rewriting the hint, or another writer may be
 * ahead), and falls back to listing the metadata directory when the hint is missing, corrupt or
 * names a version that does not exist.
 */
#include "catalog.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

#define METADATA_MAX (64u << 20) /* a metadata file larger than this is refused */
#define HINT_MAX 64

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

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
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

/* The highest v<N>.metadata.json in the metadata directory; -ENOENT if none. */
static int64_t list_latest(const struct floe_catalog *cat)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/metadata", cat->table_dir);
    DIR *d = opendir(dir);
    if (!d) {
        return -errno;
    }
    int64_t best = -ENOENT;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int64_t v = version_of(e->d_name);
        if (v > best) {
            best = v;
        }
    }
    closedir(d);
    return best;
}

/* The hint's version, or -1 if it is missing or not a number. Java writes the bare number;
 * a trailing newline or blanks written by other tools are tolerated. */
static int64_t read_hint(const struct floe_catalog *cat)
{
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "%s/metadata/version-hint.text", cat->table_dir);
    if (floe_read_file(path, HINT_MAX, &text, &len) < 0) {
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
    char path[4096];
    set_err(cat, "%s%s", "", ""); /* no stale message from an earlier call */
    int64_t v = read_hint(cat);
    if (v >= 0) {
        if (floe_catalog_file_path(cat, v, path, sizeof(path)) < 0 || !file_exists(path)) {
            v = -1; /* the hint names a version that is not there */
        } else {
            for (;;) { /* committed past the hint? */
                if (floe_catalog_file_path(cat, v + 1, path, sizeof(path)) < 0 ||
                    !file_exists(path)) {
                    break;
                }
                v++;
            }
        }
    }
    if (v < 0) {
        v = list_latest(cat);
        if (v == -ENOENT) {
            set_err(cat, "no table at %s%s", cat->table_dir,
                    " (no metadata/v<N>.metadata.json)");
            return -ENOENT;
        }
        if (v < 0) {
            set_err(cat, "cannot list %s/metadata: %s", cat->table_dir, strerror((int)-v));
            return (int)v;
        }
    }
    if (floe_catalog_file_path(cat, v, path, sizeof(path)) < 0) {
        return -ENAMETOOLONG;
    }
    char *data = NULL;
    size_t n = 0;
    int rc = floe_read_file(path, METADATA_MAX, &data, &n);
    if (rc < 0) {
        set_err(cat, "cannot read %s: %s", path, rc == -EFBIG ? "larger than 64 MiB"
                                                               : strerror(-rc));
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

static int file_commit(struct floe_catalog *cat, int64_t version, const char *text, size_t len,
                       char **location)
{
    char path[4096], dir[4096], hint[4200], num[32];
    set_err(cat, "%s%s", "", "");
    *location = NULL;
    if (version < 1) {
        return -EINVAL;
    }
    snprintf(dir, sizeof(dir), "%s/metadata", cat->table_dir);
    int rc = floe_mkdirs(dir, 0755);
    if (rc < 0) {
        set_err(cat, "cannot create %s: %s", dir, strerror(-rc));
        return rc;
    }
    if (floe_catalog_file_path(cat, version, path, sizeof(path)) < 0) {
        return -ENAMETOOLONG;
    }
    rc = floe_create_file_excl(path, text, len);
    if (rc == -EEXIST) {
        set_err(cat, "%s exists: another writer committed first%s", path, "");
        return rc;
    }
    if (rc < 0) {
        set_err(cat, "cannot write %s: %s", path, strerror(-rc));
        return rc;
    }
    /* Committed: whatever happens below, the result is success (*location may stay NULL). */
    *location = strdup(path);
    /* The hint is best-effort: readers and writers probe past a stale one. */
    snprintf(hint, sizeof(hint), "%s/version-hint.text", dir);
    int n = snprintf(num, sizeof(num), "%" PRId64, version);
    if (floe_write_file_atomic(hint, num, (size_t)n) < 0) {
        set_err(cat, "committed %s, but could not update the version hint%s", path, "");
    }
    return 0;
}

static void file_free(struct floe_catalog *cat)
{
    free(cat->table_dir);
    free(cat->err);
    free(cat);
}

static const struct floe_catalog_ops file_ops = {file_load, file_commit, file_free};

int floe_catalog_file_open(const char *warehouse, const char *ns, const char *table,
                           struct floe_catalog **out)
{
    char cwd[4096];
    const char *root = warehouse;
    if (strncmp(root, "file://", 7) == 0) {
        root += 7;
    } else if (strstr(root, "://")) {
        return -EINVAL;
    }
    if (!*root || !*ns || !*table) {
        return -EINVAL;
    }
    if (root[0] != '/' && !getcwd(cwd, sizeof(cwd))) {
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
    size_t at = (size_t)snprintf(dir, cap, "%s%s%s", root[0] == '/' ? "" : cwd,
                                 root[0] == '/' ? "" : "/", root);
    while (at > 1 && dir[at - 1] == '/') {
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
    *out = cat;
    return 0;
}

void floe_catalog_free(struct floe_catalog *cat)
{
    if (cat) {
        cat->ops->free(cat);
    }
}
