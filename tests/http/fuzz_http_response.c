/* fuzz_http_response.c — libFuzzer target for the HTTP response parser (http_wire.c): any
 * bytes are a server's answer, fed in pieces whose sizes come from the input itself, then the
 * end of the connection. The parser must return 0 or an error code without crashing, stay
 * inside the bounded body buffer and leave every captured header NUL-terminated in place. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "http_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const capture[] = {"ETag",         "Content-Length", "x-amz-request-id",
                                      "Content-Type", "Location",       "Retry-After"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    /* First byte: piece size and method; the rest: the response. */
    size_t step = (size_t)(data[0] & 0x3f) + 1;
    struct floe_http_request req;
    struct floe_http__resp r;
    uint8_t body[256];
    memset(&req, 0, sizeof(req));
    req.method = (data[0] & 0x40) ? "HEAD" : "GET";
    req.host = "localhost";
    req.target = "/";
    req.resp_buf = body;
    req.resp_cap = sizeof(body);
    req.capture = capture;
    req.ncapture = sizeof(capture) / sizeof(capture[0]);
    floe_http__resp_start(&r, &req);

    /* An exact-size copy, so reads past the end are caught. */
    size_t len = size - 1;
    uint8_t *copy = malloc(len);
    if (!copy) {
        return 0;
    }
    memcpy(copy, data + 1, len);
    int err = 0;
    for (size_t off = 0; off < len && err == 0; off += step) {
        err = floe_http__resp_feed(&r, copy + off, len - off < step ? len - off : step);
    }
    if (err == 0 && (data[0] & 0x80)) {
        err = floe_http__resp_eof(&r);
    }
    if (req.resp_len > sizeof(body) || (err == 0 && r.complete && req.status_code < 200)) {
        abort();
    }
    for (size_t i = 0; i < req.ncapture; i++) {
        const char *v = floe_http_response_header(&req, capture[i]);
        if (v && (v < req.priv.hdr_buf ||
                  v + strlen(v) >= req.priv.hdr_buf + sizeof(req.priv.hdr_buf))) {
            abort();
        }
    }
    if (strnlen(req.reason, sizeof(req.reason)) == sizeof(req.reason)) {
        abort();
    }
    free(copy);
    return 0;
}
