/* test_avro.c — unit tests of vendor-free/avro.
 *
 * Golden bytes from the Avro specification's "Binary Encoding" section (zig-zag varints,
 * strings, unions, array and map blocks), a container round trip through the writer and the
 * reader, the writer schema parser and skipper, and the reader's behaviour on hostile input:
 * every truncation and every single-byte corruption of a valid file must give an error or a
 * consistent result, never a crash (the suite also runs under ASan and UBSan).
 */
#include "avro.h"
#include "check.h"

#include <errno.h>
#include <stdlib.h>

static const uint8_t test_sync[AVRO_SYNC_SIZE] = {0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87,
                                                  0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f};

static void check_long(int64_t v, const char *hex_bytes, size_t n)
{
    uint8_t buf[16];
    struct avro_enc e;
    struct avro_dec d;
    int64_t back;

    avro_enc_init(&e, buf, sizeof buf);
    CHECK_INT(avro_put_long(&e, v), 0);
    CHECK_INT(e.len, n);
    CHECK_MEM(buf, hex_bytes, n);
    avro_dec_init(&d, buf, e.len);
    CHECK_INT(avro_get_long(&d, &back), 0);
    CHECK_INT(back, v);
    CHECK_INT(avro_dec_finish(&d), 0);
}

static void test_varints(void)
{
    uint8_t buf[16];
    struct avro_enc e;
    struct avro_dec d;
    int32_t i32;
    int64_t i64;

    check_long(0, "\x00", 1);
    check_long(-1, "\x01", 1);
    check_long(1, "\x02", 1);
    check_long(-2, "\x03", 1);
    check_long(2, "\x04", 1);
    check_long(-64, "\x7f", 1);
    check_long(64, "\x80\x01", 2);
    check_long(-65, "\x81\x01", 2);
    check_long(8192, "\x80\x80\x01", 3);
    check_long(INT64_MAX, "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
    check_long(INT64_MIN, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);

    /* int uses the same encoding; values beyond 32 bits are an overflow. */
    avro_enc_init(&e, buf, sizeof buf);
    avro_put_int(&e, INT32_MIN);
    avro_put_int(&e, INT32_MAX);
    CHECK_INT(e.len, 10);
    CHECK_MEM(buf, "\xff\xff\xff\xff\x0f\xfe\xff\xff\xff\x0f", 10);
    avro_dec_init(&d, buf, e.len);
    CHECK_INT(avro_get_int(&d, &i32), 0);
    CHECK_INT(i32, INT32_MIN);
    CHECK_INT(avro_get_int(&d, &i32), 0);
    CHECK_INT(i32, INT32_MAX);
    avro_dec_init(&d, (const uint8_t *)"\x80\x80\x80\x80\x10", 5); /* 2^31 */
    CHECK_INT(avro_get_int(&d, &i32), -EOVERFLOW);

    /* Malformed varints: truncated, eleven bytes, a tenth byte carrying more than bit 63. */
    avro_dec_init(&d, (const uint8_t *)"\x80\x80", 2);
    CHECK_INT(avro_get_long(&d, &i64), -EBADMSG);
    CHECK_INT(i64, 0);
    avro_dec_init(&d, (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x01", 11);
    CHECK_INT(avro_get_long(&d, &i64), -EBADMSG);
    avro_dec_init(&d, (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 10);
    CHECK_INT(avro_get_long(&d, &i64), -EBADMSG);
    avro_dec_init(&d, NULL, 0);
    CHECK_INT(avro_get_long(&d, &i64), -EBADMSG);
    /* Sticky: later reads fail the same way even with bytes left. */
    avro_dec_init(&d, (const uint8_t *)"\x80", 1);
    CHECK_INT(avro_get_long(&d, &i64), -EBADMSG);
    CHECK_INT(avro_get_int(&d, &i32), -EBADMSG);
    CHECK_INT(avro_dec_remaining(&d), 0);
}

static void test_primitives(void)
{
    uint8_t buf[64];
    struct avro_enc e;
    struct avro_dec d;
    bool b;
    float f;
    double g;
    const char *s;
    const uint8_t *p;
    size_t n;

    avro_enc_init(&e, buf, sizeof buf);
    avro_put_null(&e);
    avro_put_boolean(&e, true);
    avro_put_boolean(&e, false);
    avro_put_float(&e, 1.0f);
    avro_put_double(&e, -2.5);
    avro_put_cstring(&e, "foo");
    avro_put_string(&e, "", 0);
    avro_put_bytes(&e, (const uint8_t *)"\x00\xff", 2);
    CHECK_INT(avro_put_fixed(&e, (const uint8_t *)"\x01\x02\x03", 3), 0);
    CHECK_INT(e.len, 1 + 1 + 4 + 8 + 4 + 1 + 3 + 3);
    CHECK_MEM(buf,
              "\x01\x00"
              "\x00\x00\x80\x3f"
              "\x00\x00\x00\x00\x00\x00\x04\xc0"
              "\x06"
              "foo"
              "\x00"
              "\x04\x00\xff"
              "\x01\x02\x03",
              e.len);

    avro_dec_init(&d, buf, e.len);
    CHECK_INT(avro_get_boolean(&d, &b), 0);
    CHECK(b);
    CHECK_INT(avro_get_boolean(&d, &b), 0);
    CHECK(!b);
    CHECK_INT(avro_get_float(&d, &f), 0);
    CHECK(f == 1.0f);
    CHECK_INT(avro_get_double(&d, &g), 0);
    CHECK(g == -2.5);
    CHECK_INT(avro_get_string(&d, &s, &n), 0);
    CHECK_INT(n, 3);
    CHECK(memcmp(s, "foo", 3) == 0);
    CHECK_INT(avro_get_string(&d, &s, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(avro_get_bytes(&d, &p, &n), 0);
    CHECK_INT(n, 2);
    CHECK_MEM(p, "\x00\xff", 2);
    CHECK_INT(avro_get_fixed(&d, 3, &p), 0);
    CHECK_MEM(p, "\x01\x02\x03", 3);
    CHECK_INT(avro_dec_finish(&d), 0);

    /* A boolean byte other than 0 or 1, a negative length, a length past the end. */
    avro_dec_init(&d, (const uint8_t *)"\x02", 1);
    CHECK_INT(avro_get_boolean(&d, &b), -EBADMSG);
    avro_dec_init(&d, (const uint8_t *)"\x01zz", 3);
    CHECK_INT(avro_get_bytes(&d, &p, &n), -EBADMSG);
    CHECK(p == NULL);
    avro_dec_init(&d, (const uint8_t *)"\x08zz", 3);
    CHECK_INT(avro_get_string(&d, &s, &n), -EBADMSG);
    avro_dec_init(&d, (const uint8_t *)"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
    CHECK_INT(avro_get_bytes(&d, &p, &n), -EBADMSG);
    avro_dec_init(&d, (const uint8_t *)"ab", 2);
    CHECK_INT(avro_get_fixed(&d, 3, &p), -EBADMSG);
    avro_dec_init(&d, (const uint8_t *)"\x00\x00\x80", 3);
    CHECK_INT(avro_get_float(&d, &f), -EBADMSG);
    avro_dec_init(&d, (const uint8_t *)"ab", 2);
    CHECK_INT(avro_dec_finish(&d), -EBADMSG);

    /* A full buffer writes nothing of the value and is sticky until rewound. */
    avro_enc_init(&e, buf, 4);
    CHECK_INT(avro_put_cstring(&e, "abc"), 0);
    CHECK_INT(avro_put_cstring(&e, "x"), -ENOSPC);
    CHECK_INT(e.len, 4);
    CHECK_INT(avro_put_boolean(&e, true), -ENOSPC);
    avro_enc_rewind(&e, 1);
    CHECK_INT(e.err, 0);
    CHECK_INT(avro_put_cstring(&e, "x"), 0);
    CHECK_INT(e.len, 3);
    CHECK_MEM(buf, "\x06\x02x", 3);
    avro_enc_init(&e, buf, 3);
    CHECK_INT(avro_put_long(&e, INT64_MAX), -ENOSPC);
    CHECK_INT(e.len, 0);
    avro_enc_init(&e, buf, 4);
    CHECK_INT(avro_put_bytes(&e, (const uint8_t *)"abcd", 4), -ENOSPC);
    CHECK_INT(e.len, 0);
}

static void test_unions_arrays_maps(void)
{
    uint8_t buf[64];
    struct avro_enc e;
    struct avro_dec d;
    int64_t branch, n, v;
    const char *s;
    size_t sn;

    /* ["null","string"]: null → 00, "a" → 02 02 61. */
    avro_enc_init(&e, buf, sizeof buf);
    avro_put_union(&e, 0);
    avro_put_null(&e);
    avro_put_union(&e, 1);
    avro_put_cstring(&e, "a");
    CHECK_INT(e.len, 4);
    CHECK_MEM(buf, "\x00\x02\x02\x61", 4);
    CHECK_INT(avro_put_union(&e, -1), -EINVAL);
    avro_dec_init(&d, buf, 4);
    CHECK_INT(avro_get_union(&d, 2, &branch), 0);
    CHECK_INT(branch, 0);
    CHECK_INT(avro_get_union(&d, 2, &branch), 0);
    CHECK_INT(branch, 1);
    CHECK_INT(avro_get_string(&d, &s, &sn), 0);
    CHECK_INT(sn, 1);
    avro_dec_init(&d, (const uint8_t *)"\x04", 1);
    CHECK_INT(avro_get_union(&d, 2, &branch), -EBADMSG);
    avro_dec_init(&d, (const uint8_t *)"\x01", 1);
    CHECK_INT(avro_get_union(&d, 2, &branch), -EBADMSG);

    /* The spec's example: array of longs [3, 27] → 04 06 36 00; empty array → 00. */
    avro_enc_init(&e, buf, sizeof buf);
    avro_array_begin(&e, 2);
    avro_put_long(&e, 3);
    avro_put_long(&e, 27);
    avro_array_end(&e);
    avro_array_begin(&e, 0);
    avro_array_end(&e);
    CHECK_INT(e.len, 5);
    CHECK_MEM(buf, "\x04\x06\x36\x00\x00", 5);
    CHECK_INT(avro_array_begin(&e, -1), -EINVAL);

    /* map<long> {"a": 1, "bc": -1} → 04 02 61 02 04 62 63 01 00. */
    avro_enc_init(&e, buf, sizeof buf);
    avro_map_begin(&e, 2);
    avro_put_cstring(&e, "a");
    avro_put_long(&e, 1);
    avro_put_cstring(&e, "bc");
    avro_put_long(&e, -1);
    avro_map_end(&e);
    CHECK_INT(e.len, 9);
    CHECK_MEM(buf, "\x04\x02\x61\x02\x04\x62\x63\x01\x00", 9);
    avro_dec_init(&d, buf, e.len);
    {
        int64_t total = 0, sum = 0;
        while (avro_get_block(&d, &n) == 0 && n > 0) {
            for (int64_t i = 0; i < n; i++) {
                avro_get_string(&d, &s, &sn);
                avro_get_long(&d, &v);
                sum += v;
                total++;
            }
        }
        CHECK_INT(d.err, 0);
        CHECK_INT(total, 2);
        CHECK_INT(sum, 0);
        CHECK_INT(avro_dec_finish(&d), 0);
    }

    /* A block with a negative count carries its byte size: -2, size 2, 06 36, 0. */
    avro_dec_init(&d, (const uint8_t *)"\x03\x04\x06\x36\x00", 5);
    CHECK_INT(avro_get_block(&d, &n), 0);
    CHECK_INT(n, 2);
    avro_get_long(&d, &v);
    CHECK_INT(v, 3);
    avro_get_long(&d, &v);
    CHECK_INT(v, 27);
    CHECK_INT(avro_get_block(&d, &n), 0);
    CHECK_INT(n, 0);
    CHECK_INT(avro_dec_finish(&d), 0);

    /* Counts and sizes larger than the input are rejected before any item is read. */
    avro_dec_init(&d, (const uint8_t *)"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00", 11);
    CHECK_INT(avro_get_block(&d, &n), -EBADMSG);
    CHECK_INT(n, 0);
    avro_dec_init(&d, (const uint8_t *)"\x03\x7e\x06\x36", 4);
    CHECK_INT(avro_get_block(&d, &n), -EBADMSG);
    avro_dec_init(&d, (const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x00", 11);
    CHECK_INT(avro_get_block(&d, &n), -EBADMSG); /* INT64_MIN cannot be negated */
}

/* ---- container files ---- */

static const char people_schema[] =
    "{\"type\":\"record\",\"name\":\"person\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"field-id\":1},"
    "{\"name\":\"name\",\"type\":\"string\",\"field-id\":2},"
    "{\"name\":\"age\",\"type\":[\"null\",\"int\"],\"default\":null,\"field-id\":3},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"items\":\"string\",\"element-id\":5},"
    "\"field-id\":4}]}";

static int encode_person(struct avro_enc *e, int64_t i)
{
    char name[32];
    int n = snprintf(name, sizeof name, "person-%lld", (long long)i);

    avro_put_long(e, i * 1000 - 3);
    avro_put_string(e, name, (size_t)n);
    if (i % 3 == 0) {
        avro_put_union(e, 0);
    } else {
        avro_put_union(e, 1);
        avro_put_int(e, (int32_t)(20 + i));
    }
    avro_array_begin(e, i % 2);
    if (i % 2) {
        avro_put_cstring(e, "odd");
    }
    return avro_array_end(e);
}

/* Writes `objects` people into out (cap bytes) in blocks of at most block_cap bytes. */
static size_t write_people(uint8_t *out, size_t cap, int64_t objects, size_t block_cap,
                           int64_t *blocks)
{
    static uint8_t block[4096];
    struct avro_writer w;
    struct avro_meta meta[] = {
        {"format-version", (const uint8_t *)"2", 1},
        {"partition-spec", (const uint8_t *)"[]", 2},
        {"empty", NULL, 0},
    };
    size_t len = 0, n;

    *blocks = 0;
    avro_writer_init(&w, test_sync, block, block_cap);
    CHECK_INT(
        avro_writer_header(&w, people_schema, strlen(people_schema), NULL, meta, 3, out, cap, &n),
        0);
    len += n;
    for (int64_t i = 0; i < objects; i++) {
        int rc;
        encode_person(avro_writer_begin(&w), i);
        rc = avro_writer_end(&w);
        if (rc == -ENOSPC) {
            CHECK_INT(avro_writer_flush(&w, out + len, cap - len, &n), 0);
            len += n;
            (*blocks)++;
            encode_person(avro_writer_begin(&w), i);
            rc = avro_writer_end(&w);
        }
        CHECK_INT(rc, 0);
    }
    CHECK_INT(avro_writer_flush(&w, out + len, cap - len, &n), 0);
    if (n > 0) {
        (*blocks)++;
    }
    len += n;
    CHECK_INT(w.total, objects);
    return len;
}

static void test_header_golden(void)
{
    static const char schema[] = "\"long\"";
    uint8_t block[16];
    uint8_t out[128];
    struct avro_writer w;
    struct avro_meta meta[] = {{"k", (const uint8_t *)"v", 1}};
    size_t len;
    /* clang-format off */
    static const uint8_t want[] = {
        'O', 'b', 'j', 1,
        0x06,                                                    /* 3 entries */
        0x16, 'a', 'v', 'r', 'o', '.', 's', 'c', 'h', 'e', 'm', 'a', /* "avro.schema" */
        0x0c, '"', 'l', 'o', 'n', 'g', '"',
        0x14, 'a', 'v', 'r', 'o', '.', 'c', 'o', 'd', 'e', 'c',  /* "avro.codec" */
        0x08, 'n', 'u', 'l', 'l',
        0x02, 'k', 0x02, 'v',
        0x00,                                                    /* end of map */
        0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe,
        0x0f,
        /* block: 2 objects, 3 bytes (1, 64 → 02 80 01), sync */
        0x04, 0x06, 0x02, 0x80, 0x01,
        0x10, 0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe,
        0x0f,
    };
    /* clang-format on */
    size_t hlen, blen;

    avro_writer_init(&w, test_sync, block, sizeof block);
    CHECK_INT(
        avro_writer_header(&w, schema, strlen(schema), "null", meta, 1, out, sizeof out, &hlen), 0);
    avro_put_long(avro_writer_begin(&w), 1);
    CHECK_INT(avro_writer_end(&w), 0);
    avro_put_long(avro_writer_begin(&w), 64);
    CHECK_INT(avro_writer_end(&w), 0);
    CHECK_INT(avro_writer_flush(&w, out + hlen, sizeof out - hlen, &blen), 0);
    len = hlen + blen;
    CHECK_INT(len, sizeof want);
    CHECK_MEM(out, want, sizeof want);
    /* Nothing left to flush. */
    CHECK_INT(avro_writer_flush(&w, out, sizeof out, &blen), 0);
    CHECK_INT(blen, 0);

    /* A header that does not fit, reserved keys in caller metadata. */
    CHECK_INT(avro_writer_header(&w, schema, strlen(schema), NULL, meta, 1, out, 20, &hlen),
              -ENOSPC);
    CHECK_INT(hlen, 0);
    meta[0].key = "avro.codec";
    CHECK_INT(avro_writer_header(&w, schema, strlen(schema), NULL, meta, 1, out, sizeof out, &hlen),
              -EINVAL);

    /* An object bigger than the whole block buffer; a block that does not fit the output. */
    avro_writer_init(&w, test_sync, block, 4);
    avro_put_cstring(avro_writer_begin(&w), "too long");
    CHECK_INT(avro_writer_end(&w), -EMSGSIZE);
    CHECK_INT(w.enc.len, 0);
    avro_put_long(avro_writer_begin(&w), 5);
    CHECK_INT(avro_writer_end(&w), 0);
    CHECK_INT(avro_writer_flush(&w, out, 10, &blen), -ENOSPC);
    CHECK_INT(w.count, 1);
    CHECK_INT(avro_writer_flush(&w, out, sizeof out, &blen), 0);
    CHECK_INT(blen, 1 + 1 + 1 + 16);
}

/* Reads a people file, checking every object; returns the error or the object count. */
static int64_t read_people(const uint8_t *buf, size_t len, bool strict)
{
    struct avro_reader r;
    struct avro_node nodes[64];
    struct avro_schema s;
    struct avro_dec d;
    int64_t count, total = 0;
    uint32_t f_id, f_age, f_tags;
    int rc;

    rc = avro_reader_open(&r, buf, len);
    if (rc < 0) {
        return rc;
    }
    rc = avro_schema_parse(&s, nodes, 64, r.schema, r.schema_len);
    if (rc < 0) {
        return rc;
    }
    if (avro_schema_field_by_id(&s, 0, 1, &f_id) < 0 ||
        avro_schema_field_by_name(&s, 0, "age", &f_age) < 0 ||
        avro_schema_field_by_id(&s, 0, 4, &f_tags) < 0) {
        return -ENOENT;
    }
    while ((rc = avro_reader_next_block(&r, &d, &count)) == 0 && count > 0) {
        for (int64_t i = 0; i < count; i++) {
            int64_t want = total + i;
            for (uint32_t f = s.nodes[0].child; f != AVRO_NO_NODE; f = s.nodes[f].next) {
                if (f == f_id) {
                    int64_t v;
                    if (avro_get_long(&d, &v) == 0 && strict) {
                        CHECK_INT(v, want * 1000 - 3);
                    }
                } else if (f == f_age) {
                    int64_t nb;
                    uint32_t inner;
                    int64_t branch;
                    int32_t age = -1;
                    if (strict) {
                        CHECK_INT(avro_schema_optional(&s, s.nodes[f].child, &nb, &inner), 0);
                        CHECK_INT(s.nodes[inner].type, AVRO_INT);
                    }
                    avro_get_union(&d, 2, &branch);
                    if (branch == 1) {
                        avro_get_int(&d, &age);
                    }
                    if (strict) {
                        CHECK_INT(age, want % 3 == 0 ? -1 : 20 + want);
                    }
                } else {
                    avro_skip_value(&d, &s, s.nodes[f].child);
                }
            }
        }
        if (strict) {
            CHECK_INT(avro_dec_finish(&d), 0);
        } else if (avro_dec_finish(&d) < 0) {
            return d.err ? d.err : -EBADMSG;
        }
        total += count;
    }
    return rc < 0 ? rc : total;
}

static void test_round_trip(void)
{
    static uint8_t file[16384];
    struct avro_reader r;
    const uint8_t *v;
    size_t vn, cursor = 0;
    const char *k;
    size_t kn;
    int64_t blocks;
    size_t len = write_people(file, sizeof file, 100, 256, &blocks);

    CHECK(blocks > 5);
    CHECK_INT(read_people(file, len, true), 100);

    CHECK_INT(avro_reader_open(&r, file, len), 0);
    CHECK_STR(r.codec, "null");
    CHECK_INT(r.schema_len, strlen(people_schema));
    CHECK(memcmp(r.schema, people_schema, r.schema_len) == 0);
    CHECK_MEM(r.sync, test_sync, AVRO_SYNC_SIZE);
    CHECK_INT(avro_reader_meta(&r, "format-version", &v, &vn), 0);
    CHECK_INT(vn, 1);
    CHECK_MEM(v, "2", 1);
    CHECK_INT(avro_reader_meta(&r, "empty", &v, &vn), 0);
    CHECK_INT(vn, 0);
    CHECK_INT(avro_reader_meta(&r, "schema", &v, &vn), -ENOENT);
    {
        static const char *const keys[] = {"avro.schema", "avro.codec", "format-version",
                                           "partition-spec", "empty"};
        size_t i = 0;
        while (avro_reader_meta_next(&r, &cursor, &k, &kn, &v, &vn) == 0) {
            CHECK(i < 5 && kn == strlen(keys[i]) && memcmp(k, keys[i], kn) == 0);
            i++;
        }
        CHECK_INT(i, 5);
    }

    /* An empty file (header only) has no objects. */
    len = write_people(file, sizeof file, 0, 256, &blocks);
    CHECK_INT(blocks, 0);
    CHECK_INT(read_people(file, len, true), 0);
}

/* A codec for the test: every byte xor 0x5a, so the decompression hook can be exercised without
 * a compression library. */
static int xor_calls;

static int xor_decompress(void *ctx, const char *codec, const uint8_t *src, size_t src_len,
                          uint8_t *dst, size_t cap, size_t *len)
{
    (void)ctx;
    xor_calls++;
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

static void test_codec_hook(void)
{
    static const char schema[] = "\"long\"";
    uint8_t out[256], data[32], scratch[32];
    struct avro_writer w;
    struct avro_reader r;
    struct avro_enc e;
    struct avro_dec d;
    size_t len, n;
    int64_t count, v;

    avro_writer_init(&w, test_sync, data, sizeof data);
    CHECK_INT(avro_writer_header(&w, schema, strlen(schema), "xor", NULL, 0, out, sizeof out, &len),
              0);
    avro_enc_init(&e, data, sizeof data);
    for (int i = 0; i < 5; i++) {
        avro_put_long(&e, i * 100);
    }
    for (size_t i = 0; i < e.len; i++) {
        data[i] ^= 0x5a;
    }
    CHECK_INT(avro_write_block(test_sync, 5, data, e.len, out + len, sizeof out - len, &n), 0);
    len += n;

    CHECK_INT(avro_reader_open(&r, out, len), 0);
    CHECK_STR(r.codec, "xor");
    CHECK_INT(avro_reader_next_block(&r, &d, &count), -ENOTSUP);

    CHECK_INT(avro_reader_open(&r, out, len), 0);
    avro_reader_set_decompress(&r, xor_decompress, NULL, scratch, 4);
    CHECK_INT(avro_reader_next_block(&r, &d, &count), -ENOSPC);
    /* After -ENOSPC the same block can be read with a larger scratch. */
    avro_reader_set_decompress(&r, xor_decompress, NULL, scratch, sizeof scratch);
    CHECK_INT(avro_reader_next_block(&r, &d, &count), 0);
    CHECK_INT(count, 5);
    for (int i = 0; i < 5; i++) {
        avro_get_long(&d, &v);
        CHECK_INT(v, i * 100);
    }
    CHECK_INT(avro_dec_finish(&d), 0);
    CHECK_INT(avro_reader_next_block(&r, &d, &count), 0);
    CHECK_INT(count, 0);
    CHECK_INT(xor_calls, 2);

    /* An empty codec name opens (the metadata stays readable) but has no decompressor. */
    CHECK_INT(avro_writer_header(&w, schema, strlen(schema), "", NULL, 0, out, sizeof out, &len),
              0);
    CHECK_INT(
        avro_write_block(test_sync, 1, (const uint8_t *)"\x02", 1, out + len, sizeof out - len, &n),
        0);
    len += n;
    CHECK_INT(avro_reader_open(&r, out, len), 0);
    CHECK_STR(r.codec, "");
    CHECK_INT(avro_reader_next_block(&r, &d, &count), -ENOTSUP);
}

static void test_schema(void)
{
    static const char manifest_list[] =
        "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
        "{\"name\":\"manifest_path\",\"type\":\"string\",\"doc\":\"Location \\\"URI\\\"\","
        "\"field-id\":500},"
        "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\",\"items\":"
        "{\"type\":\"record\",\"name\":\"r508\",\"fields\":["
        "{\"name\":\"contains_null\",\"type\":\"boolean\",\"field-id\":509},"
        "{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,"
        "\"field-id\":510}]},\"element-id\":508}],\"default\":null,\"field-id\":507},"
        "{\"name\":\"sizes\",\"type\":{\"type\":\"map\",\"values\":{\"type\":\"fixed\","
        "\"name\":\"f4\",\"size\":4},\"key-id\":7,\"value-id\":8},\"field-id\":6},"
        "{\"name\":\"again\",\"type\":\"f4\",\"field-id\":9},"
        "{\"name\":\"kind\",\"type\":{\"type\":\"enum\",\"name\":\"k\",\"symbols\":[\"A\",\"B\"]},"
        "\"field-id\":10},"
        "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\","
        "\"adjust-to-utc\":true},\"field-id\":11,\"extra\":[1,2.5e3,{\"a\":null},true,false]}"
        "]}";
    struct avro_node nodes[64];
    struct avro_schema s;
    uint32_t f, arr, rec, inner;
    int64_t nb;
    uint8_t buf[128];
    struct avro_enc e;
    struct avro_dec d;

    CHECK_INT(avro_schema_parse(&s, nodes, 64, manifest_list, strlen(manifest_list)), 0);
    CHECK_INT(s.nodes[0].type, AVRO_RECORD);
    CHECK_INT(s.nodes[0].count, 6);
    CHECK(s.nodes[0].name_len == 13 && memcmp(s.nodes[0].name, "manifest_file", 13) == 0);
    CHECK_INT(avro_schema_field_by_id(&s, 0, 500, &f), 0);
    CHECK_INT(s.nodes[s.nodes[f].child].type, AVRO_STRING);
    CHECK_INT(avro_schema_field_by_id(&s, 0, 507, &f), 0);
    CHECK_INT(avro_schema_optional(&s, s.nodes[f].child, &nb, &arr), 0);
    CHECK_INT(nb, 0);
    CHECK_INT(s.nodes[arr].type, AVRO_ARRAY);
    CHECK_INT(s.nodes[arr].element_id, 508);
    rec = avro_schema_resolve(&s, s.nodes[arr].child);
    CHECK_INT(s.nodes[rec].type, AVRO_RECORD);
    CHECK(s.nodes[rec].name_len == 4 && memcmp(s.nodes[rec].name, "r508", 4) == 0);
    CHECK_INT(avro_schema_field_by_name(&s, rec, "lower_bound", &f), 0);
    CHECK_INT(s.nodes[f].field_id, 510);
    CHECK_INT(avro_schema_optional(&s, s.nodes[f].child, &nb, &inner), 0);
    CHECK_INT(s.nodes[inner].type, AVRO_BYTES);
    CHECK_INT(avro_schema_field_by_id(&s, rec, 511, &f), -ENOENT);
    CHECK_INT(avro_schema_field_by_id(&s, arr, 1, &f), -EINVAL);
    CHECK_INT(avro_schema_field_by_id(&s, 0, 6, &f), 0);
    CHECK_INT(s.nodes[s.nodes[f].child].type, AVRO_MAP);
    CHECK_INT(s.nodes[s.nodes[f].child].key_id, 7);
    CHECK_INT(s.nodes[s.nodes[f].child].value_id, 8);
    CHECK_INT(avro_schema_field_by_id(&s, 0, 9, &f), 0);
    CHECK_INT(s.nodes[s.nodes[f].child].type, AVRO_REF);
    inner = avro_schema_resolve(&s, s.nodes[f].child);
    CHECK_INT(s.nodes[inner].type, AVRO_FIXED);
    CHECK_INT(s.nodes[inner].size, 4);
    CHECK_INT(avro_schema_field_by_id(&s, 0, 10, &f), 0);
    CHECK_INT(s.nodes[s.nodes[f].child].type, AVRO_ENUM);
    CHECK_INT(s.nodes[s.nodes[f].child].size, 2);
    CHECK_INT(avro_schema_field_by_id(&s, 0, 11, &f), 0);
    inner = s.nodes[f].child;
    CHECK_INT(s.nodes[inner].type, AVRO_LONG);
    CHECK(s.nodes[inner].logical_len == 16 &&
          memcmp(s.nodes[inner].logical, "timestamp-micros", 16) == 0);

    /* Skip a whole record by schema and land exactly at the end. */
    avro_enc_init(&e, buf, sizeof buf);
    avro_put_cstring(&e, "s3://b/m.avro");
    avro_put_union(&e, 1);
    avro_array_begin(&e, 2);
    avro_put_boolean(&e, true);
    avro_put_union(&e, 1);
    avro_put_bytes(&e, (const uint8_t *)"\x01\x02\x03\x04", 4);
    avro_put_boolean(&e, false);
    avro_put_union(&e, 0);
    avro_array_end(&e);
    avro_map_begin(&e, 1);
    avro_put_cstring(&e, "x");
    avro_put_fixed(&e, (const uint8_t *)"abcd", 4);
    avro_map_end(&e);
    avro_put_fixed(&e, (const uint8_t *)"wxyz", 4);
    avro_put_int(&e, 1);
    CHECK_INT(avro_put_long(&e, 1510871468000000), 0);
    avro_dec_init(&d, buf, e.len);
    CHECK_INT(avro_skip_value(&d, &s, 0), 0);
    CHECK_INT(avro_dec_finish(&d), 0);
    avro_dec_init(&d, buf, e.len - 1);
    CHECK_INT(avro_skip_value(&d, &s, 0), -EBADMSG);

    /* Invalid schemas. */
    {
        static const char *const bad[] = {
            "",
            "{",
            "\"nope\"",
            "{\"type\":\"record\",\"name\":\"r\"}",
            "{\"type\":\"record\",\"fields\":[]}",
            "{\"type\":\"array\"}",
            "{\"type\":\"fixed\",\"name\":\"f\"}",
            "{\"type\":\"fixed\",\"name\":\"f\",\"size\":-1}",
            "[]",
            "\"long\" x",
            "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\"}]}",
            "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
            "\"field-id\":99999999999}]}",
            "{\"type\":\"record\",\"name\":\"r\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
            "\"field-id\":\"1\"}]}",
            "{\"type\":\"string\",\"doc\":\"bad \\q escape\"}",
            "{\"type\":\"string\",\"doc\":\"unterminated}",
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            if (!CHECK(avro_schema_parse(&s, nodes, 64, bad[i], strlen(bad[i])) == -EBADMSG)) {
                fprintf(stderr, "    accepted schema %zu: %s\n", i, bad[i]);
            }
        }
    }
    /* Nesting past the limit, and a node array that is too small. */
    {
        char deep[512];
        size_t n = 0;
        for (int i = 0; i < 40; i++) {
            n += (size_t)snprintf(deep + n, sizeof deep - n, "[");
        }
        n += (size_t)snprintf(deep + n, sizeof deep - n, "\"int\"");
        for (int i = 0; i < 40; i++) {
            n += (size_t)snprintf(deep + n, sizeof deep - n, "]");
        }
        CHECK_INT(avro_schema_parse(&s, nodes, 64, deep, n), -EBADMSG);
        CHECK_INT(avro_schema_parse(&s, nodes, 3, manifest_list, strlen(manifest_list)), -ENOSPC);
        CHECK_INT(s.n, 0);
    }
}

/* Copies buf[0..len) into an exact-size heap block so that ASan sees any read past the end. */
static int64_t read_copy(const uint8_t *buf, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    int64_t rc;

    if (!copy) {
        return -ENOMEM;
    }
    memcpy(copy, buf, len);
    rc = read_people(copy, len, false);
    free(copy);
    return rc;
}

static void test_hostile(void)
{
    static uint8_t file[8192];
    static uint8_t bad[8192];
    int64_t blocks;
    size_t len = write_people(file, sizeof file, 30, 128, &blocks);
    size_t header_len;
    unsigned errors = 0, wrong = 0;
    struct avro_reader r;

    CHECK(blocks >= 3);
    CHECK_INT(read_copy(file, len), 30);

    /* Bad magic. */
    memcpy(bad, file, len);
    bad[3] = 2;
    CHECK_INT(avro_reader_open(&r, bad, len), -EBADMSG);
    CHECK_INT(avro_reader_open(&r, file, 3), -EBADMSG);
    CHECK_INT(avro_reader_open(&r, NULL, 0), -EBADMSG);

    /* Every truncation: an error, or a shorter valid file ending on a block boundary. */
    CHECK_INT(avro_reader_open(&r, file, len), 0);
    header_len = r.pos;
    for (size_t cut = 0; cut < len; cut++) {
        int64_t rc = read_copy(file, cut);
        if (cut < header_len) {
            if (rc != -EBADMSG) {
                wrong++;
            }
        } else if (rc >= 30 || (rc < 0 && rc != -EBADMSG)) {
            wrong++;
        }
    }
    CHECK_INT(wrong, 0);

    /* A last sync marker that differs from the header's. */
    memcpy(bad, file, len);
    bad[len - 1] ^= 0x01;
    CHECK_INT(read_copy(bad, len), -EBADMSG);

    /* Every single-byte corruption: never a crash; most are detected. */
    for (size_t i = 0; i < len; i++) {
        int64_t rc;
        memcpy(bad, file, len);
        bad[i] ^= 0xff;
        rc = read_copy(bad, len);
        if (rc < 0) {
            errors++;
        }
    }
    CHECK(errors > len / 2);

    /* Huge lengths: a metadata value, a block count and a block size past the end. */
    {
        /* clang-format off */
        static const uint8_t huge_meta[] = {'O', 'b', 'j', 1, 0x02, 0x16, 'a', 'v', 'r', 'o', '.',
                                            's', 'c', 'h', 'e', 'm', 'a', 0xfe, 0xff, 0xff, 0xff,
                                            0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
        static const uint8_t neg_meta[] = {'O', 'b', 'j', 1, 0x01, 0x7e};
        /* clang-format on */
        uint8_t f2[1024];
        size_t h;
        struct avro_dec d;
        int64_t count;

        CHECK_INT(avro_reader_open(&r, huge_meta, sizeof huge_meta), -EBADMSG);
        CHECK_INT(avro_reader_open(&r, neg_meta, sizeof neg_meta), -EBADMSG);

        CHECK_INT(avro_reader_open(&r, file, len), 0);
        h = r.pos;
        CHECK(h + 32 <= sizeof f2);
        memcpy(f2, file, h);
        /* count INT64_MAX, size 1 */
        memcpy(f2 + h, "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01\x02\x00", 12);
        memcpy(f2 + h + 12, test_sync, 16);
        CHECK_INT(avro_reader_open(&r, f2, h + 28), 0);
        CHECK_INT(avro_reader_next_block(&r, &d, &count), -EBADMSG);
        CHECK_INT(count, 0);
        CHECK_INT(avro_reader_next_block(&r, &d, &count), -EBADMSG); /* stays failed */
        /* count 1, size 2^62 */
        memcpy(f2 + h, "\x02\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11);
        CHECK_INT(avro_reader_open(&r, f2, h + 11 + 16), 0);
        CHECK_INT(avro_reader_next_block(&r, &d, &count), -EBADMSG);
        /* count -1 */
        memcpy(f2 + h, "\x01\x02\x00", 3);
        memcpy(f2 + h + 3, test_sync, 16);
        CHECK_INT(avro_reader_open(&r, f2, h + 19), 0);
        CHECK_INT(avro_reader_next_block(&r, &d, &count), -EBADMSG);
        /* an empty block (count 0, size 0) is stepped over */
        memcpy(f2 + h, "\x00\x00", 2);
        memcpy(f2 + h + 2, test_sync, 16);
        CHECK_INT(avro_reader_open(&r, f2, h + 18), 0);
        CHECK_INT(avro_reader_next_block(&r, &d, &count), 0);
        CHECK_INT(count, 0);
    }
}

/* Skipping is linear in the input however many values are skipped: array<null> items take
 * no bytes, so a block of arrays whose counts are near the block's size would otherwise cost
 * quadratic time (one full-size walk per value). The budget is the decoder's, shared. */
static void test_skip_budget(void)
{
    static const char schema[] = "{\"type\":\"array\",\"items\":\"null\"}";
    struct avro_node nodes[8];
    struct avro_schema sch;
    CHECK_INT(avro_schema_parse(&sch, nodes, 8, schema, strlen(schema)), 0);
    enum { VALUES = 2000 };
    static uint8_t buf[VALUES * 4];
    size_t len = 0;
    for (int i = 0; i < VALUES; i++) {
        /* block count 3000 (zig-zag varint 0xF0 0x2E), then the terminating 0 */
        buf[len++] = 0xF0;
        buf[len++] = 0x2E;
        buf[len++] = 0x00;
    }
    struct avro_dec d;
    avro_dec_init(&d, buf, len);
    int rc = 0, skipped = 0;
    while (rc == 0 && skipped < VALUES) {
        rc = avro_skip_value(&d, &sch, 0); /* the root node */
        skipped += rc == 0;
    }
    /* The budget is about 4 visits per byte (24,064 for these 6,000 bytes); each value costs
     * over 3,000: the shared budget runs out after a handful of values. (A budget per call
     * would only run out near the end of the block, after some 1,750 values.) */
    CHECK_INT(rc, -EBADMSG);
    CHECK(skipped >= 1 && skipped <= 10);
}

int main(void)
{
    test_varints();
    test_primitives();
    test_unions_arrays_maps();
    test_header_golden();
    test_round_trip();
    test_codec_hook();
    test_schema();
    test_hostile();
    test_skip_budget();
    return check_done();
}
