/* fsutil.c — directory creation, whole-file reads, writes that appear atomically, and the
 * small system calls the modules share (writing everything, random bytes).
 *
 * A file that others may read while it is written (metadata, hints, state) is always written
 * under a temporary name in the same directory, fsynced, and then moved into place: by
 * rename(2) to replace, or by link(2) to create only if absent (the file catalog's commit). The
 * directory is fsynced after the move so the new name survives a crash.
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Makes buf[0..n) (NUL-terminated there by the caller's copy), its missing parents first:
 * from the deepest level up, so that a directory whose parent exists costs one mkdir. */
static int mkdirs_at(char *buf, size_t n, unsigned mode)
{
    if (mkdir(buf, (mode_t)mode) == 0 || errno == EEXIST) {
        return 0;
    }
    if (errno != ENOENT) {
        return -errno;
    }
    char *slash = buf + n - 1;
    while (slash > buf && *slash != '/') {
        slash--;
    }
    if (slash == buf) {
        return -ENOENT; /* no parent left to make */
    }
    *slash = '\0';
    int rc = mkdirs_at(buf, (size_t)(slash - buf), mode);
    *slash = '/';
    if (rc < 0) {
        return rc;
    }
    return mkdir(buf, (mode_t)mode) == 0 || errno == EEXIST ? 0 : -errno;
}

int floe_mkdirs(const char *path, unsigned mode)
{
    size_t n = strlen(path);
    struct stat st;
    if (n == 0) {
        return -EINVAL;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        return 0; /* the common case: one call */
    }
    char *buf = malloc(n + 1);
    if (!buf) {
        return -ENOMEM;
    }
    memcpy(buf, path, n + 1);
    while (n > 1 && buf[n - 1] == '/') {
        buf[--n] = '\0';
    }
    int rc = mkdirs_at(buf, n, mode);
    free(buf);
    if (rc == 0) {
        if (stat(path, &st) < 0) {
            return -errno;
        }
        rc = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
    }
    return rc;
}

int floe_read_file(const char *path, size_t max, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    int rc;
    if (fd < 0) {
        return -errno;
    }
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        goto fail;
    }
    if ((uint64_t)st.st_size > max) {
        rc = -EFBIG;
        goto fail;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        rc = -ENOMEM;
        goto fail;
    }
    /* Read to the end even if the file grew or shrank since fstat; never past max. */
    for (;;) {
        if (got == (size_t)st.st_size) {
            char probe;
            ssize_t more = read(fd, &probe, 1);
            if (more == 0) {
                break;
            }
            rc = more < 0 ? -errno : -EFBIG; /* grew while read: refuse a torn view */
            goto fail;
        }
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = -errno;
            goto fail;
        }
        if (r == 0) {
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return 0;
fail:
    free(buf);
    close(fd);
    return rc;
}

int floe_write_all(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int fsync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == path) {
        snprintf(dir, sizeof(dir), "/");
    } else if ((size_t)(slash - path) < sizeof(dir)) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = '\0';
    } else {
        return -ENAMETOOLONG;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -errno;
    }
    int rc = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

/* Writes data to a fresh temporary file beside path; its name goes to tmp. */
/* Creates a unique temporary file beside path (its name in tmp), has fill write the content,
 * fsyncs and closes it; on failure nothing is left. */
static int write_temp(const char *path, floe_fill_fn fill, void *ctx, char *tmp, size_t cap)
{
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int n = snprintf(tmp, cap, "%s.%ld.%u.%ld.tmp", path, (long)getpid(), ++counter,
                     (long)ts.tv_nsec);
    if (n < 0 || (size_t)n >= cap) {
        return -ENAMETOOLONG;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -errno;
    }
    int rc = fill(fd, ctx);
    if (rc == 0 && fsync(fd) < 0) {
        rc = -errno;
    }
    if (close(fd) < 0 && rc == 0) {
        rc = -errno;
    }
    if (rc < 0) {
        unlink(tmp);
    }
    return rc;
}

struct buffer {
    const void *data;
    size_t len;
};

static int fill_buffer(int fd, void *ctx)
{
    const struct buffer *b = ctx;
    return floe_write_all(fd, b->data, b->len);
}

int floe_write_file_atomic_fn(const char *path, floe_fill_fn fill, void *ctx)
{
    char tmp[4200];
    int rc = write_temp(path, fill, ctx, tmp, sizeof(tmp));
    if (rc < 0) {
        return rc;
    }
    if (rename(tmp, path) < 0) {
        rc = -errno;
        unlink(tmp);
        return rc;
    }
    /* Replaced: from here on the call has succeeded. The directory sync makes the new name
     * durable; if it fails, the file is in place all the same. */
    fsync_dir_of(path);
    return 0;
}

int floe_write_file_atomic(const char *path, const void *data, size_t len)
{
    struct buffer b = {data, len};
    return floe_write_file_atomic_fn(path, fill_buffer, &b);
}

int floe_create_file_excl(const char *path, const void *data, size_t len)
{
    char tmp[4200];
    struct buffer b = {data, len};
    int rc = write_temp(path, fill_buffer, &b, tmp, sizeof(tmp));
    if (rc < 0) {
        return rc;
    }
    rc = link(tmp, path) < 0 ? -errno : 0;
    unlink(tmp);
    if (rc < 0) {
        return rc;
    }
    /* Published: from here on the call has succeeded (a caller must not undo what readers may
     * already see). The directory sync makes the name durable; its failure changes nothing. */
    fsync_dir_of(path);
    return 0;
}

int floe_random(void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}
