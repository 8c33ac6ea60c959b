/* store_local.c — the local store: a warehouse that is a directory tree on this machine.
 *
 * Locations are paths (file:/path and file:///path are read as /path). The semantics are those
 * the table layer always had on a local disk: an exclusive put writes a unique temporary file,
 * fsyncs it and link(2)s it into place (fsutil.h: the name appears complete or not at all and
 * never replaces another), a plain put renames over the old file, missing parent directories
 * are created, writers create their file with O_EXCL, and one syncfs(2) makes a table's data
 * durable before a commit names it.
 */
/* syncfs(2) */
#define _GNU_SOURCE
#include "store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

#define LIST_DEPTH_MAX 32 /* partition directories nest a few levels; links are not followed */

/* A writer gathers small writes (the Parquet writer hands over a page at a time, and a
 * partition's file is often a few KiB) into this many bytes before each write(2). */
#define WRITE_BUFFER (64 * 1024)

struct local_writer {
    struct floe_store_writer base;
    int fd;
    unsigned flags;
    char *path;
    size_t used; /* bytes in buf not yet written */
    uint8_t buf[WRITE_BUFFER];
};

const char *floe_store_local_path(const char *location)
{
    if (strncmp(location, "file://", 7) == 0) {
        return location + 7;
    }
    if (strncmp(location, "file:", 5) == 0) {
        return location + 5;
    }
    return location;
}

/* Creates the directory that holds path (nothing for a name without a slash). */
static int make_parent(const char *path, char *err, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) {
        return 0;
    }
    size_t n = (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir) {
        return -ENOMEM;
    }
    memcpy(dir, path, n);
    dir[n] = '\0';
    int rc = floe_mkdirs(dir, 0755);
    if (rc < 0) {
        floe__store_err(err, cap, "cannot create %s: %s", dir, strerror(-rc));
    }
    free(dir);
    return rc;
}

static int local_put(struct floe_store *s, const char *location, const void *data, size_t len,
                     unsigned flags, char *err, size_t cap)
{
    (void)s;
    const char *path = floe_store_local_path(location);
    int rc = make_parent(path, err, cap);
    if (rc < 0) {
        return rc;
    }
    rc = (flags & FLOE_STORE_EXCL) ? floe_create_file_excl(path, data, len)
                                   : floe_write_file_atomic(path, data, len);
    if (rc == -EEXIST && (flags & FLOE_STORE_EXCL)) {
        floe__store_err(err, cap, "%s exists", path);
    } else if (rc < 0) {
        floe__store_err(err, cap, "cannot write %s: %s", path, strerror(-rc));
    }
    return rc;
}

static int local_get(struct floe_store *s, const char *location, size_t max, char **data,
                     size_t *len, char *err, size_t cap)
{
    (void)s;
    const char *path = floe_store_local_path(location);
    int rc = floe_read_file(path, max, data, len);
    if (rc == -EFBIG) {
        floe__store_err(err, cap, "cannot read %s: larger than %zu bytes", path, max);
    } else if (rc < 0) {
        floe__store_err(err, cap, "cannot read %s: %s", path, strerror(-rc));
    }
    return rc;
}

static int local_size(struct floe_store *s, const char *location, uint64_t *size, char *err,
                      size_t cap)
{
    (void)s;
    const char *path = floe_store_local_path(location);
    struct stat st;
    if (stat(path, &st) < 0) {
        int rc = -errno;
        floe__store_err(err, cap, "cannot stat %s: %s", path, strerror(-rc));
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        floe__store_err(err, cap, "%s is not a regular file", path);
        return -ENOENT; /* a directory is not an object */
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

struct walk {
    const char *prefix;
    size_t prefix_len;
    floe_store_list_fn fn;
    void *arg;
    char *err;
    size_t cap;
};

/* Lists dir (a path of len bytes in a buffer of PATH_MAX) and the directories below it. */
static int walk_dir(struct walk *wk, char *path, size_t len, int depth)
{
    if (depth > LIST_DEPTH_MAX) {
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        int rc = -errno;
        if (rc == -ENOENT || rc == -ENOTDIR) {
            return 0;
        }
        floe__store_err(wk->err, wk->cap, "cannot list %s: %s", path, strerror(-rc));
        return rc;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        size_t n = strlen(e->d_name);
        if (len + 1 + n + 1 >= PATH_MAX) {
            continue; /* cannot be named: not ours */
        }
        path[len] = '/';
        memcpy(path + len + 1, e->d_name, n + 1);
        size_t full = len + 1 + n;
        struct stat st;
        if (lstat(path, &st) < 0) {
            path[len] = '\0';
            continue; /* removed meanwhile */
        }
        if (S_ISDIR(st.st_mode)) {
            /* Descend only where the prefix can still match. */
            size_t k = full < wk->prefix_len ? full : wk->prefix_len;
            if (strncmp(path, wk->prefix, k) == 0) {
                rc = walk_dir(wk, path, full, depth + 1);
            }
        } else if (S_ISREG(st.st_mode) && full >= wk->prefix_len &&
                   strncmp(path, wk->prefix, wk->prefix_len) == 0) {
            rc = wk->fn(wk->arg, path, (uint64_t)st.st_size);
        }
        path[len] = '\0';
    }
    closedir(d);
    return rc;
}

static int local_list(struct floe_store *s, const char *prefix, floe_store_list_fn fn,
                      void *arg, char *err, size_t cap)
{
    (void)s;
    const char *p = floe_store_local_path(prefix);
    size_t plen = strlen(p);
    if (plen == 0 || plen >= PATH_MAX) {
        floe__store_err(err, cap, "cannot list '%s': not a usable path", p);
        return -EINVAL;
    }
    char *path = malloc(PATH_MAX);
    if (!path) {
        return -ENOMEM;
    }
    /* The walk starts in the directory the prefix names or ends in ("/x" in the root). */
    const char *slash = strrchr(p, '/');
    if (!slash) {
        free(path);
        floe__store_err(err, cap, "cannot list '%s': not a path with a directory", p);
        return -EINVAL;
    }
    size_t dlen = (size_t)(slash - p);
    memcpy(path, p, dlen);
    path[dlen] = '\0';
    struct walk wk = {p, plen, fn, arg, err, cap};
    int rc;
    if (dlen == 0) {
        strcpy(path, "/");
        rc = walk_dir(&wk, path, 0, 0);
    } else {
        rc = walk_dir(&wk, path, dlen, 0);
    }
    free(path);
    return rc;
}

static int local_delete(struct floe_store *s, const char *const *locations, size_t n,
                        size_t *deleted, char *err, size_t cap)
{
    (void)s;
    int first = 0;
    for (size_t i = 0; i < n; i++) {
        const char *path = floe_store_local_path(locations[i]);
        if (unlink(path) == 0) {
            if (deleted) {
                (*deleted)++;
            }
        } else if (errno != ENOENT && first == 0) {
            first = -errno;
            floe__store_err(err, cap, "cannot delete %s: %s", path, strerror(-first));
        }
    }
    return first;
}

static int local_sync(struct floe_store *s, const char *location, char *err, size_t cap)
{
    (void)s;
    const char *path = floe_store_local_path(location);
    int dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (dirfd < 0 || syncfs(dirfd) < 0) {
        rc = -errno;
        floe__store_err(err, cap, "cannot sync %s: %s", path, strerror(-rc));
    }
    if (dirfd >= 0) {
        close(dirfd);
    }
    return rc;
}

static int local_writer_open(struct floe_store *s, const char *location, unsigned flags,
                             struct floe_store_writer **out, char *err, size_t cap)
{
    const char *path = floe_store_local_path(location);
    struct local_writer *w = malloc(sizeof(*w)); /* the buffer is left as it comes */
    char *copy = strdup(path);
    if (!w || !copy) {
        free(w);
        free(copy);
        return -ENOMEM;
    }
    int rc = make_parent(path, err, cap);
    if (rc < 0) {
        free(w);
        free(copy);
        return rc;
    }
    w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        rc = -errno;
        floe__store_err(err, cap, "cannot create %s: %s", path, strerror(-rc));
        free(w);
        free(copy);
        return rc;
    }
    w->base = (struct floe_store_writer){.store = s};
    w->flags = flags;
    w->path = copy;
    w->used = 0;
    *out = &w->base;
    return 0;
}

static int local_writer_flush(struct local_writer *w)
{
    int rc = w->used ? floe_write_all(w->fd, w->buf, w->used) : 0;
    w->used = 0;
    return rc;
}

static int local_writer_write(struct floe_store_writer *base, const void *data, size_t len)
{
    struct local_writer *w = (struct local_writer *)base;
    if (w->used + len > sizeof(w->buf)) {
        int rc = local_writer_flush(w);
        if (rc < 0 || len >= sizeof(w->buf)) {
            return rc < 0 ? rc : floe_write_all(w->fd, data, len);
        }
    }
    memcpy(w->buf + w->used, data, len);
    w->used += len;
    return 0;
}

static void local_writer_free(struct local_writer *w, bool remove)
{
    if (w->fd >= 0) {
        close(w->fd);
    }
    if (remove) {
        unlink(w->path);
    }
    free(w->path);
    free(w);
}

static int local_writer_close(struct floe_store_writer *base, char *err, size_t cap)
{
    struct local_writer *w = (struct local_writer *)base;
    int rc = local_writer_flush(w);
    if (rc == 0 && (w->flags & FLOE_STORE_SYNC) && fsync(w->fd) < 0) {
        rc = -errno;
    }
    if (close(w->fd) < 0 && rc == 0) {
        rc = -errno;
    }
    w->fd = -1;
    if (rc < 0) {
        floe__store_err(err, cap, "writing %s: %s", w->path, strerror(-rc));
    }
    local_writer_free(w, rc < 0);
    return rc;
}

static void local_writer_abort(struct floe_store_writer *base)
{
    local_writer_free((struct local_writer *)base, true);
}

static void local_close(struct floe_store *s)
{
    free(s);
}

static const struct floe__store_ops local_ops = {
    local_put,         local_get,          local_size,         local_list,
    local_delete,      local_sync,         local_writer_open,  local_writer_write,
    local_writer_close, local_writer_abort, local_close,
};

int floe_store_open_local(struct floe_store **out)
{
    struct floe_store *s = calloc(1, sizeof(*s));
    if (!s) {
        return -ENOMEM;
    }
    s->ops = &local_ops;
    s->local = true;
    *out = s;
    return 0;
}
