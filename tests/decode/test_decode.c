/* test_decode.c — JSON records into typed cells: every type and its coercions, timestamps
 * and dates (checked against values computed outside floe), escapes and UTF-8, and every kind
 * of rejection with its reason. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "decode.h"

static struct floe_schema schema;
static struct floe_decoder dec;
static struct floe_row row;
static uint8_t scratch[1 << 16];

enum { C_ID, C_NAME, C_TS, C_AGE, C_SCORE, C_OK, C_DAY, C_BLOB, C_LOCAL, C_F };

static int decode(const char *json)
{
    return floe_decode(&dec, (const uint8_t *)json, strlen(json), &row);
}

/* Expects json to be rejected with a reason containing fragment. */
static void rejects(const char *json, const char *fragment)
{
    int rc = decode(json);
    CHECK(rc < 0);
    if (!strstr(row.reason, fragment)) {
        fprintf(stderr, "    %s\n    reason \"%s\" lacks \"%s\"\n", json, row.reason, fragment);
        CHECK(0);
    }
}

static void test_types(void)
{
    CHECK_INT(decode("{\"id\": 42, \"name\": \"Ada\", \"signup_ts\": \"2026-11-23T10:15:00.123456Z\","
                     " \"age\": 31, \"score\": 2.5, \"ok\": true, \"day\": \"2024-02-29\","
                     " \"blob\": \"AAECAw==\", \"local\": \"2026-11-23 10:15:00\", \"f\": -0.0}"),
              0);
    CHECK_INT(row.cells[C_ID].v.i, 42);
    CHECK_INT(row.cells[C_NAME].v.s.n, 3);
    CHECK_MEM(row.cells[C_NAME].v.s.p, "Ada", 3);
    CHECK_INT(row.cells[C_TS].v.i, 1795428900123456LL);
    CHECK_INT(row.cells[C_AGE].v.i, 31);
    CHECK(row.cells[C_SCORE].v.d == 2.5);
    CHECK_INT(row.cells[C_OK].v.b, 1);
    CHECK_INT(row.cells[C_DAY].v.i, 19782);
    CHECK_INT(row.cells[C_BLOB].v.s.n, 4);
    CHECK_MEM(row.cells[C_BLOB].v.s.p, "\x00\x01\x02\x03", 4);
    CHECK_INT(row.cells[C_LOCAL].v.i, 1795428900000000LL);
    CHECK(row.cells[C_F].v.d == 0.0 && signbit(row.cells[C_F].v.d));
    for (int i = 0; i < schema.ncolumns; i++) {
        CHECK(row.cells[i].present && !row.cells[i].null);
    }

    /* Absent and null optional columns are nulls; keys in any order; unknown keys skipped. */
    CHECK_INT(decode(" {\"extra\": {\"a\": [1, 2, {\"b\": null}], \"c\": \"}\"}, \"age\": null, "
                     "\"id\": -9223372036854775808, \"more\": [true, false, 1e5, \"x\"]}  "),
              0);
    CHECK_INT(row.cells[C_ID].v.i, INT64_MIN);
    CHECK(row.cells[C_AGE].present && row.cells[C_AGE].null);
    CHECK(!row.cells[C_NAME].present && row.cells[C_NAME].null);
    CHECK_INT(decode("{\"id\":9223372036854775807}"), 0);
    CHECK_INT(row.cells[C_ID].v.i, INT64_MAX);
    CHECK_INT(decode("{\"id\":1,\"age\":-2147483648,\"day\":-25567,\"signup_ts\":-1}"), 0);
    CHECK_INT(row.cells[C_AGE].v.i, INT32_MIN);
    CHECK_INT(row.cells[C_DAY].v.i, -25567);
    CHECK_INT(row.cells[C_TS].v.i, -1);
    /* Integers of up to 18 digits convert while scanned, longer ones take the checked path. */
    CHECK_INT(decode("{\"id\":999999999999999999}"), 0);
    CHECK_INT(row.cells[C_ID].v.i, 999999999999999999LL);
    CHECK_INT(decode("{\"id\":-1000000000000000000}"), 0);
    CHECK_INT(row.cells[C_ID].v.i, -1000000000000000000LL);
    CHECK_INT(decode("{\"id\":-0,\"age\":0}"), 0);
    CHECK_INT(row.cells[C_ID].v.i, 0);
    CHECK_INT(row.cells[C_AGE].v.i, 0);
    /* Keys are matched whole: a longer key, or one that differs only near its end, is another
     * key (the expected column's name is compared a word at a time). */
    CHECK_INT(decode("{\"id\":7,\"signup_tx\":1,\"signup_ts\":-5,\"ids\":3}"), 0);
    CHECK_INT(row.cells[C_ID].v.i, 7);
    CHECK_INT(row.cells[C_TS].v.i, -5);

    /* Floats: JSON numbers and the named non-finite values. */
    CHECK_INT(decode("{\"id\":1,\"score\":\"NaN\",\"f\":\"-Infinity\"}"), 0);
    CHECK(isnan(row.cells[C_SCORE].v.d));
    CHECK(isinf(row.cells[C_F].v.d) && row.cells[C_F].v.d < 0);
    CHECK_INT(decode("{\"id\":1,\"score\":1.7976931348623157e308,\"f\":3e38}"), 0);
    CHECK(row.cells[C_SCORE].v.d == 1.7976931348623157e308);
}

static void test_timestamps(void)
{
    int64_t us = 0;
    int32_t days = 0;
    const char *ts[] = {"2026-11-23T10:15:00.123456+02:00", "2026-11-23T10:15:00-05:30",
                        "1969-12-31T23:59:59.999999Z", "2017-11-16T14:31:08-08:00",
                        "2026-11-23T10:15:00.123456789Z", "2026-11-23t10:15:00.1234567-0000"};
    const int64_t want[] = {1795421700123456LL, 1795448700000000LL, -1,
                            1510871468000000LL, 1795428900123456LL, 1795428900123456LL};
    for (size_t i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
        CHECK_INT(floe_parse_timestamp(ts[i], strlen(ts[i]), 1, &us), 0);
        CHECK_INT(us, want[i]);
    }
    const char *bad[] = {"2026-11-23T10:15:00", "2026-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
                         "2026-11-23T24:00:00Z", "2026-11-23T10:60:00Z", "2026-11-23T10:15:00.Z",
                         "2026-11-23T10:15:00.1234567890Z", "2026-11-23T10:15:00+2:00",
                         "2026-11-23T10:15:00+02:00x", "2026-11-23X10:15:00Z", "26-11-23T10:15Z"};
    us = 77;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (!CHECK(floe_parse_timestamp(bad[i], strlen(bad[i]), 1, &us) < 0)) {
            fprintf(stderr, "    accepted %s\n", bad[i]);
        }
    }
    CHECK_INT(us, 77); /* unchanged */
    CHECK(floe_parse_timestamp("2026-11-23T10:15:00Z", 20, 0, &us) < 0); /* no offset allowed */
    CHECK_INT(floe_parse_date("2017-11-16", 10, &days), 0);
    CHECK_INT(days, 17486);
    CHECK_INT(floe_parse_date("9999-12-31", 10, &days), 0);
    CHECK_INT(days, 2932896);
    CHECK(floe_parse_date("2017-11-31", 10, &days) < 0);
    CHECK(floe_parse_date("2017-11-1", 9, &days) < 0);
}

static void test_strings(void)
{
    CHECK_INT(decode("{\"id\":1,\"name\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\"}"), 0);
    CHECK_INT(row.cells[C_NAME].v.s.n, 15);
    CHECK_MEM(row.cells[C_NAME].v.s.p, "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x80", 15);
    CHECK_INT(decode("{\"id\":1,\"name\":\"\"}"), 0);
    CHECK_INT(row.cells[C_NAME].v.s.n, 0);
    CHECK_INT(decode("{\"id\":1,\"name\":\"\xe6\x97\xa5\xe6\x9c\xac\"}"), 0);
    CHECK_INT(row.cells[C_NAME].v.s.n, 6);
    /* An escaped key still names its column. */
    CHECK_INT(decode("{\"\\u0069d\":5}"), 0);
    CHECK_INT(row.cells[C_ID].v.i, 5);
}

/* Escapes inside values that are parsed after decoding (dates, timestamps, NaN), Java's
 * Float.MAX_VALUE, and base64 with an escaped '/' in a scratch no longer than the record. */
static void test_escaped_values(void)
{
    CHECK_INT(decode("{\"id\":1,\"day\":\"2020-01-0\\u0031\",\"signup_ts\":"
                     "\"2020-01-01T00:00:00\\u005a\",\"score\":\"N\\u0061N\"}"),
              0);
    CHECK_INT(row.cells[C_DAY].v.i, 18262);
    CHECK_INT(row.cells[C_TS].v.i, 1577836800000000LL);
    CHECK(isnan(row.cells[C_SCORE].v.d));
    CHECK_INT(decode("{\"id\":1,\"f\":3.4028235e38}"), 0);
    CHECK(row.cells[C_F].v.d == 3.4028235e38);
    rejects("{\"id\":1,\"f\":3.5e38}", "out of range for float");

    static const char rec[] = "{\"id\":1,\"blob\":\"QUJD\\/w==\"}"; /* "ABC\xff" */
    uint8_t small[sizeof(rec) - 1];
    struct floe_row r2;
    r2.scratch = small;
    r2.scratch_cap = sizeof(small); /* exactly the record's length */
    CHECK_INT(floe_decode(&dec, (const uint8_t *)rec, sizeof(rec) - 1, &r2), 0);
    CHECK_INT(r2.cells[C_BLOB].v.s.n, 4);
    CHECK_MEM(r2.cells[C_BLOB].v.s.p, "ABC\xff", 4);
    rejects("{\"id\":1,\"blob\":\"QUJD===\"}", "not valid base64");
}

static void test_rejections(void)
{
    rejects("{\"name\":\"x\"}", "column 'id': missing (required)");
    rejects("{\"id\":null}", "column 'id': null in a required column");
    rejects("{\"id\":1,\"id\":2}", "column 'id' appears twice");
    rejects("{\"id\":\"42\"}", "column 'id': expected a long, got a string");
    rejects("{\"id\":4.5}", "column 'id': 4.5 is not a whole number");
    rejects("{\"id\":1e3}", "is not a whole number");
    rejects("{\"id\":12.0}", "column 'id': 12.0 is not a whole number");
    rejects("{\"id\":5E2}", "is not a whole number");
    rejects("{\"id\":012}", "expected ',' or '}'");
    rejects("{\"id\":-}", "bad number");
    rejects("{\"id\":1,\"age\":-2147483649}", "column 'age': -2147483649 is out of range for int");
    rejects("{\"id\":9223372036854775808}", "out of range for long");
    rejects("{\"id\":1,\"age\":2147483648}", "column 'age': 2147483648 is out of range for int");
    rejects("{\"id\":1,\"age\":true}", "column 'age': expected an int, got a boolean");
    rejects("{\"id\":1,\"name\":5}", "column 'name': expected a string, got a number");
    rejects("{\"id\":1,\"name\":[\"a\"]}", "expected a string, got an array");
    rejects("{\"id\":1,\"ok\":\"true\"}", "column 'ok': expected a boolean, got a string");
    rejects("{\"id\":1,\"name\":\"\xff\xfe\"}", "column 'name': invalid UTF-8");
    rejects("{\"id\":1,\"name\":\"\xc0\xaf\"}", "invalid UTF-8"); /* overlong */
    rejects("{\"id\":1,\"name\":\"\\ud83d\"}", "unpaired UTF-16 surrogate");
    rejects("{\"id\":1,\"name\":\"\\x41\"}", "unknown escape");
    rejects("{\"id\":1,\"name\":\"\\u12\"}", "bad \\u escape");
    rejects("{\"id\":1,\"name\":\"a\tb\"}", "control character");
    rejects("{\"id\":1,\"signup_ts\":\"2026-11-23T10:15:00\"}",
            "column 'signup_ts': \"2026-11-23T10:15:00\" is not a timestamptz");
    rejects("{\"id\":1,\"local\":\"2026-11-23T10:15:00Z\"}", "without an offset");
    rejects("{\"id\":1,\"day\":\"2023-02-29\"}", "column 'day'");
    rejects("{\"id\":1,\"day\":3000000000}", "out of range for date");
    rejects("{\"id\":1,\"score\":\"1.5\"}", "expected a number, got a string");
    rejects("{\"id\":1,\"f\":1e39}", "out of range for float");
    rejects("{\"id\":1,\"score\":1e999}", "out of range for double");
    rejects("{\"id\":1,\"blob\":\"A===\"}", "not valid base64");
    rejects("{\"id\":1,\"blob\":\"AA*A\"}", "not valid base64");
    rejects("[1,2]", "not a JSON object (starts with an array)");
    rejects("", "not a JSON object (starts with nothing)");
    rejects("   ", "not a JSON object");
    rejects("not json", "not a JSON object (starts with something that is not JSON)");
    rejects("null", "not a JSON object (starts with null)");
    rejects("{\"id\":1", "expected ',' or '}'");
    rejects("{\"id\":1,}", "expected a key");
    rejects("{\"id\" 1}", "expected ':'");
    rejects("{\"id\":1} x", "unexpected data after the object");
    rejects("{\"id\":1}{\"id\":2}", "unexpected data after the object");
    rejects("{\"id\":01}", "expected ',' or '}'");
    rejects("{\"id\":-}", "bad number");
    rejects("{\"id\":1,\"x\":tru}", "bad literal");
    rejects("{\"id\":1,\"x\":\"open}", "unterminated string");
    rejects("{\"id\":1,\"x\":[1 2]}", "expected ',' or ']'");
    rejects("{\"id\":1,\"x\":{\"a\" 1}}", "expected ':'");
    rejects("{\"id\":1,\"x\":@}", "bad number");
    /* Nesting past the limit in a skipped value. */
    char deep[300];
    size_t at = (size_t)snprintf(deep, sizeof(deep), "{\"id\":1,\"x\":");
    for (int i = 0; i < 70; i++) {
        deep[at++] = '[';
    }
    for (int i = 0; i < 70; i++) {
        deep[at++] = ']';
    }
    deep[at++] = '}';
    deep[at] = '\0';
    rejects(deep, "nested deeper than 64");
}

int main(void)
{
    char err[256];
    row.scratch = scratch;
    row.scratch_cap = sizeof(scratch);
    if (floe_schema_parse("id long required, name string, signup_ts timestamptz, age int, "
                          "score double, ok boolean, day date, blob binary, local timestamp, "
                          "f float",
                          &schema, err, sizeof(err)) < 0) {
        fprintf(stderr, "schema: %s\n", err);
        return 1;
    }
    CHECK_INT(floe_decoder_init(&dec, &schema), 0);
    test_types();
    test_timestamps();
    test_strings();
    test_escaped_values();
    test_rejections();
    return check_done();
}
