/* fsutil.h — small, careful file and system operations the agent's modules share (blocking
 * calls: for the CLI, startup and code that runs off the loop). All return 0 or a negative
 * errno. */
#ifndef FLOE_FSUTIL_H
#define FLOE_FSUTIL_H

#include <stddef.h>

/* floe_mkdirs(path, mode): creates path and its missing parents with mode. 0 if path is (now)
 * a directory; -ENOTDIR if it exists as something else; -errno otherwise. */
int floe_mkdirs(const char *path, unsigned mode);

/* floe_read_file(path, max, &data, &len): reads a whole regular file of at most max bytes into
 * a malloc'd buffer with a NUL after the last byte (the caller frees it). -EFBIG past max;
 * -errno on I/O errors; *data unchanged on failure. */
int floe_read_file(const char *path, size_t max, char **data, size_t *len);

/* floe_write_file_atomic(path, data, len): writes data to a unique temporary file in path's
 * directory, fsyncs it, renames it over path and fsyncs the directory. On failure path is
 * unchanged and no temporary file is left. Once renamed the call succeeds (the directory sync
 * is attempted; its failure is not an error: the file is in place). */
int floe_write_file_atomic(const char *path, const void *data, size_t len);

/* floe_fill_fn(fd, ctx): writes a file's whole content to fd. 0 or a negative errno. */
typedef int (*floe_fill_fn)(int fd, void *ctx);

/* floe_write_file_atomic_fn(path, fill, ctx): floe_write_file_atomic for content written by
 * fill as it goes (a file too large to hold in memory first); fill's failure is returned, with
 * path unchanged. */
int floe_write_file_atomic_fn(const char *path, floe_fill_fn fill, void *ctx);

/* floe_create_file_excl(path, data, len): like floe_write_file_atomic, but the final step is
 * link(2), which fails with -EEXIST if path already exists: the file appears complete or not
 * at all, and never replaces another. Once linked the call succeeds, as for the rename. */
int floe_create_file_excl(const char *path, const void *data, size_t len);

/* floe_write_all(fd, data, len): writes all of data, retrying after EINTR and short writes. */
int floe_write_all(int fd, const void *data, size_t len);

/* floe_random(buf, n): n random bytes from the kernel (getrandom). */
int floe_random(void *buf, size_t n);

#endif
