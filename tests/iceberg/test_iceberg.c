/* test_iceberg.c — unit tests of vendor-free/iceberg against the Iceberg spec's vectors.
 *
 * Hash vectors are Appendix B's (and SPEC-NOTES §4's); truncate examples are from "Truncate
 * Transform Details"; the day example and the flooring of instants before 1970 from "Partition
 * Transforms"; serialization bytes from Appendix D; partition paths from Java's
 * PartitionSpec.partitionToPath() with URLEncoder.
 */
#include "check.h"
#include "iceberg.h"

#include <errno.h>
#include <math.h>

#define TS_2017_11_16_223108 INT64_C(1510871468000000) /* 2017-11-16T22:31:08Z, in µs */

static struct ice_transform tf(const char *name)
{
    struct ice_transform t;
    int rc = ice_transform_parse(name, strlen(name), &t);
    CHECK_INT(rc, 0);
    return t;
}

static int32_t apply_i(const char *transform, struct ice_value in)
{
    struct ice_transform t = tf(transform);
    struct ice_value out;
    int rc = ice_transform_apply(&t, &in, &out);
    CHECK_INT(rc, 0);
    CHECK(!out.is_null);
    return out.v.i;
}

static struct ice_value typed(enum ice_type_id type, int64_t v)
{
    struct ice_value x = ice_long(v);
    x.type = type;
    if (type == ICE_INT || type == ICE_DATE) {
        x.v.i = (int32_t)v;
    }
    return x;
}

static void test_murmur3_vectors(void)
{
    static const uint8_t b0123[] = {0, 1, 2, 3};
    static const uint8_t uuid[16] = {0xF7, 0x9C, 0x3E, 0x09, 0x67, 0x7C, 0x4B, 0xBD,
                                     0xA4, 0x79, 0x3F, 0x34, 0x9C, 0xB7, 0x85, 0xE7};
    struct ice_value v;
    int32_t h;

    /* Appendix B, first table. */
    CHECK_INT(ice_hash_long(34), 2017239379);
    v = ice_int(34);
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, 2017239379);
    v = ice_long(34);
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, 2017239379);
    v = ice_decimal(1420, 2); /* 14.20 */
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, -500754589);
    v = ice_date(17486); /* 2017-11-16 */
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, -653330422);
    v = typed(ICE_TIME, INT64_C(81068000000)); /* 22:31:08 */
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, -662762989);
    v = typed(ICE_TIMESTAMP, TS_2017_11_16_223108);
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, -2047944441);
    v = ice_timestamptz(TS_2017_11_16_223108); /* 2017-11-16T14:31:08-08:00 */
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, -2047944441);
    v = ice_timestamptz(TS_2017_11_16_223108 + 1);
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, -1207196810);
    v = ice_string("iceberg", 7);
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, 1210000089);
    v = ice_null(ICE_UUID);
    v.is_null = false;
    memcpy(v.v.uuid, uuid, 16);
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, 1488055340);
    v = ice_binary(b0123, 4);
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, -188683207);
    v.type = ICE_FIXED;
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, -188683207);

    /* Appendix B, second table (types not valid for bucketing). */
    v = ice_null(ICE_BOOLEAN);
    v.is_null = false;
    v.v.b = true;
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, 1392991556);
    v = ice_null(ICE_FLOAT);
    v.is_null = false;
    v.v.f = 1.0f;
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, -142385009);
    v.v.f = 0.0f;
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, 1669671676);
    v.v.f = -0.0f;
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, 1669671676);
    v = ice_null(ICE_DOUBLE);
    v.is_null = false;
    v.v.d = 1.0;
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, -142385009);
    v.v.d = -0.0;
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, 1669671676);
    /* Every NaN hashes as the canonical 0x7ff8000000000000. */
    v.v.d = NAN;
    CHECK_INT(ice_hash_value(&v, &h), 0);
    CHECK_INT(h, ice_hash_long(INT64_C(0x7ff8000000000000)));

    v = ice_null(ICE_INT);
    CHECK_INT(ice_hash_value(&v, &h), -EINVAL);

    /* Murmur3 reference values for the tail lengths (seed 0 and a non-zero seed). */
    CHECK_INT(ice_murmur3_32((const uint8_t *)"", 0, 0), 0);
    CHECK_INT(ice_murmur3_32((const uint8_t *)"", 0, 1), 0x514E28B7);
    CHECK_INT(ice_murmur3_32((const uint8_t *)"a", 1, 0), 0x3C2569B2);
    CHECK_INT(ice_murmur3_32((const uint8_t *)"ab", 2, 0), (int32_t)0x9BBFD75F);
    CHECK_INT(ice_murmur3_32((const uint8_t *)"abc", 3, 0), (int32_t)0xB3DD93FA);
    CHECK_INT(ice_murmur3_32((const uint8_t *)"abcd", 4, 0), 0x43ED676A);
}

static void test_bucket(void)
{
    static const uint8_t b0123[] = {0, 1, 2, 3};

    CHECK_INT(apply_i("bucket[16]", ice_int(34)), 3);
    CHECK_INT(apply_i("bucket[16]", ice_long(34)), 3);
    CHECK_INT(apply_i("bucket[16]", ice_string("iceberg", 7)), 9);
    CHECK_INT(apply_i("bucket[16]", ice_timestamptz(TS_2017_11_16_223108)), 7);
    CHECK_INT(apply_i("bucket[1]", ice_long(-12345)), 0);
    CHECK_INT(ice_bucket_of_hash(-188683207, 100), (-188683207 & 0x7FFFFFFF) % 100);
    CHECK_INT(apply_i("bucket[100]", ice_binary(b0123, 4)), (-188683207 & 0x7FFFFFFF) % 100);
    CHECK_INT(apply_i("bucket[100]", ice_date(17486)), (-653330422 & 0x7FFFFFFF) % 100);
    CHECK_INT(apply_i("bucket[128]", ice_decimal(1420, 2)), (-500754589 & 0x7FFFFFFF) % 128);
    CHECK_INT(ice_bucket_of_hash(INT32_MIN, 16), 0);
    CHECK_INT(ice_bucket_of_hash(-1, 16), 15);

    /* Bucket of a type the spec does not allow. */
    {
        struct ice_transform t = tf("bucket[16]");
        struct ice_value in = ice_null(ICE_DOUBLE), out;
        in.is_null = false;
        in.v.d = 1.0;
        CHECK_INT(ice_transform_apply(&t, &in, &out), -EINVAL);
        CHECK(out.is_null);
    }
    /* Null in, null out. */
    {
        struct ice_transform t = tf("bucket[16]");
        struct ice_value in = ice_null(ICE_LONG), out;
        CHECK_INT(ice_transform_apply(&t, &in, &out), 0);
        CHECK(out.is_null);
        CHECK_INT(out.type, ICE_INT);
    }
}

static void test_truncate(void)
{
    static const int64_t in[] = {0, 1, 5, 9, 10, 11, -1, -5, -10, -11};
    static const int64_t want[] = {0, 0, 0, 0, 10, 10, -10, -10, -10, -20};
    struct ice_transform t10 = tf("truncate[10]");
    struct ice_value out;

    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        CHECK_INT(apply_i("truncate[10]", ice_int((int32_t)in[i])), want[i]);
        {
            struct ice_value l = ice_long(in[i]);
            CHECK_INT(ice_transform_apply(&t10, &l, &out), 0);
            CHECK_INT(out.v.l, want[i]);
            CHECK_INT(out.type, ICE_LONG);
        }
    }
    CHECK_INT(apply_i("truncate[7]", ice_int(22)), 21);
    CHECK_INT(apply_i("truncate[3]", ice_int(INT32_MAX)), INT32_MAX - 1);
    {
        struct ice_value v = ice_int(INT32_MIN);
        CHECK_INT(ice_transform_apply(&t10, &v, &out), -EOVERFLOW);
        v = ice_long(INT64_MIN);
        CHECK_INT(ice_transform_apply(&t10, &v, &out), -EOVERFLOW);
        v = ice_long(INT64_MIN + 8); /* ends in ...800: already a multiple of 10 */
        CHECK_INT(ice_transform_apply(&t10, &v, &out), 0);
        CHECK_INT(out.v.l, INT64_MIN + 8);
    }

    /* decimal W=50, scale 2: 10.65 → 10.50; -10.65 → -11.00; 12.34 with W=10 → 12.30. */
    {
        struct ice_transform t50 = tf("truncate[50]");
        struct ice_value d = ice_decimal(1065, 2), want_d = ice_decimal(1050, 2);
        CHECK_INT(ice_transform_apply(&t50, &d, &out), 0);
        CHECK_MEM(out.v.dec, want_d.v.dec, ICE_DECIMAL_BYTES);
        CHECK_INT(out.scale, 2);
        d = ice_decimal(-1065, 2);
        want_d = ice_decimal(-1100, 2);
        CHECK_INT(ice_transform_apply(&t50, &d, &out), 0);
        CHECK_MEM(out.v.dec, want_d.v.dec, ICE_DECIMAL_BYTES);
        d = ice_decimal(1234, 2);
        want_d = ice_decimal(1230, 2);
        CHECK_INT(ice_transform_apply(&t10, &d, &out), 0);
        CHECK_MEM(out.v.dec, want_d.v.dec, ICE_DECIMAL_BYTES);
        d = ice_decimal(-5, 2);
        want_d = ice_decimal(-10, 2);
        CHECK_INT(ice_transform_apply(&t10, &d, &out), 0);
        CHECK_MEM(out.v.dec, want_d.v.dec, ICE_DECIMAL_BYTES);
    }

    /* string L=3: "iceberg" → "ice"; code points, not bytes. */
    {
        struct ice_transform t3 = tf("truncate[3]");
        struct ice_transform t1 = tf("truncate[1]");
        struct ice_value s = ice_string("iceberg", 7);
        CHECK_INT(ice_transform_apply(&t3, &s, &out), 0);
        CHECK_INT(out.v.bin.n, 3);
        CHECK(memcmp(out.v.bin.p, "ice", 3) == 0);
        s = ice_string("\xE2\x82\xAC"
                       "uro",
                       6); /* "€uro" */
        CHECK_INT(ice_transform_apply(&t1, &s, &out), 0);
        CHECK_INT(out.v.bin.n, 3);
        CHECK_INT(ice_transform_apply(&t3, &s, &out), 0);
        CHECK_INT(out.v.bin.n, 5);
        s = ice_string("\xF0\x9F\x98\x80\xC3\xA9"
                       "a",
                       7); /* U+1F600, é, a */
        CHECK_INT(ice_transform_apply(&t1, &s, &out), 0);
        CHECK_INT(out.v.bin.n, 4);
        CHECK_INT(ice_truncate_utf8((const char *)s.v.bin.p, s.v.bin.n, 2), 6);
        CHECK_INT(ice_truncate_utf8((const char *)s.v.bin.p, s.v.bin.n, 3), 7);
        CHECK_INT(ice_truncate_utf8((const char *)s.v.bin.p, s.v.bin.n, 30), 7);
        s = ice_string("ab", 2);
        CHECK_INT(ice_transform_apply(&t3, &s, &out), 0);
        CHECK_INT(out.v.bin.n, 2);
    }

    /* binary L=3: 01 02 03 04 05 → 01 02 03. */
    {
        static const uint8_t b[] = {1, 2, 3, 4, 5};
        struct ice_transform t3 = tf("truncate[3]");
        struct ice_value v = ice_binary(b, 5);
        CHECK_INT(ice_transform_apply(&t3, &v, &out), 0);
        CHECK_INT(out.v.bin.n, 3);
        CHECK(out.v.bin.p == b);
    }
}

static void test_time_transforms(void)
{
    /* Spec: 1510871468000000 (2017-11-16T22:31:08Z) → day 17486. */
    CHECK_INT(apply_i("day", ice_timestamptz(TS_2017_11_16_223108)), 17486);
    CHECK_INT(apply_i("year", ice_timestamptz(TS_2017_11_16_223108)), 47);
    CHECK_INT(apply_i("month", ice_timestamptz(TS_2017_11_16_223108)), 574);
    CHECK_INT(apply_i("hour", ice_timestamptz(TS_2017_11_16_223108)), 419686);
    CHECK_INT(apply_i("day", typed(ICE_TIMESTAMP, TS_2017_11_16_223108)), 17486);
    CHECK_INT(apply_i("year", ice_date(17486)), 47);
    CHECK_INT(apply_i("month", ice_date(17486)), 574);
    CHECK_INT(apply_i("day", ice_date(17486)), 17486);

    /* Epoch and the instants just before it floor to the earlier unit. */
    CHECK_INT(apply_i("day", ice_timestamptz(0)), 0);
    CHECK_INT(apply_i("day", ice_timestamptz(-1)), -1);
    CHECK_INT(apply_i("hour", ice_timestamptz(-1)), -1);
    CHECK_INT(apply_i("month", ice_timestamptz(-1)), -1);
    CHECK_INT(apply_i("year", ice_timestamptz(-1)), -1);
    CHECK_INT(apply_i("day", ice_timestamptz(-INT64_C(86400000000))), -1);
    CHECK_INT(apply_i("day", ice_timestamptz(-INT64_C(86400000001))), -2);
    CHECK_INT(apply_i("hour", ice_timestamptz(-INT64_C(3600000000))), -1);
    CHECK_INT(apply_i("hour", ice_timestamptz(-INT64_C(3600000001))), -2);
    CHECK_INT(apply_i("year", ice_date(-1)), -1);    /* 1969-12-31 */
    CHECK_INT(apply_i("year", ice_date(-365)), -1);  /* 1969-01-01 */
    CHECK_INT(apply_i("year", ice_date(-366)), -2);  /* 1968-12-31 */
    CHECK_INT(apply_i("month", ice_date(-31)), -1);  /* 1969-12-01 */
    CHECK_INT(apply_i("month", ice_date(-32)), -2);  /* 1969-11-30 */
    CHECK_INT(apply_i("month", ice_date(31)), 1);    /* 1970-02-01 */
    CHECK_INT(apply_i("year", ice_date(11016)), 30); /* 2000-02-29 */
    CHECK_INT(apply_i("month", ice_date(11016)), 361);
    CHECK_INT(apply_i("day", ice_timestamptz(INT64_C(-62135596800000000))), -719162); /* 0001 */

    {
        int64_t y;
        int m, d;
        ice_civil_from_days(17486, &y, &m, &d);
        CHECK_INT(y, 2017);
        CHECK_INT(m, 11);
        CHECK_INT(d, 16);
        ice_civil_from_days(-719162, &y, &m, &d);
        CHECK_INT(y, 1);
        CHECK_INT(m, 1);
        CHECK_INT(d, 1);
        ice_civil_from_days(11016, &y, &m, &d);
        CHECK_INT(y, 2000);
        CHECK_INT(m, 2);
        CHECK_INT(d, 29);
        ice_civil_from_days(-25509, &y, &m, &d); /* 1900-02-28; 1900 is not a leap year */
        CHECK_INT(y, 1900);
        CHECK_INT(m, 2);
        CHECK_INT(d, 28);
        ice_civil_from_days(-25508, &y, &m, &d);
        CHECK_INT(m, 3);
        CHECK_INT(d, 1);
    }

    /* hour beyond int32 hours overflows; hour of a date is not allowed. */
    {
        struct ice_transform h = tf("hour");
        struct ice_value v = ice_timestamptz(INT64_MAX), out;
        CHECK_INT(ice_transform_apply(&h, &v, &out), -EOVERFLOW);
        v = ice_date(1);
        CHECK_INT(ice_transform_apply(&h, &v, &out), -EINVAL);
    }
}

static void test_parse_and_types(void)
{
    static const char *const good[] = {"identity", "bucket[16]", "truncate[4]",
                                       "year",     "month",      "day",
                                       "hour",     "void",       "bucket[2147483647]"};
    static const char *const bad[] = {
        "",          "bucket",       "bucket[]", "bucket[0]",          "bucket[16",
        "bucket16]", "truncate[-1]", "days",     "bucket[2147483648]", "bucket[1x]",
        "identity ", "[16]"};
    struct ice_transform t;
    char name[32];
    size_t len;

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        CHECK_INT(ice_transform_parse(good[i], strlen(good[i]), &t), 0);
        CHECK_INT(ice_transform_name(&t, name, sizeof name, &len), 0);
        CHECK_STR(name, good[i]);
        CHECK_INT(len, strlen(good[i]));
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (!CHECK(ice_transform_parse(bad[i], strlen(bad[i]), &t) == -EINVAL)) {
            fprintf(stderr, "    accepted \"%s\"\n", bad[i]);
        }
    }
    CHECK_INT(ice_transform_parse("Bucket[16]", 10, &t), 0);
    CHECK_INT(t.kind, ICE_T_BUCKET);
    CHECK_INT(t.param, 16);
    CHECK_INT(ice_transform_parse("truncate[4]", 11, &t), 0);
    CHECK_INT(t.kind, ICE_T_TRUNCATE);
    CHECK_INT(t.param, 4);
    t = tf("bucket[16]");
    CHECK_INT(ice_transform_name(&t, name, 5, &len), -ENOSPC);

    /* Result types. */
    {
        struct {
            const char *transform;
            enum ice_type_id src;
            int rc;
            enum ice_type_id result;
        } cases[] = {
            {"identity", ICE_STRING, 0, ICE_STRING},
            {"identity", ICE_BOOLEAN, 0, ICE_BOOLEAN},
            {"void", ICE_LONG, 0, ICE_LONG},
            {"bucket[16]", ICE_LONG, 0, ICE_INT},
            {"bucket[16]", ICE_STRING, 0, ICE_INT},
            {"bucket[16]", ICE_UUID, 0, ICE_INT},
            {"bucket[16]", ICE_TIMESTAMPTZ, 0, ICE_INT},
            {"bucket[16]", ICE_DOUBLE, -EINVAL, 0},
            {"bucket[16]", ICE_BOOLEAN, -EINVAL, 0},
            {"truncate[4]", ICE_STRING, 0, ICE_STRING},
            {"truncate[4]", ICE_LONG, 0, ICE_LONG},
            {"truncate[4]", ICE_DECIMAL, 0, ICE_DECIMAL},
            {"truncate[4]", ICE_BINARY, 0, ICE_BINARY},
            {"truncate[4]", ICE_DATE, -EINVAL, 0},
            {"truncate[4]", ICE_TIMESTAMPTZ, -EINVAL, 0},
            {"year", ICE_TIMESTAMPTZ, 0, ICE_INT},
            {"year", ICE_DATE, 0, ICE_INT},
            {"month", ICE_TIMESTAMP, 0, ICE_INT},
            {"day", ICE_TIMESTAMPTZ, 0, ICE_DATE},
            {"day", ICE_DATE, 0, ICE_DATE},
            {"day", ICE_LONG, -EINVAL, 0},
            {"hour", ICE_TIMESTAMPTZ, 0, ICE_INT},
            {"hour", ICE_DATE, -EINVAL, 0},
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct ice_type src = {.id = cases[i].src}, out;
            t = tf(cases[i].transform);
            CHECK_INT(ice_transform_result_type(&t, &src, &out), cases[i].rc);
            if (cases[i].rc == 0) {
                CHECK_INT(out.id, cases[i].result);
            }
        }
        {
            struct ice_type src = {.id = ICE_DECIMAL, .precision = 9, .scale = 2}, out;
            t = tf("truncate[10]");
            CHECK_INT(ice_transform_result_type(&t, &src, &out), 0);
            CHECK_INT(out.precision, 9);
            CHECK_INT(out.scale, 2);
        }
    }
}

static void check_ser(struct ice_value v, const uint8_t *want, size_t want_len)
{
    uint8_t buf[32];
    size_t len = 99;
    struct ice_type t = {.id = v.type, .scale = v.scale, .length = (int32_t)want_len};
    struct ice_value back;

    CHECK_INT(ice_serialize(&v, buf, sizeof buf, &len), 0);
    CHECK_INT(len, want_len);
    CHECK_MEM(buf, want, want_len);
    if (want_len > 0) {
        CHECK_INT(ice_serialize(&v, buf, want_len - 1, &len), -ENOSPC);
        CHECK_INT(len, 0);
    }
    CHECK_INT(ice_deserialize(&t, want, want_len, &back), 0);
    CHECK(!back.is_null);
    CHECK_INT(ice_serialize(&back, buf, sizeof buf, &len), 0);
    CHECK_INT(len, want_len);
    CHECK_MEM(buf, want, want_len);
}

static void test_serialize(void)
{
    struct ice_value v;

    v = ice_null(ICE_BOOLEAN);
    v.is_null = false;
    v.v.b = true;
    check_ser(v, (const uint8_t *)"\x01", 1);
    v.v.b = false;
    check_ser(v, (const uint8_t *)"\x00", 1);
    check_ser(ice_int(34), (const uint8_t *)"\x22\x00\x00\x00", 4);
    check_ser(ice_int(-1), (const uint8_t *)"\xff\xff\xff\xff", 4);
    check_ser(ice_long(34), (const uint8_t *)"\x22\x00\x00\x00\x00\x00\x00\x00", 8);
    check_ser(ice_long(INT64_MIN), (const uint8_t *)"\x00\x00\x00\x00\x00\x00\x00\x80", 8);
    check_ser(ice_date(17486), (const uint8_t *)"\x4e\x44\x00\x00", 4);
    check_ser(ice_timestamptz(TS_2017_11_16_223108),
              (const uint8_t *)"\x00\xc3\x26\x2d\x21\x5e\x05\x00", 8);
    check_ser(typed(ICE_TIME, INT64_C(81068000000)),
              (const uint8_t *)"\x00\x83\x07\xe0\x12\x00\x00\x00", 8);
    v = ice_null(ICE_FLOAT);
    v.is_null = false;
    v.v.f = 1.0f;
    check_ser(v, (const uint8_t *)"\x00\x00\x80\x3f", 4);
    v = ice_null(ICE_DOUBLE);
    v.is_null = false;
    v.v.d = 1.0;
    check_ser(v, (const uint8_t *)"\x00\x00\x00\x00\x00\x00\xf0\x3f", 8);
    v.v.d = -2.5;
    check_ser(v, (const uint8_t *)"\x00\x00\x00\x00\x00\x00\x04\xc0", 8);
    check_ser(ice_string("iceberg", 7), (const uint8_t *)"iceberg", 7);
    check_ser(ice_string("", 0), (const uint8_t *)"", 0);
    check_ser(ice_binary((const uint8_t *)"\x00\x01\x02\x03", 4),
              (const uint8_t *)"\x00\x01\x02\x03", 4);
    v = ice_binary((const uint8_t *)"\xaa\xbb", 2);
    v.type = ICE_FIXED;
    check_ser(v, (const uint8_t *)"\xaa\xbb", 2);
    v = ice_null(ICE_UUID);
    v.is_null = false;
    memcpy(v.v.uuid, "\xF7\x9C\x3E\x09\x67\x7C\x4B\xBD\xA4\x79\x3F\x34\x9C\xB7\x85\xE7", 16);
    check_ser(v, v.v.uuid, 16);

    /* Decimals: minimal two's-complement big-endian unscaled bytes. */
    check_ser(ice_decimal(1420, 2), (const uint8_t *)"\x05\x8c", 2); /* 14.20 */
    check_ser(ice_decimal(0, 2), (const uint8_t *)"\x00", 1);
    check_ser(ice_decimal(127, 0), (const uint8_t *)"\x7f", 1);
    check_ser(ice_decimal(128, 0), (const uint8_t *)"\x00\x80", 2);
    check_ser(ice_decimal(-1, 0), (const uint8_t *)"\xff", 1);
    check_ser(ice_decimal(-128, 0), (const uint8_t *)"\x80", 1);
    check_ser(ice_decimal(-129, 0), (const uint8_t *)"\xff\x7f", 2);
    check_ser(ice_decimal(INT64_MAX, 0), (const uint8_t *)"\x7f\xff\xff\xff\xff\xff\xff\xff", 8);
    check_ser(ice_decimal(INT64_MIN, 0), (const uint8_t *)"\x80\x00\x00\x00\x00\x00\x00\x00", 8);

    /* Malformed bounds are errors, not garbage. */
    {
        struct ice_type ti = {.id = ICE_INT}, tl = {.id = ICE_LONG}, td = {.id = ICE_DECIMAL};
        struct ice_type tf16 = {.id = ICE_FIXED, .length = 16};
        uint8_t big[17] = {0};
        size_t len;
        CHECK_INT(ice_deserialize(&ti, (const uint8_t *)"\x01\x02\x03", 3, &v), -EBADMSG);
        CHECK(v.is_null);
        CHECK_INT(ice_deserialize(&tl, (const uint8_t *)"\x01\x02\x03\x04", 4, &v), -EBADMSG);
        CHECK_INT(ice_deserialize(&td, big, 0, &v), -EBADMSG);
        CHECK_INT(ice_deserialize(&td, big, 17, &v), -EOVERFLOW);
        CHECK_INT(ice_deserialize(&tf16, big, 15, &v), -EBADMSG);
        v = ice_null(ICE_INT);
        CHECK_INT(ice_serialize(&v, big, sizeof big, &len), -EINVAL);
    }
}

static void check_human(const char *transform, struct ice_value v, const char *want)
{
    struct ice_transform t = tf(transform);
    char buf[128];
    size_t len;

    CHECK_INT(ice_human_string(&t, &v, buf, sizeof buf, &len), 0);
    CHECK_STR(buf, want);
    CHECK_INT(len, strlen(want));
}

static struct ice_value dbl(double d)
{
    struct ice_value v = ice_null(ICE_DOUBLE);
    v.is_null = false;
    v.v.d = d;
    return v;
}

static struct ice_value flt(float f)
{
    struct ice_value v = ice_null(ICE_FLOAT);
    v.is_null = false;
    v.v.f = f;
    return v;
}

static void test_human_strings(void)
{
    struct ice_value v;

    check_human("day", ice_date(17486), "2017-11-16");
    check_human("day", ice_date(-1), "1969-12-31");
    check_human("month", ice_int(574), "2017-11");
    check_human("month", ice_int(-1), "1969-12");
    check_human("month", ice_int(-13), "1968-12");
    check_human("year", ice_int(47), "2017");
    check_human("year", ice_int(-1970), "0000");
    check_human("hour", ice_int(419686), "2017-11-16-22");
    check_human("hour", ice_int(-1), "1969-12-31-23");
    check_human("bucket[16]", ice_int(3), "3");
    check_human("identity", ice_null(ICE_STRING), "null");
    check_human("void", ice_long(5), "null");
    check_human("identity", ice_long(-42), "-42");
    check_human("identity", ice_int(7), "7");
    check_human("truncate[3]", ice_string("ice", 3), "ice");
    check_human("identity", ice_date(17486), "2017-11-16");
    check_human("identity", ice_timestamptz(TS_2017_11_16_223108), "2017-11-16T22:31:08Z");
    check_human("identity", ice_timestamptz(TS_2017_11_16_223108 + 1),
                "2017-11-16T22:31:08.000001Z");
    check_human("identity", ice_timestamptz(TS_2017_11_16_223108 + 123000),
                "2017-11-16T22:31:08.123Z");
    check_human("identity", ice_timestamptz(TS_2017_11_16_223108 - 8000000), "2017-11-16T22:31Z");
    check_human("identity", ice_timestamptz(-1), "1969-12-31T23:59:59.999999Z");
    check_human("identity", typed(ICE_TIMESTAMP, TS_2017_11_16_223108), "2017-11-16T22:31:08");
    check_human("identity", typed(ICE_TIME, INT64_C(81068000000)), "22:31:08");
    check_human("identity", typed(ICE_TIME, 0), "00:00");
    check_human("identity", typed(ICE_TIME, 1500), "00:00:00.001500");
    v = ice_null(ICE_BOOLEAN);
    v.is_null = false;
    v.v.b = true;
    check_human("identity", v, "true");
    check_human("identity", ice_binary((const uint8_t *)"\x00\x01\x02\x03", 4), "AAECAw==");
    check_human("identity", ice_binary((const uint8_t *)"\xfb\xff", 2), "+/8=");
    check_human("identity", ice_binary((const uint8_t *)"abc", 3), "YWJj");
    check_human("identity", ice_binary(NULL, 0), "");
    v = ice_null(ICE_UUID);
    v.is_null = false;
    memcpy(v.v.uuid, "\xF7\x9C\x3E\x09\x67\x7C\x4B\xBD\xA4\x79\x3F\x34\x9C\xB7\x85\xE7", 16);
    check_human("identity", v, "f79c3e09-677c-4bbd-a479-3f349cb785e7");

    /* BigDecimal.toString(). */
    check_human("identity", ice_decimal(1420, 2), "14.20");
    check_human("identity", ice_decimal(-1420, 2), "-14.20");
    check_human("identity", ice_decimal(5, 2), "0.05");
    check_human("identity", ice_decimal(0, 2), "0.00");
    check_human("identity", ice_decimal(123, 0), "123");
    check_human("identity", ice_decimal(1, 7), "1E-7");
    check_human("identity", ice_decimal(12, 8), "1.2E-7");
    check_human("identity", ice_decimal(1, 6), "0.000001");
    check_human("identity", ice_decimal(2, -20), "2E+20");
    check_human("identity", ice_decimal(INT64_MIN, 0), "-9223372036854775808");

    /* Double.toString() / Float.toString(). */
    check_human("identity", dbl(1.0), "1.0");
    check_human("identity", dbl(-2.5), "-2.5");
    check_human("identity", dbl(0.0), "0.0");
    check_human("identity", dbl(-0.0), "-0.0");
    check_human("identity", dbl(0.1), "0.1");
    check_human("identity", dbl(123.456), "123.456");
    check_human("identity", dbl(1e7), "1.0E7");
    check_human("identity", dbl(9999999.0), "9999999.0");
    check_human("identity", dbl(0.001), "0.001");
    check_human("identity", dbl(0.0001), "1.0E-4");
    check_human("identity", dbl(1.5e300), "1.5E300");
    check_human("identity", dbl(4.9e-324), "4.9E-324");
    check_human("identity", dbl(1.7976931348623157e308), "1.7976931348623157E308");
    check_human("identity", dbl(NAN), "NaN");
    check_human("identity", dbl(-INFINITY), "-Infinity");
    check_human("identity", flt(0.1f), "0.1");
    check_human("identity", flt(1.0e10f), "1.0E10");
    check_human("identity", flt(3.4028235e38f), "3.4028235E38");
    check_human("identity", flt(1.4e-45f), "1.4E-45");

    {
        struct ice_transform t = tf("identity");
        struct ice_value s = ice_string("iceberg", 7);
        char small[7];
        size_t len;
        CHECK_INT(ice_human_string(&t, &s, small, sizeof small, &len), -ENOSPC);
        CHECK_INT(len, 0);
    }
}

static void test_paths(void)
{
    struct ice_partition_field fields[] = {
        {"signup_ts_day", {ICE_T_DAY, 0}},
        {"id_bucket", {ICE_T_BUCKET, 16}},
    };
    struct ice_value values[2];
    char buf[256];
    size_t len;

    /* The users table: day(signup_ts), bucket(16, id). */
    {
        struct ice_value ts = ice_timestamptz(TS_2017_11_16_223108), id = ice_long(34);
        CHECK_INT(ice_transform_apply(&fields[0].transform, &ts, &values[0]), 0);
        CHECK_INT(ice_transform_apply(&fields[1].transform, &id, &values[1]), 0);
    }
    CHECK_INT(ice_partition_path(fields, values, 2, buf, sizeof buf, &len), 0);
    CHECK_STR(buf, "signup_ts_day=2017-11-16/id_bucket=3");
    CHECK_INT(len, strlen("signup_ts_day=2017-11-16/id_bucket=3"));
    CHECK_INT(ice_partition_path(fields, values, 2, buf, len, &len), -ENOSPC);
    CHECK_INT(len, 0);
    /* Exactly enough room: the path and its NUL. */
    {
        static const char want[] = "signup_ts_day=2017-11-16/id_bucket=3";
        CHECK_INT(ice_partition_path(fields, values, 2, buf, sizeof want, &len), 0);
        CHECK_STR(buf, want);
    }

    values[0] = ice_date(20415);
    values[1] = ice_null(ICE_INT);
    CHECK_INT(ice_partition_path(fields, values, 2, buf, sizeof buf, &len), 0);
    CHECK_STR(buf, "signup_ts_day=2025-11-23/id_bucket=null");

    CHECK_INT(ice_partition_path(fields, values, 0, buf, sizeof buf, &len), 0);
    CHECK_STR(buf, "");

    /* URLEncoder: space → '+', reserved characters and non-ASCII percent-encoded. */
    {
        struct ice_partition_field f[] = {
            {"data", {ICE_T_IDENTITY, 0}},
            {"my col", {ICE_T_IDENTITY, 0}},
            {"ts", {ICE_T_IDENTITY, 0}},
            {"b", {ICE_T_IDENTITY, 0}},
        };
        struct ice_value v[] = {
            ice_string("a b/c=d&e%f?g+h.i-j*k_l~m", 25),
            ice_string("caf\xC3\xA9 \xE2\x82\xAC", 9),
            ice_timestamptz(TS_2017_11_16_223108),
            ice_binary((const uint8_t *)"\xfb\xff", 2),
        };
        CHECK_INT(ice_partition_path(f, v, 4, buf, sizeof buf, &len), 0);
        CHECK_STR(buf, "data=a+b%2Fc%3Dd%26e%25f%3Fg%2Bh.i-j*k_l%7Em"
                       "/my+col=caf%C3%A9+%E2%82%AC"
                       "/ts=2017-11-16T22%3A31%3A08Z"
                       "/b=%2B%2F8%3D");
    }

    /* Bytes that are not UTF-8 become U+FFFD, one per maximal invalid subsequence. */
    CHECK_INT(ice_url_encode("a\xff"
                             "b\xE2\x82"
                             "c\xED\xA0\x80",
                             9, buf, sizeof buf, &len),
              0);
    CHECK_STR(buf, "a%EF%BF%BDb%EF%BF%BDc%EF%BF%BD%EF%BF%BD%EF%BF%BD");
    CHECK_INT(ice_url_encode("\xF0\x9F\x98\x80", 4, buf, sizeof buf, &len), 0);
    CHECK_STR(buf, "%F0%9F%98%80");
    CHECK_INT(ice_url_encode("abc", 3, buf, 3, &len), -ENOSPC);
    CHECK_INT(ice_url_encode("abc", 3, buf, 4, &len), 0);
    CHECK_STR(buf, "abc");

    /* Month, year and hour partitions. */
    {
        struct ice_partition_field f[] = {
            {"ts_year", {ICE_T_YEAR, 0}},
            {"ts_month", {ICE_T_MONTH, 0}},
            {"ts_hour", {ICE_T_HOUR, 0}},
            {"name_trunc", {ICE_T_TRUNCATE, 2}},
        };
        struct ice_value v[4];
        struct ice_value ts = ice_timestamptz(-1), name = ice_string("x y", 3);
        for (int i = 0; i < 3; i++) {
            CHECK_INT(ice_transform_apply(&f[i].transform, &ts, &v[i]), 0);
        }
        CHECK_INT(ice_transform_apply(&f[3].transform, &name, &v[3]), 0);
        CHECK_INT(ice_partition_path(f, v, 4, buf, sizeof buf, &len), 0);
        CHECK_STR(buf, "ts_year=1969/ts_month=1969-12/ts_hour=1969-12-31-23/name_trunc=x+");
    }
}

int main(void)
{
    test_murmur3_vectors();
    test_bucket();
    test_truncate();
    test_time_transforms();
    test_parse_and_types();
    test_serialize();
    test_human_strings();
    test_paths();
    return check_done();
}
