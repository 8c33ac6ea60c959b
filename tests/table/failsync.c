/* failsync.c — an LD_PRELOAD shim for fault tests: fsync() of a directory fails with EIO, as
 * on a failing disk. A commit whose new metadata file was already published must still count
 * as committed (test_table.py checks nothing is deleted and the table reads whole). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

int fsync(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        errno = EIO;
        return -1;
    }
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real ? real(fd) : 0;
}
