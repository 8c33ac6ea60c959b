/* fake_s3_sync.h — the knobs and counters of fake_s3_sync.c (a directory standing in for S3
 * behind the S3 client's blocking facade). */
#ifndef FLOE_TESTS_FAKE_S3_SYNC_H
#define FLOE_TESTS_FAKE_S3_SYNC_H

struct fake_s3 {
    char root[1024]; /* objects are <root>/<bucket>/<key> */
    int conflicts;   /* the next conditional puts that answer 409 */
    int opened, closed, puts, put_files, gets, heads, lists, delete_calls;
    char last_spool[4096]; /* the file of the last put_file */
};

extern struct fake_s3 fake_s3;

#endif
