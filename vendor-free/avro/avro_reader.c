/* avro_reader.c — reading Avro object container files held whole in memory.
 *
 * Avro specification, "Object Container Files". floe reads back Iceberg manifest lists and
 * manifests, written by itself or by other engines, so the file is hostile input: the header is
 * validated once at open, every block is framed and its sync marker compared before its data is
 * handed out, and no length is trusted beyond the bytes that are actually there. Codec "null" is
 * built in; any other codec goes through a caller-supplied decompressor into caller scratch.
 */
#include "avro.h"

#include <errno.h>
#include <string.h>

static const uint8_t avro_magic[AVRO_MAGIC_SIZE] = {'O', 'b', 'j', 1};

/* Walks the metadata map starting at r->meta_off. Calls back for each entry with its index;
 * stops early when visit returns non-zero (and returns that value). Returns 0 at the end of the
 * map or the decoding error; *end gets the offset after the map. */
typedef int (*meta_visit_fn)(void *ctx, size_t index, const char *key, size_t key_len,
                             const uint8_t *val, size_t val_len);

static int meta_walk(const uint8_t *buf, size_t off, size_t len, meta_visit_fn visit, void *ctx,
                     size_t *end)
{
    struct avro_dec d;
    int64_t n;
    size_t index = 0;

    avro_dec_init(&d, buf + off, len - off);
    while (avro_get_block(&d, &n) == 0 && n > 0) {
        for (int64_t i = 0; i < n; i++) {
            const char *k;
            const uint8_t *v;
            size_t kn, vn;

            avro_get_string(&d, &k, &kn);
            if (avro_get_bytes(&d, &v, &vn) < 0) {
                return d.err;
            }
            if (visit) {
                int rc = visit(ctx, index, k, kn, v, vn);
                if (rc != 0) {
                    return rc;
                }
            }
            index++;
        }
    }
    if (d.err) {
        return d.err;
    }
    if (end) {
        *end = off + d.pos;
    }
    return 0;
}

struct meta_find {
    const char *key;
    size_t key_len;
    size_t want_index; /* for iteration; SIZE_MAX when finding by key */
    const char *k;
    size_t kn;
    const uint8_t *v;
    size_t vn;
};

/* Returns 1 when found, which stops the walk. The first of duplicate keys wins. */
static int meta_find_visit(void *ctx, size_t index, const char *key, size_t key_len,
                           const uint8_t *val, size_t val_len)
{
    struct meta_find *f = ctx;

    if (f->want_index == SIZE_MAX) {
        if (key_len != f->key_len || (key_len > 0 && memcmp(key, f->key, key_len) != 0)) {
            return 0;
        }
    } else if (index != f->want_index) {
        return 0;
    }
    f->k = key;
    f->kn = key_len;
    f->v = val;
    f->vn = val_len;
    return 1;
}

static int meta_lookup(const uint8_t *buf, size_t off, size_t len, const char *key,
                       const uint8_t **value, size_t *value_len)
{
    struct meta_find f = {.key = key, .key_len = strlen(key), .want_index = SIZE_MAX};
    int rc = meta_walk(buf, off, len, meta_find_visit, &f, NULL);

    if (rc == 1) {
        *value = f.v;
        *value_len = f.vn;
        return 0;
    }
    return rc < 0 ? rc : -ENOENT;
}

/* Header: magic[4] | metadata map | sync[16], then blocks. */
int avro_reader_open(struct avro_reader *r, const uint8_t *buf, size_t len)
{
    const uint8_t *v;
    size_t vn;
    size_t end;
    int rc;

    memset(r, 0, sizeof *r);
    r->err = -EBADMSG;
    if (!buf || len < AVRO_MAGIC_SIZE || memcmp(buf, avro_magic, AVRO_MAGIC_SIZE) != 0) {
        return -EBADMSG;
    }
    rc = meta_walk(buf, AVRO_MAGIC_SIZE, len, NULL, NULL, &end);
    if (rc < 0) {
        return -EBADMSG;
    }
    if (len - end < AVRO_SYNC_SIZE) {
        return -EBADMSG;
    }
    r->buf = buf;
    r->len = len;
    r->meta_off = AVRO_MAGIC_SIZE;
    r->meta_end = end;
    memcpy(r->sync, buf + end, AVRO_SYNC_SIZE);
    r->pos = end + AVRO_SYNC_SIZE;

    if (meta_lookup(buf, r->meta_off, r->meta_end, "avro.schema", &v, &vn) < 0 || vn == 0) {
        return -EBADMSG;
    }
    r->schema = (const char *)v;
    r->schema_len = vn;

    rc = meta_lookup(buf, r->meta_off, r->meta_end, "avro.codec", &v, &vn);
    if (rc == -ENOENT) {
        strcpy(r->codec, "null");
    } else if (rc < 0) {
        return -EBADMSG;
    } else if (vn > AVRO_CODEC_MAX || (vn > 0 && memchr(v, 0, vn) != NULL)) {
        return -ENOTSUP;
    } else {
        /* An empty name is kept as it is and fails later like any unknown codec. */
        if (vn > 0) {
            memcpy(r->codec, v, vn);
        }
        r->codec[vn] = '\0';
    }
    r->err = 0;
    return 0;
}

int avro_reader_meta(const struct avro_reader *r, const char *key, const uint8_t **value,
                     size_t *value_len)
{
    *value = NULL;
    *value_len = 0;
    if (!r->buf) {
        return -EINVAL;
    }
    return meta_lookup(r->buf, r->meta_off, r->meta_end, key, value, value_len);
}

int avro_reader_meta_next(const struct avro_reader *r, size_t *cursor, const char **key,
                          size_t *key_len, const uint8_t **value, size_t *value_len)
{
    struct meta_find f = {.want_index = *cursor};
    int rc;

    *key = NULL;
    *key_len = 0;
    *value = NULL;
    *value_len = 0;
    if (!r->buf || *cursor == SIZE_MAX) {
        return -EINVAL;
    }
    rc = meta_walk(r->buf, r->meta_off, r->meta_end, meta_find_visit, &f, NULL);
    if (rc != 1) {
        return rc < 0 ? rc : -ENOENT;
    }
    *key = f.k;
    *key_len = f.kn;
    *value = f.v;
    *value_len = f.vn;
    (*cursor)++;
    return 0;
}

void avro_reader_set_decompress(struct avro_reader *r, avro_decompress_fn fn, void *ctx,
                                uint8_t *scratch, size_t scratch_cap)
{
    r->decompress = fn;
    r->decompress_ctx = ctx;
    r->scratch = scratch;
    r->scratch_cap = scratch ? scratch_cap : 0;
}

/* Block: long count | long size | data[size] | sync[16]. */
int avro_reader_next_block(struct avro_reader *r, struct avro_dec *data, int64_t *count)
{
    bool is_null = strcmp(r->codec, "null") == 0;

    avro_dec_init(data, NULL, 0);
    *count = 0;
    if (r->err) {
        return r->err;
    }
    while (!r->done) {
        struct avro_dec d;
        int64_t n, size;
        const uint8_t *raw;
        const uint8_t *sync;
        size_t out_len;
        int rc;

        if (r->pos == r->len) {
            r->done = true;
            break;
        }
        avro_dec_init(&d, r->buf + r->pos, r->len - r->pos);
        avro_get_long(&d, &n);
        avro_get_long(&d, &size);
        if (d.err || n < 0 || size < 0 || (uint64_t)size > avro_dec_remaining(&d)) {
            r->err = -EBADMSG;
            return r->err;
        }
        avro_get_fixed(&d, (size_t)size, &raw);
        if (avro_get_fixed(&d, AVRO_SYNC_SIZE, &sync) < 0 ||
            memcmp(sync, r->sync, AVRO_SYNC_SIZE) != 0) {
            r->err = -EBADMSG;
            return r->err;
        }
        if (n == 0) {
            /* An empty block carries nothing to decode; step over it. */
            r->pos += d.pos;
            continue;
        }
        if (is_null) {
            out_len = (size_t)size;
            avro_dec_init(data, raw, out_len);
        } else {
            if (!r->decompress) {
                r->err = -ENOTSUP;
                return r->err;
            }
            out_len = 0;
            rc = r->decompress(r->decompress_ctx, r->codec, raw, (size_t)size, r->scratch,
                               r->scratch_cap, &out_len);
            if (rc == -ENOSPC) {
                return rc;
            }
            if (rc < 0) {
                r->err = rc;
                return rc;
            }
            if (out_len > r->scratch_cap) {
                r->err = -EBADMSG;
                return r->err;
            }
            avro_dec_init(data, r->scratch, out_len);
        }
        if ((uint64_t)n > out_len) {
            avro_dec_init(data, NULL, 0);
            r->err = -EBADMSG;
            return r->err;
        }
        r->pos += d.pos;
        *count = n;
        return 0;
    }
    return 0;
}
