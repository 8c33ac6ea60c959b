/* s3_internal.h — what the S3 client's files share and nothing outside them uses: the client
 * struct and a few helpers (the public contract is in s3.h).
 */
#ifndef FLOE_S3_INTERNAL_H
#define FLOE_S3_INTERNAL_H

#include <string.h>

#include "s3.h"

struct floe_s3_client {
    uv_loop_t *loop;
    struct floe_http_client *http;
    struct floe_s3_settings settings; /* credentials included: wiped before free */
    uv_timer_t timer;                 /* serves the queue: new ops and retry delays */
    struct floe_s3_op *queue;         /* by due time */
    unsigned live;                    /* ops started and not yet finished */
    struct floe_s3_stats stats;
    bool closing;
    bool http_closed;
    bool timer_closing;
    void (*close_cb)(void *ctx);
    void *close_ctx;
};

/* floe_s3__op_name(kind): "PUT", "UPLOAD-PART"… for messages. */
const char *floe_s3__op_name(enum floe_s3_op_kind kind);

/* Overwrites n bytes at p with zeros in a way the compiler may not drop (secrets). */
static inline void explicit_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--) {
        *v++ = 0;
    }
}

#endif
