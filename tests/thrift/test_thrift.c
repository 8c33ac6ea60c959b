/* test_thrift.c — the Thrift compact protocol writer and reader.
 *
 * Golden encodings are worked out by hand from the compact-protocol spec (SPEC-NOTES §6 has
 * the PageHeader example); the reader is checked on round trips and on truncated, corrupted and
 * adversarial input, where it must return an error and never read outside its buffer (run under
 * ASan in CI).
 */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "thrift.h"

static void test_page_header_golden(void)
{
    static const uint8_t want[] = {0x15, 0x00, 0x15, 0xC8, 0x01, 0x15, 0x78, 0x2C, 0x15,
                                   0x14, 0x15, 0x00, 0x15, 0x06, 0x15, 0x06, 0x00, 0x00};
    uint8_t buf[64];
    struct thr_writer w;
    thr_writer_init(&w, buf, sizeof(buf));
    thr_field_i32(&w, 1, 0);
    thr_field_i32(&w, 2, 100);
    thr_field_i32(&w, 3, 60);
    thr_field_struct_begin(&w, 5);
    thr_field_i32(&w, 1, 10);
    thr_field_i32(&w, 2, 0);
    thr_field_i32(&w, 3, 3);
    thr_field_i32(&w, 4, 3);
    thr_struct_end(&w);
    thr_write_stop(&w);
    CHECK_INT(thr_writer_error(&w), 0);
    CHECK_INT(w.len, sizeof(want));
    CHECK_MEM(buf, want, sizeof(want));
}

static void test_field_headers(void)
{
    uint8_t buf[64];
    struct thr_writer w;
    thr_writer_init(&w, buf, sizeof(buf));
    thr_field_i32(&w, 1, 1);   /* 15 02 */
    thr_field_i32(&w, 20, 1);  /* delta 19: 05 28 02 */
    thr_field_i32(&w, 35, 1);  /* delta 15: F5 02 */
    thr_field_i32(&w, 2, -1);  /* backwards: 05 04 01 */
    thr_field_bool(&w, 3, true);  /* 11 */
    thr_field_bool(&w, 4, false); /* 12 */
    thr_field_i64(&w, 300, 0); /* 06 D8 04 00 */
    thr_write_stop(&w);
    static const uint8_t want[] = {0x15, 0x02, 0x05, 0x28, 0x02, 0xF5, 0x02, 0x05, 0x04, 0x01,
                                   0x11, 0x12, 0x06, 0xD8, 0x04, 0x00, 0x00};
    CHECK_INT(thr_writer_error(&w), 0);
    CHECK_INT(w.len, sizeof(want));
    CHECK_MEM(buf, want, sizeof(want));

    /* a first field with id > 15 uses the long form */
    thr_writer_init(&w, buf, sizeof(buf));
    thr_field_binary(&w, 16, "abc", 3);
    static const uint8_t want2[] = {0x08, 0x20, 0x03, 'a', 'b', 'c'};
    CHECK_INT(w.len, sizeof(want2));
    CHECK_MEM(buf, want2, sizeof(want2));
}

static void test_zigzag_and_types(void)
{
    uint8_t buf[128];
    struct thr_writer w;
    thr_writer_init(&w, buf, sizeof(buf));
    thr_write_i32(&w, -1);        /* 01 */
    thr_write_i32(&w, 1);         /* 02 */
    thr_write_i32(&w, -64);       /* 7F */
    thr_write_i32(&w, 64);        /* 80 01 */
    thr_write_i32(&w, INT32_MIN); /* FF FF FF FF 0F */
    thr_write_i16(&w, -2);        /* 03 */
    thr_write_i64(&w, INT64_MIN); /* FF x9 01 */
    thr_write_i64(&w, INT64_MAX); /* FE FF x8 01 */
    thr_write_double(&w, 1.0);    /* 00 00 00 00 00 00 F0 3F */
    thr_write_i8(&w, -1);         /* FF */
    static const uint8_t want[] = {
        0x01, 0x02, 0x7F, 0x80, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x03,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
        0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F, 0xFF};
    CHECK_INT(thr_writer_error(&w), 0);
    CHECK_INT(w.len, sizeof(want));
    CHECK_MEM(buf, want, sizeof(want));
}

static void test_list_headers(void)
{
    uint8_t buf[64];
    struct thr_writer w;
    thr_writer_init(&w, buf, sizeof(buf));
    thr_write_list_begin(&w, THR_I32, 0);    /* 05 */
    thr_write_list_begin(&w, THR_I32, 14);   /* E5 */
    thr_write_list_begin(&w, THR_I32, 15);   /* F5 0F */
    thr_write_list_begin(&w, THR_STRUCT, 300); /* FC AC 02 */
    thr_write_list_begin(&w, THR_BINARY, 1); /* 18 */
    static const uint8_t want[] = {0x05, 0xE5, 0xF5, 0x0F, 0xFC, 0xAC, 0x02, 0x18};
    CHECK_INT(w.len, sizeof(want));
    CHECK_MEM(buf, want, sizeof(want));
}

static void test_writer_errors(void)
{
    uint8_t buf[4];
    struct thr_writer w;
    thr_writer_init(&w, buf, sizeof(buf));
    thr_field_binary(&w, 1, "abcdef", 6);
    CHECK_INT(thr_writer_error(&w), -ENOSPC);
    thr_field_i32(&w, 2, 1); /* sticky: no effect */
    CHECK_INT(thr_writer_error(&w), -ENOSPC);
    CHECK(w.len <= sizeof(buf));

    uint8_t big[256];
    thr_writer_init(&w, big, sizeof(big));
    for (int i = 0; i < THR_MAX_DEPTH + 1; i++) {
        thr_field_struct_begin(&w, 1);
    }
    CHECK_INT(thr_writer_error(&w), -EOVERFLOW);

    thr_writer_init(&w, big, sizeof(big));
    thr_struct_end(&w);
    CHECK_INT(thr_writer_error(&w), -EINVAL);

    thr_writer_init(&w, big, sizeof(big));
    thr_field_header(&w, (enum thr_type)14, 1);
    CHECK_INT(thr_writer_error(&w), -EINVAL);
}

/* A struct with every type, nested structs and lists, used for round trips and corruption. */
static size_t build_sample(uint8_t *buf, size_t cap)
{
    struct thr_writer w;
    thr_writer_init(&w, buf, cap);
    thr_field_bool(&w, 1, true);
    thr_field_i8(&w, 2, -5);
    thr_field_i16(&w, 3, -300);
    thr_field_i32(&w, 4, 123456);
    thr_field_i64(&w, 5, -1234567890123LL);
    thr_field_double(&w, 6, -2.5);
    thr_field_string(&w, 7, "h\xc3\xa9llo");
    thr_field_list_begin(&w, 8, THR_STRUCT, 20);
    for (int i = 0; i < 20; i++) {
        thr_struct_begin(&w);
        thr_field_i32(&w, 1, i);
        thr_field_bool(&w, 2, i % 2 == 0);
        thr_struct_end(&w);
    }
    thr_field_struct_begin(&w, 100);
    thr_field_struct_begin(&w, 1);
    thr_field_list_begin(&w, 2, THR_I64, 3);
    thr_write_i64(&w, 1);
    thr_write_i64(&w, -1);
    thr_write_i64(&w, INT64_MAX);
    thr_struct_end(&w);
    thr_field_list_begin(&w, 2, THR_BOOL, 2);
    thr_write_bool(&w, true);
    thr_write_bool(&w, false);
    thr_struct_end(&w);
    thr_write_stop(&w);
    return thr_writer_error(&w) ? 0 : w.len;
}

static void test_reader_round_trip(void)
{
    uint8_t buf[512];
    size_t n = build_sample(buf, sizeof(buf));
    CHECK(n > 0);
    struct thr_reader r;
    thr_reader_init(&r, buf, n);
    uint8_t type;
    int16_t id;
    bool b = false;
    int8_t i8 = 0;
    int16_t i16 = 0;
    int32_t i32 = 0;
    int64_t i64 = 0;
    double d = 0;
    const uint8_t *p = NULL;
    uint32_t len = 0;

    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(type, THR_TRUE);
    CHECK_INT(id, 1);
    CHECK_INT(thr_read_bool(&r, &b), 0);
    CHECK(b);
    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(thr_read_i8(&r, &i8), 0);
    CHECK_INT(i8, -5);
    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(thr_read_i16(&r, &i16), 0);
    CHECK_INT(i16, -300);
    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(thr_read_i32(&r, &i32), 0);
    CHECK_INT(i32, 123456);
    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(thr_read_i64(&r, &i64), 0);
    CHECK_INT(i64, -1234567890123LL);
    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(type, THR_DOUBLE);
    CHECK_INT(thr_read_double(&r, &d), 0);
    CHECK(d == -2.5);
    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(thr_read_binary(&r, &p, &len), 0);
    CHECK_INT(len, 6);
    CHECK_MEM(p, "h\xc3\xa9llo", 6);
    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(type, THR_LIST);
    CHECK_INT(id, 8);
    uint8_t et;
    uint32_t cnt;
    CHECK_INT(thr_read_list_begin(&r, &et, &cnt), 0);
    CHECK_INT(et, THR_STRUCT);
    CHECK_INT(cnt, 20);
    int sum = 0, trues = 0;
    for (uint32_t i = 0; i < cnt; i++) {
        CHECK_INT(thr_read_struct_begin(&r), 0);
        for (;;) {
            CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
            if (type == THR_STOP) {
                break;
            }
            if (id == 1) {
                CHECK_INT(thr_read_i32(&r, &i32), 0);
                sum += i32;
            } else {
                CHECK_INT(thr_read_bool(&r, &b), 0);
                trues += b;
            }
        }
        CHECK_INT(thr_read_struct_end(&r), 0);
    }
    CHECK_INT(sum, 190);
    CHECK_INT(trues, 10);
    /* skip the nested struct (field 100) as an unknown field */
    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(id, 100);
    CHECK_INT(thr_skip(&r, type), 0);
    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(type, THR_STOP);
    CHECK_INT(r.pos, n);

    /* the whole thing skips as one struct */
    thr_reader_init(&r, buf, n);
    CHECK_INT(thr_skip(&r, THR_STRUCT), 0);
    CHECK_INT(r.pos, n);
}

static void test_reader_map_and_set(void)
{
    /* field 1 map<i32,string> {1:"a", -1:"bc"}, field 2 set<i8> {7}, field 3 empty map, stop */
    static const uint8_t in[] = {0x1B, 0x02, 0x58, 0x02, 0x01, 'a', 0x01, 0x02, 'b', 'c',
                                 0x1A, 0x13, 0x07, 0x1B, 0x00, 0x00};
    struct thr_reader r;
    thr_reader_init(&r, in, sizeof(in));
    CHECK_INT(thr_skip(&r, THR_STRUCT), 0);
    CHECK_INT(r.pos, sizeof(in));

    uint8_t kt, vt, type;
    uint32_t n;
    int16_t id;
    thr_reader_init(&r, in, sizeof(in));
    CHECK_INT(thr_read_field_begin(&r, &type, &id), 0);
    CHECK_INT(thr_read_map_begin(&r, &kt, &vt, &n), 0);
    CHECK_INT(kt, THR_I32);
    CHECK_INT(vt, THR_BINARY);
    CHECK_INT(n, 2);
}

static void test_reader_truncated(void)
{
    uint8_t buf[512];
    size_t n = build_sample(buf, sizeof(buf));
    int failures = 0;
    for (size_t cut = 0; cut < n; cut++) {
        /* a copy of exactly `cut` bytes, so ASan sees any read past it */
        uint8_t *copy = malloc(cut ? cut : 1);
        memcpy(copy, buf, cut);
        struct thr_reader r;
        thr_reader_init(&r, copy, cut);
        int rc = thr_skip(&r, THR_STRUCT);
        failures += rc == -EBADMSG;
        free(copy);
    }
    CHECK_INT(failures, (long long)n);
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_reader_garbage(void)
{
    uint8_t buf[512];
    size_t n = build_sample(buf, sizeof(buf));
    uint32_t seed = 12345;
    int ok = 0, errs = 0;
    for (int iter = 0; iter < 20000; iter++) {
        uint8_t *copy = malloc(n);
        memcpy(copy, buf, n);
        int flips = 1 + (int)(rnd(&seed) % 4);
        for (int f = 0; f < flips; f++) {
            copy[rnd(&seed) % n] = (uint8_t)rnd(&seed);
        }
        struct thr_reader r;
        thr_reader_init(&r, copy, n);
        int rc = thr_skip(&r, THR_STRUCT);
        if (rc == 0) {
            ok++;
            CHECK(r.pos <= n);
        } else if (rc == -EBADMSG || rc == -EOVERFLOW) {
            errs++;
        } else {
            CHECK_INT(rc, -EBADMSG);
        }
        free(copy);
    }
    CHECK(errs > 0);
    CHECK_INT(ok + errs, 20000);

    /* pure random bytes */
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = rnd(&seed) % 64;
        uint8_t *copy = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++) {
            copy[i] = (uint8_t)rnd(&seed);
        }
        struct thr_reader r;
        thr_reader_init(&r, copy, len);
        int rc = thr_skip(&r, THR_STRUCT);
        if (rc != 0 && rc != -EBADMSG && rc != -EOVERFLOW) {
            CHECK_INT(rc, -EBADMSG);
        }
        free(copy);
    }
}

static void test_reader_limits(void)
{
    struct thr_reader r;
    /* 40 nested struct fields: 1C 1C 1C ... */
    uint8_t deep[80];
    memset(deep, 0x1C, sizeof(deep));
    thr_reader_init(&r, deep, sizeof(deep));
    CHECK_INT(thr_skip(&r, THR_STRUCT), -EOVERFLOW);

    /* nested lists of lists */
    uint8_t lists[80];
    memset(lists, 0x19, sizeof(lists));
    thr_reader_init(&r, lists, sizeof(lists));
    CHECK_INT(thr_skip(&r, THR_LIST), -EOVERFLOW);

    /* a list claiming 2^31 elements in 6 bytes */
    static const uint8_t huge[] = {0xF5, 0x80, 0x80, 0x80, 0x80, 0x08};
    thr_reader_init(&r, huge, sizeof(huge));
    CHECK_INT(thr_skip(&r, THR_LIST), -EOVERFLOW);
    static const uint8_t many[] = {0xF5, 0xE8, 0x07, 0x02}; /* 1000 i32, 1 present */
    thr_reader_init(&r, many, sizeof(many));
    CHECK_INT(thr_skip(&r, THR_LIST), -EBADMSG);

    /* binary longer than the input */
    static const uint8_t bin[] = {0x18, 0x05, 'a'};
    thr_reader_init(&r, bin, sizeof(bin));
    CHECK_INT(thr_skip(&r, THR_STRUCT), -EBADMSG);

    /* unterminated and overlong varints */
    static const uint8_t v1[] = {0x15, 0x80, 0x80};
    thr_reader_init(&r, v1, sizeof(v1));
    CHECK_INT(thr_skip(&r, THR_STRUCT), -EBADMSG);
    static const uint8_t v2[] = {0x15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00};
    thr_reader_init(&r, v2, sizeof(v2));
    CHECK_INT(thr_skip(&r, THR_STRUCT), -EBADMSG);
    static const uint8_t v3[] = {0x15, 0xFE, 0xFF, 0xFF, 0xFF, 0x1F, 0x00}; /* > INT32_MAX */
    thr_reader_init(&r, v3, sizeof(v3));
    CHECK_INT(thr_skip(&r, THR_STRUCT), -EOVERFLOW);

    /* bad type code 14, and errors are sticky */
    static const uint8_t bad[] = {0x1E, 0x00};
    thr_reader_init(&r, bad, sizeof(bad));
    CHECK_INT(thr_skip(&r, THR_STRUCT), -EBADMSG);
    int32_t v;
    CHECK_INT(thr_read_i32(&r, &v), -EBADMSG);
    CHECK_INT(thr_reader_error(&r), -EBADMSG);

    /* struct_end without a struct */
    thr_reader_init(&r, bad, sizeof(bad));
    CHECK_INT(thr_read_struct_end(&r), -EINVAL);
}

int main(void)
{
    test_page_header_golden();
    test_field_headers();
    test_zigzag_and_types();
    test_list_headers();
    test_writer_errors();
    test_reader_round_trip();
    test_reader_map_and_set();
    test_reader_truncated();
    test_reader_garbage();
    test_reader_limits();
    return check_done();
}
