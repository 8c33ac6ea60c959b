/* avro_writer.c — Avro object container framing: the file header and the data blocks.
 *
 * Avro specification, "Object Container Files". Objects are encoded by the caller into a block
 * buffer (struct avro_writer holds its encoder); a flush frames the buffered objects as one block
 * in the caller's output buffer. The sync marker is supplied by the caller so tests are
 * reproducible; production callers pass 16 random bytes.
 */
#include "avro.h"

#include <errno.h>
#include <string.h>

static const uint8_t avro_magic[AVRO_MAGIC_SIZE] = {'O', 'b', 'j', 1};

void avro_writer_init(struct avro_writer *w, const uint8_t sync[AVRO_SYNC_SIZE], uint8_t *block_buf,
                      size_t block_cap)
{
    memcpy(w->sync, sync, AVRO_SYNC_SIZE);
    avro_enc_init(&w->enc, block_buf, block_cap);
    w->count = 0;
    w->mark = 0;
    w->total = 0;
}

/* Header:
 *
 *     4f 62 6a 01                              "Obj" 1
 *     long n                                   entries in this (single) map block
 *       string "avro.schema" | bytes schema
 *       string "avro.codec"  | bytes codec
 *       string key | bytes value               × caller metadata
 *     00                                       end of the map
 *     sync[16]
 */
int avro_writer_header(const struct avro_writer *w, const char *schema_json, size_t schema_len,
                       const char *codec, const struct avro_meta *meta, size_t n, uint8_t *dst,
                       size_t cap, size_t *len)
{
    struct avro_enc e;
    int rc;

    *len = 0;
    if (!schema_json || (n > 0 && !meta)) {
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!meta[i].key || strcmp(meta[i].key, "avro.schema") == 0 ||
            strcmp(meta[i].key, "avro.codec") == 0 || (meta[i].value_len > 0 && !meta[i].value)) {
            return -EINVAL;
        }
    }
    if (!codec) {
        codec = "null";
    }

    avro_enc_init(&e, dst, cap);
    avro_put_fixed(&e, avro_magic, sizeof avro_magic);
    avro_map_begin(&e, (int64_t)n + 2);
    avro_put_cstring(&e, "avro.schema");
    avro_put_bytes(&e, (const uint8_t *)schema_json, schema_len);
    avro_put_cstring(&e, "avro.codec");
    avro_put_bytes(&e, (const uint8_t *)codec, strlen(codec));
    for (size_t i = 0; i < n; i++) {
        avro_put_cstring(&e, meta[i].key);
        avro_put_bytes(&e, meta[i].value, meta[i].value_len);
    }
    avro_map_end(&e);
    rc = avro_put_fixed(&e, w->sync, AVRO_SYNC_SIZE);
    if (rc < 0) {
        return rc;
    }
    *len = e.len;
    return 0;
}

struct avro_enc *avro_writer_begin(struct avro_writer *w)
{
    w->mark = avro_enc_mark(&w->enc);
    return &w->enc;
}

int avro_writer_end(struct avro_writer *w)
{
    int rc = w->enc.err;

    if (rc < 0) {
        avro_enc_rewind(&w->enc, w->mark);
        if (rc == -ENOSPC && w->count == 0) {
            rc = -EMSGSIZE;
        }
        return rc;
    }
    w->count++;
    w->mark = w->enc.len;
    return 0;
}

/* Block:
 *
 *     long count | long size | data[size] | sync[16]
 */
int avro_write_block(const uint8_t sync[AVRO_SYNC_SIZE], int64_t count, const uint8_t *data,
                     size_t data_len, uint8_t *dst, size_t cap, size_t *len)
{
    struct avro_enc e;
    int rc;

    *len = 0;
    if (count < 0 || data_len > (size_t)INT64_MAX || (data_len > 0 && !data)) {
        return -EINVAL;
    }
    avro_enc_init(&e, dst, cap);
    avro_put_long(&e, count);
    avro_put_bytes(&e, data, data_len);
    rc = avro_put_fixed(&e, sync, AVRO_SYNC_SIZE);
    if (rc < 0) {
        return rc;
    }
    *len = e.len;
    return 0;
}

int avro_writer_flush(struct avro_writer *w, uint8_t *dst, size_t cap, size_t *len)
{
    int rc;

    *len = 0;
    if (w->count == 0) {
        return 0;
    }
    rc = avro_write_block(w->sync, w->count, w->enc.dst, w->enc.len, dst, cap, len);
    if (rc < 0) {
        return rc;
    }
    w->total += w->count;
    w->count = 0;
    avro_enc_rewind(&w->enc, 0);
    w->mark = 0;
    return 0;
}
