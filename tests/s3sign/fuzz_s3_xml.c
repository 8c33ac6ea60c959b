/* fuzz_s3_xml.c — libFuzzer target for the S3 response-body reader: any bytes are a body; every
 * reader must accept or reject them without crashing or reading out of bounds, return only its
 * documented codes, and leave NUL-terminated strings that fit their buffers. The first byte
 * picks the reader, so one corpus covers them all. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int ok)
{
    if (!ok) {
        abort();
    }
}

static void terminated(const char *s, size_t cap)
{
    require(memchr(s, '\0', cap) != NULL);
}

static int node_cb(void *arg, const struct floe_s3_xml_node *nd)
{
    (void)arg;
    require(nd->depth >= 1 && nd->depth <= FLOE_S3_XML_MAX_DEPTH);
    require(strlen(nd->path) == nd->path_len && nd->path_len <= FLOE_S3_XML_MAX_PATH);
    if (nd->event == FLOE_S3_XML_CLOSE && nd->leaf) {
        char buf[64];
        size_t len = 0;
        int rc = floe_s3_xml_text(nd->raw, nd->raw_len, buf, sizeof(buf), &len);
        require(rc == 0 || rc == -ENOSPC);
        require(rc != 0 || strlen(buf) <= len);
    }
    return 0;
}

static int list_cb(void *arg, const struct floe_s3_object *o)
{
    (void)arg;
    terminated(o->key, sizeof(o->key));
    terminated(o->etag, sizeof(o->etag));
    terminated(o->last_modified, sizeof(o->last_modified));
    return 0;
}

static int delete_cb(void *arg, const struct floe_s3_deleted *d)
{
    (void)arg;
    terminated(d->key, sizeof(d->key));
    terminated(d->code, sizeof(d->code));
    terminated(d->message, sizeof(d->message));
    return 0;
}

static int documented(int rc)
{
    return rc == 0 || rc == -EINVAL || rc == -ENOSPC || rc == -EREMOTEIO;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    uint8_t which = data[0];
    size_t n = size - 1;
    /* An exact-size copy, so reads past the end are caught. */
    uint8_t *doc = malloc(n ? n : 1);
    if (!doc) {
        return 0;
    }
    memcpy(doc, data + 1, n);

    struct floe_s3_error err;
    char small[40];
    size_t len;
    static struct floe_s3_list list;
    static struct floe_s3_deleted work;
    int rc;
    switch (which % 6) {
    case 0:
        rc = floe_s3_xml_walk(doc, n, node_cb, NULL);
        require(rc == 0 || rc == -EINVAL);
        break;
    case 1:
        rc = floe_s3_parse_error(doc, n, &err);
        require(documented(rc) || rc == -ENOENT);
        require(rc != 0 || err.code[0] != '\0');
        terminated(err.message, sizeof(err.message));
        break;
    case 2:
        rc = floe_s3_parse_initiate(doc, n, small, sizeof(small), &len, &err);
        require(documented(rc));
        require(rc != 0 || (strlen(small) == len && len > 0));
        break;
    case 3:
        rc = floe_s3_parse_complete(doc, n, small, sizeof(small), &len, &err);
        require(documented(rc));
        require(rc != 0 || (strlen(small) == len && len > 0));
        break;
    case 4:
        rc = floe_s3_parse_list(doc, n, &list, list_cb, NULL, &err);
        require(documented(rc));
        terminated(list.next_token, sizeof(list.next_token));
        break;
    default:
        rc = floe_s3_parse_delete(doc, n, &work, delete_cb, NULL, &err);
        require(documented(rc));
        break;
    }
    /* The text decoder on the raw bytes too. */
    char text[32];
    rc = floe_s3_xml_text(doc, n, text, sizeof(text), &len);
    require(rc == 0 || rc == -EINVAL || rc == -ENOSPC);
    free(doc);
    return 0;
}
