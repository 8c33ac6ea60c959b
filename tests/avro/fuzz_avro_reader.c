/* fuzz_avro_reader.c — libFuzzer target for the Avro container reader and schema parser.
 *
 * The input is treated as a whole container file, the way floe receives manifests from object
 * storage: open it, list its metadata, parse its writer schema, then decode every object of
 * every block by that schema. Codec "xor" stands in for a compressed codec so the
 * decompression path is reached without a compression library. Any crash, sanitizer report or
 * unbounded loop is a bug; errors are the expected outcome for most inputs.
 */
#include "avro.h"

#include <errno.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t scratch[1 << 16];
static struct avro_node nodes[512];

static int xor_decompress(void *ctx, const char *codec, const uint8_t *src, size_t src_len,
                          uint8_t *dst, size_t cap, size_t *len)
{
    (void)ctx;
    *len = 0;
    if (strcmp(codec, "xor") != 0) {
        return -ENOTSUP;
    }
    if (src_len > cap) {
        return -ENOSPC;
    }
    for (size_t i = 0; i < src_len; i++) {
        dst[i] = src[i] ^ 0x5a;
    }
    *len = src_len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct avro_reader r;
    struct avro_schema s;
    struct avro_dec d;
    const char *k;
    const uint8_t *v;
    size_t kn, vn, cursor = 0;
    int64_t count;
    uint32_t field;

    if (avro_reader_open(&r, data, size) < 0) {
        return 0;
    }
    while (avro_reader_meta_next(&r, &cursor, &k, &kn, &v, &vn) == 0) {
    }
    avro_reader_meta(&r, "schema", &v, &vn);
    avro_reader_set_decompress(&r, xor_decompress, NULL, scratch, sizeof scratch);
    if (avro_schema_parse(&s, nodes, 512, r.schema, r.schema_len) < 0) {
        return 0;
    }
    avro_schema_field_by_id(&s, 0, 500, &field);
    avro_schema_field_by_name(&s, 0, "data_file", &field);
    while (avro_reader_next_block(&r, &d, &count) == 0 && count > 0) {
        for (int64_t i = 0; i < count; i++) {
            if (avro_skip_value(&d, &s, 0) < 0) {
                break;
            }
        }
        avro_dec_finish(&d);
    }
    return 0;
}
