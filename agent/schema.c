/* schema.c — parsing of the config's `table.schema` and `table.partition` values.
 *
 * The grammar is deliberately small: comma-separated items, words separated by blanks,
 * transforms written as calls. Every error names the item it is about, because the caller
 * prefixes it with the config file and line.
 */
#include "schema.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"

static const char *const type_names[] = {
    [FLOE_TYPE_BOOLEAN] = "boolean",   [FLOE_TYPE_INT] = "int",
    [FLOE_TYPE_LONG] = "long",         [FLOE_TYPE_FLOAT] = "float",
    [FLOE_TYPE_DOUBLE] = "double",     [FLOE_TYPE_DATE] = "date",
    [FLOE_TYPE_TIMESTAMP] = "timestamp", [FLOE_TYPE_TIMESTAMPTZ] = "timestamptz",
    [FLOE_TYPE_STRING] = "string",     [FLOE_TYPE_BINARY] = "binary",
};

static const char *const transform_names[] = {
    [FLOE_TRANSFORM_IDENTITY] = "identity", [FLOE_TRANSFORM_BUCKET] = "bucket",
    [FLOE_TRANSFORM_TRUNCATE] = "truncate", [FLOE_TRANSFORM_YEAR] = "year",
    [FLOE_TRANSFORM_MONTH] = "month",       [FLOE_TRANSFORM_DAY] = "day",
    [FLOE_TRANSFORM_HOUR] = "hour",         [FLOE_TRANSFORM_VOID] = "void",
};

/* Java's default partition field name suffixes (PartitionSpec.Builder). */
static const char *const transform_suffix[] = {
    [FLOE_TRANSFORM_IDENTITY] = "",       [FLOE_TRANSFORM_BUCKET] = "_bucket",
    [FLOE_TRANSFORM_TRUNCATE] = "_trunc", [FLOE_TRANSFORM_YEAR] = "_year",
    [FLOE_TRANSFORM_MONTH] = "_month",    [FLOE_TRANSFORM_DAY] = "_day",
    [FLOE_TRANSFORM_HOUR] = "_hour",      [FLOE_TRANSFORM_VOID] = "_null",
};

#define NTYPES (sizeof(type_names) / sizeof(type_names[0]))
#define NTRANSFORMS (sizeof(transform_names) / sizeof(transform_names[0]))

const char *floe_type_name(enum floe_type type)
{
    return ((size_t)type < NTYPES) ? type_names[type] : "?";
}

int floe_type_parse(const char *name, enum floe_type *type)
{
    for (size_t i = 0; i < NTYPES; i++) {
        if (strcmp(name, type_names[i]) == 0) {
            *type = (enum floe_type)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *floe_transform_name(enum floe_transform transform)
{
    return ((size_t)transform < NTRANSFORMS) ? transform_names[transform] : "?";
}

int floe_schema_find(const struct floe_schema *schema, const char *name)
{
    for (int i = 0; i < schema->ncolumns; i++) {
        if (strcmp(schema->columns[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/* A cursor over one comma-separated item. */
struct scan {
    const char *p;
    const char *end;
};

static void skip_blanks(struct scan *s)
{
    while (s->p < s->end && isspace((unsigned char)*s->p)) {
        s->p++;
    }
}

/* Copies the next identifier-like word ([A-Za-z0-9_]+) into w; returns its length (0 if none,
 * or -1 if longer than cap - 1). */
static int next_word(struct scan *s, char *w, size_t cap)
{
    skip_blanks(s);
    size_t n = 0;
    while (s->p < s->end && (isalnum((unsigned char)*s->p) || *s->p == '_')) {
        if (n + 1 >= cap) {
            return -1;
        }
        w[n++] = *s->p++;
    }
    w[n] = '\0';
    return (int)n;
}

/* Splits spec at top-level commas (outside parentheses); calls item() on each trimmed item. */
static int for_each_item(const char *spec, int (*item)(void *ctx, struct scan *s), void *ctx,
                         char *err, size_t errcap)
{
    const char *p = spec;
    for (;;) {
        const char *start = p;
        int depth = 0;
        while (*p && !(*p == ',' && depth == 0)) {
            depth += (*p == '(') - (*p == ')');
            p++;
        }
        struct scan s = {start, p};
        skip_blanks(&s);
        const char *e = p;
        while (e > s.p && isspace((unsigned char)e[-1])) {
            e--;
        }
        s.end = e;
        if (s.p == s.end) {
            if (*p == '\0' && start == spec) {
                return 0; /* empty spec */
            }
            return floe_errbuf_fail(err, errcap, -EINVAL, "empty item in list (stray comma?)");
        }
        int rc = item(ctx, &s);
        if (rc < 0) {
            return rc;
        }
        if (*p == '\0') {
            return 0;
        }
        p++;
    }
}

struct schema_ctx {
    struct floe_schema *out;
    char *err;
    size_t errcap;
};

static int schema_item(void *ctx, struct scan *s)
{
    struct schema_ctx *c = ctx;
    struct floe_schema *out = c->out;
    char name[FLOE_NAME_MAX], type[32], flag[32];
    int item_len = (int)(s->end - s->p);
    const char *item = s->p;

    if (out->ncolumns >= FLOE_COLUMNS_MAX) {
        return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "more than %d columns",
                                FLOE_COLUMNS_MAX);
    }
    int n = next_word(s, name, sizeof(name));
    if (n <= 0) {
        return floe_errbuf_fail(c->err, c->errcap, -EINVAL,
                                "'%.*s': a column starts with its name (letters, digits, _)",
                                item_len, item);
    }
    if (isdigit((unsigned char)name[0])) {
        return floe_errbuf_fail(c->err, c->errcap, -EINVAL,
                                "'%s': a column name cannot start with a digit", name);
    }
    if (next_word(s, type, sizeof(type)) <= 0) {
        return floe_errbuf_fail(c->err, c->errcap, -EINVAL,
                                "'%.*s': expected `NAME TYPE [required]`", item_len, item);
    }
    struct floe_column *col = &out->columns[out->ncolumns];
    if (floe_type_parse(type, &col->type) < 0) {
        return floe_errbuf_fail(
            c->err, c->errcap, -EINVAL,
            "column '%s': unknown type '%s' (boolean, int, long, float, double, date, "
            "timestamp, timestamptz, string, binary)",
            name, type);
    }
    col->required = false;
    col->field_id = 0;
    n = next_word(s, flag, sizeof(flag));
    if (n > 0) {
        if (strcmp(flag, "required") == 0) {
            col->required = true;
        } else if (strcmp(flag, "optional") != 0) {
            return floe_errbuf_fail(c->err, c->errcap, -EINVAL,
                                    "column '%s': '%s' is neither `required` nor `optional`", name,
                                    flag);
        }
    }
    skip_blanks(s);
    if (s->p != s->end) {
        return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "column '%s': unexpected '%.*s'", name,
                                (int)(s->end - s->p), s->p);
    }
    if (floe_schema_find(out, name) >= 0) {
        return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "column '%s' appears twice", name);
    }
    memcpy(col->name, name, strlen(name) + 1);
    out->ncolumns++;
    return 0;
}

int floe_schema_parse(const char *spec, struct floe_schema *out, char *err, size_t errcap)
{
    struct schema_ctx c = {out, err, errcap};
    out->ncolumns = 0;
    if (errcap) {
        err[0] = '\0';
    }
    int rc = for_each_item(spec, schema_item, &c, err, errcap);
    if (rc == 0 && out->ncolumns == 0) {
        return floe_errbuf_fail(err, errcap, -EINVAL, "the schema has no columns");
    }
    return rc;
}

/* Which source types each transform accepts (spec "Partition Transforms"). */
static bool transform_applies(enum floe_transform t, enum floe_type type)
{
    switch (t) {
    case FLOE_TRANSFORM_IDENTITY:
    case FLOE_TRANSFORM_VOID:
        return true;
    case FLOE_TRANSFORM_BUCKET:
        return type != FLOE_TYPE_BOOLEAN && type != FLOE_TYPE_FLOAT && type != FLOE_TYPE_DOUBLE;
    case FLOE_TRANSFORM_TRUNCATE:
        return type == FLOE_TYPE_INT || type == FLOE_TYPE_LONG || type == FLOE_TYPE_STRING ||
               type == FLOE_TYPE_BINARY;
    case FLOE_TRANSFORM_YEAR:
    case FLOE_TRANSFORM_MONTH:
    case FLOE_TRANSFORM_DAY:
        return type == FLOE_TYPE_DATE || type == FLOE_TYPE_TIMESTAMP ||
               type == FLOE_TYPE_TIMESTAMPTZ;
    case FLOE_TRANSFORM_HOUR:
        return type == FLOE_TYPE_TIMESTAMP || type == FLOE_TYPE_TIMESTAMPTZ;
    }
    return false;
}

struct part_ctx {
    const struct floe_schema *schema;
    struct floe_partition *out;
    char *err;
    size_t errcap;
};

static int expect_char(struct scan *s, char ch)
{
    skip_blanks(s);
    if (s->p < s->end && *s->p == ch) {
        s->p++;
        return 0;
    }
    return -1;
}

static int partition_item(void *ctx, struct scan *s)
{
    struct part_ctx *c = ctx;
    struct floe_partition *out = c->out;
    char word[FLOE_NAME_MAX], column[FLOE_NAME_MAX];
    int item_len = (int)(s->end - s->p);
    const char *item = s->p;

    if (out->nfields >= FLOE_PARTITION_FIELDS_MAX) {
        return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "more than %d partition fields",
                                FLOE_PARTITION_FIELDS_MAX);
    }
    struct floe_partition_field *f = &out->fields[out->nfields];
    f->param = 0;
    if (next_word(s, word, sizeof(word)) <= 0) {
        return floe_errbuf_fail(c->err, c->errcap, -EINVAL,
                                "'%.*s': expected a column or a transform", item_len, item);
    }
    skip_blanks(s);
    if (s->p == s->end) {
        f->transform = FLOE_TRANSFORM_IDENTITY;
        memcpy(column, word, strlen(word) + 1);
    } else {
        size_t t;
        for (t = 0; t < NTRANSFORMS; t++) {
            if (strcmp(word, transform_names[t]) == 0) {
                break;
            }
        }
        if (t == NTRANSFORMS) {
            return floe_errbuf_fail(
                c->err, c->errcap, -EINVAL,
                "'%s' is not a transform (identity, bucket, truncate, year, month, day, "
                "hour, void)",
                word);
        }
        f->transform = (enum floe_transform)t;
        if (expect_char(s, '(') < 0) {
            return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "'%.*s': expected '(' after %s",
                                    item_len, item, word);
        }
        if (f->transform == FLOE_TRANSFORM_BUCKET || f->transform == FLOE_TRANSFORM_TRUNCATE) {
            char num[16];
            char *endp;
            if (next_word(s, num, sizeof(num)) <= 0) {
                return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "'%.*s': %s takes (N, column)",
                                        item_len, item, word);
            }
            long v = strtol(num, &endp, 10);
            if (*endp != '\0') {
                return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "'%.*s': %s takes (N, column)",
                                        item_len, item, word);
            }
            if (v < 1 || v > 1000000) {
                return floe_errbuf_fail(c->err, c->errcap, -EINVAL,
                                        "'%.*s': %s needs a whole number from 1 to 1000000",
                                        item_len, item, word);
            }
            f->param = (int)v;
            if (expect_char(s, ',') < 0) {
                return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "'%.*s': %s takes (N, column)",
                                        item_len, item, word);
            }
        }
        if (next_word(s, column, sizeof(column)) <= 0 || expect_char(s, ')') < 0) {
            return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "'%.*s': expected %s(%scolumn)",
                                    item_len, item, word, f->param ? "N, " : "");
        }
        skip_blanks(s);
        if (s->p != s->end) {
            return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "'%.*s': unexpected text after ')'",
                                    item_len, item);
        }
    }
    f->column = floe_schema_find(c->schema, column);
    if (f->column < 0) {
        return floe_errbuf_fail(c->err, c->errcap, -EINVAL, "'%.*s': no column '%s' in the schema",
                                item_len, item, column);
    }
    enum floe_type type = c->schema->columns[f->column].type;
    if (!transform_applies(f->transform, type)) {
        return floe_errbuf_fail(c->err, c->errcap, -EINVAL,
                                "'%.*s': %s does not apply to a %s column", item_len, item,
                                transform_names[f->transform], floe_type_name(type));
    }
    snprintf(f->name, sizeof(f->name), "%s%s", column, transform_suffix[f->transform]);
    for (int i = 0; i < out->nfields; i++) {
        if (strcmp(out->fields[i].name, f->name) == 0) {
            return floe_errbuf_fail(c->err, c->errcap, -EINVAL,
                                    "'%.*s': partition field '%s' appears twice", item_len, item,
                                    f->name);
        }
    }
    out->nfields++;
    return 0;
}

int floe_partition_parse(const char *spec, const struct floe_schema *schema,
                         struct floe_partition *out, char *err, size_t errcap)
{
    struct part_ctx c = {schema, out, err, errcap};
    out->nfields = 0;
    if (errcap) {
        err[0] = '\0';
    }
    return for_each_item(spec, partition_item, &c, err, errcap);
}

int floe_schema_json(const struct floe_schema *schema, int schema_id, char *buf, size_t cap)
{
    /* Names are letters, digits and '_' (floe_schema_parse guarantees it): no escaping. */
    size_t at = 0;
    int n = snprintf(buf, cap, "{\"type\":\"struct\",\"schema-id\":%d,\"fields\":[", schema_id);
    if (n < 0 || (size_t)n >= cap) {
        return -ENOSPC;
    }
    at = (size_t)n;
    for (int i = 0; i < schema->ncolumns; i++) {
        const struct floe_column *c = &schema->columns[i];
        n = snprintf(buf + at, cap - at, "%s{\"id\":%d,\"name\":\"%s\",\"required\":%s,\"type\":\"%s\"}",
                     i ? "," : "", c->field_id, c->name, c->required ? "true" : "false",
                     floe_type_name(c->type));
        if (n < 0 || (size_t)n >= cap - at) {
            return -ENOSPC;
        }
        at += (size_t)n;
    }
    n = snprintf(buf + at, cap - at, "]}");
    if (n < 0 || (size_t)n >= cap - at) {
        return -ENOSPC;
    }
    return (int)(at + (size_t)n);
}
