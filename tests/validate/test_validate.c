/* test_validate.c — [validate] rules on decoded rows: bounds (inclusive, NaN refused), lengths
 * in characters for strings and bytes for binary, not_null, patterns, and nulls passing every
 * rule but not_null. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "validate.h"

static struct floe_schema schema;
static struct floe_decoder dec;
static struct floe_row row;
static uint8_t scratch[4096];
static struct floe_rules rules;

static int verdict(const char *json, char *why, size_t cap)
{
    if (floe_decode(&dec, (const uint8_t *)json, strlen(json), &row) < 0) {
        snprintf(why, cap, "decode: %s", row.reason);
        return -100;
    }
    return floe_rules_check(&rules, &schema, &row, why, cap);
}

static void expect(const char *json, const char *fragment)
{
    char why[200] = "";
    int rc = verdict(json, why, sizeof(why));
    if (!fragment) {
        if (!CHECK(rc == 0)) {
            fprintf(stderr, "    %s: %s\n", json, why);
        }
        return;
    }
    if (!CHECK(rc == -22 && strstr(why, fragment))) {
        fprintf(stderr, "    %s: rc %d, \"%s\" lacks \"%s\"\n", json, rc, why, fragment);
    }
}

int main(void)
{
    char err[200];
    if (floe_schema_parse("id long required, age int, score double, name string, blob binary",
                          &schema, err, sizeof(err)) < 0) {
        return 1;
    }
    floe_decoder_init(&dec, &schema);
    row.scratch = scratch;
    row.scratch_cap = sizeof(scratch);
    CHECK_INT(floe_rules_add(&rules, &schema, "age", "min 0, max 150", err, sizeof(err)), 0);
    CHECK_INT(floe_rules_add(&rules, &schema, "score", "min -1.5", err, sizeof(err)), 0);
    CHECK_INT(floe_rules_add(&rules, &schema, "name",
                             "not_null, max_length 5, pattern ^[A-Z][^,]*(, [A-Z])?$", err,
                             sizeof(err)),
              0);
    CHECK_INT(floe_rules_add(&rules, &schema, "blob", "max_length 2", err, sizeof(err)), 0);
    CHECK(floe_rules_add(&rules, &schema, "age", "not_null", err, sizeof(err)) < 0);
    CHECK(strstr(err, "has rules already") != NULL);

    expect("{\"id\":1,\"age\":0,\"score\":-1.5,\"name\":\"Ada\",\"blob\":\"AAE=\"}", NULL);
    expect("{\"id\":1,\"age\":150,\"name\":\"Aëëëë\"}", NULL); /* 5 characters, 9 bytes */
    expect("{\"id\":1,\"age\":151,\"name\":\"Ada\"}", "column 'age': 151 is above the maximum");
    expect("{\"id\":1,\"age\":-1,\"name\":\"Ada\"}", "below the minimum 0");
    expect("{\"id\":1,\"score\":\"NaN\",\"name\":\"Ada\"}", "column 'score'");
    expect("{\"id\":1,\"name\":null}", "column 'name': null, but validate.name says not_null");
    expect("{\"id\":1}", "not_null");
    expect("{\"id\":1,\"name\":\"Adalbert\"}", "8 characters, over max_length 5");
    expect("{\"id\":1,\"name\":\"ada\"}", "does not match validate.name's pattern");
    expect("{\"id\":1,\"name\":\"A, b\"}", "does not match"); /* ", b" fails (, [A-Z])? */
    expect("{\"id\":1,\"name\":\"Ab, C\"}", NULL); /* the pattern's comma is the pattern's */
    expect("{\"id\":1,\"name\":\"A\\u0000b\"}", "does not match"); /* NUL: never a match */
    expect("{\"id\":1,\"name\":\"Ada\",\"blob\":\"AAEC\"}", "3 bytes, over max_length 2");
    expect("{\"id\":1,\"name\":\"Ada\",\"age\":null,\"score\":null}", NULL); /* nulls pass */
    floe_rules_free(&rules);
    CHECK_INT(rules.n, 0);
    return check_done();
}
