/* avro_schema.c — the writer schema of a container file, parsed into caller-owned nodes.
 *
 * A reader of Iceberg manifests knows which fields it wants but not how the writer laid them
 * out: engines differ in field order and in which optional fields they write. So the reader
 * walks the writer schema (the "avro.schema" JSON, Avro specification "Schema Declaration"),
 * picks fields by their Iceberg "field-id" (spec Appendix A), and skips the others with
 * avro_skip_value(). The JSON is hostile input: nesting, node count and every token are
 * bounded, and names are kept as views into it rather than copied.
 */
#include "avro.h"

#include <errno.h>
#include <string.h>

struct parser {
    const char *s;
    size_t len;
    size_t pos;
    struct avro_schema *schema;
};

/* ---- JSON tokens ---- */

static void skip_ws(struct parser *p)
{
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            break;
        }
        p->pos++;
    }
}

static int peek(struct parser *p)
{
    skip_ws(p);
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int expect(struct parser *p, char c)
{
    if (peek(p) != (unsigned char)c) {
        return -EBADMSG;
    }
    p->pos++;
    return 0;
}

static int is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A JSON string; (*v, *n) is the raw text between the quotes (escapes left as they are). */
static int parse_string(struct parser *p, const char **v, size_t *n)
{
    size_t start;

    if (expect(p, '"') < 0) {
        return -EBADMSG;
    }
    start = p->pos;
    while (p->pos < p->len) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') {
            *v = p->s + start;
            *n = p->pos - start;
            p->pos++;
            return 0;
        }
        if (c < 0x20) {
            return -EBADMSG;
        }
        if (c == '\\') {
            if (p->len - p->pos < 2) {
                return -EBADMSG;
            }
            c = (unsigned char)p->s[p->pos + 1];
            if (c == 'u') {
                if (p->len - p->pos < 6) {
                    return -EBADMSG;
                }
                for (int i = 2; i < 6; i++) {
                    if (!is_hex(p->s[p->pos + (size_t)i])) {
                        return -EBADMSG;
                    }
                }
                p->pos += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", c) || c == 0) {
                return -EBADMSG;
            }
            p->pos += 2;
            continue;
        }
        p->pos++;
    }
    return -EBADMSG;
}

/* A JSON number; integers within int64 are returned in *v, *is_int says whether it was one. */
static int parse_number(struct parser *p, int64_t *v, bool *is_int)
{
    bool neg = false;
    uint64_t mag = 0;
    bool overflow = false;
    size_t digits = 0;

    *v = 0;
    *is_int = true;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '-') {
        neg = true;
        p->pos++;
    }
    while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        unsigned d = (unsigned)(p->s[p->pos] - '0');
        if (mag > (UINT64_MAX - d) / 10) {
            overflow = true;
        } else {
            mag = mag * 10 + d;
        }
        digits++;
        p->pos++;
    }
    if (digits == 0) {
        return -EBADMSG;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        *is_int = false;
        p->pos++;
        digits = 0;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
            p->pos++;
            digits++;
        }
        if (digits == 0) {
            return -EBADMSG;
        }
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        *is_int = false;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) {
            p->pos++;
        }
        digits = 0;
        while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
            p->pos++;
            digits++;
        }
        if (digits == 0) {
            return -EBADMSG;
        }
    }
    if (*is_int) {
        if (overflow || mag > (uint64_t)INT64_MAX + (neg ? 1 : 0)) {
            *is_int = false;
        } else if (neg) {
            *v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        } else {
            *v = (int64_t)mag;
        }
    }
    return 0;
}

static int match_word(struct parser *p, const char *w)
{
    size_t n = strlen(w);

    if (p->len - p->pos < n || memcmp(p->s + p->pos, w, n) != 0) {
        return -EBADMSG;
    }
    p->pos += n;
    return 0;
}

static int skip_json(struct parser *p, int depth)
{
    const char *v;
    size_t n;
    int64_t num;
    bool is_int;
    int c = peek(p);

    if (depth > AVRO_MAX_DEPTH) {
        return -EBADMSG;
    }
    switch (c) {
    case '"':
        return parse_string(p, &v, &n);
    case '{':
    case '[': {
        char close = c == '{' ? '}' : ']';
        p->pos++;
        if (peek(p) == (unsigned char)close) {
            p->pos++;
            return 0;
        }
        for (;;) {
            if (c == '{') {
                if (parse_string(p, &v, &n) < 0 || expect(p, ':') < 0) {
                    return -EBADMSG;
                }
            }
            if (skip_json(p, depth + 1) < 0) {
                return -EBADMSG;
            }
            if (peek(p) == ',') {
                p->pos++;
                continue;
            }
            return expect(p, close);
        }
    }
    case 't':
        return match_word(p, "true");
    case 'f':
        return match_word(p, "false");
    case 'n':
        return match_word(p, "null");
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            return parse_number(p, &num, &is_int);
        }
        return -EBADMSG;
    }
}

static bool str_eq(const char *v, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(v, lit, n) == 0;
}

/* ---- nodes ---- */

static int new_node(struct parser *p, enum avro_type type, uint32_t *idx)
{
    struct avro_schema *s = p->schema;
    struct avro_node *nd;

    if (s->n >= s->cap) {
        return -ENOSPC;
    }
    *idx = s->n++;
    nd = &s->nodes[*idx];
    memset(nd, 0, sizeof *nd);
    nd->type = type;
    nd->field_id = AVRO_NO_ID;
    nd->element_id = AVRO_NO_ID;
    nd->key_id = AVRO_NO_ID;
    nd->value_id = AVRO_NO_ID;
    nd->child = AVRO_NO_NODE;
    nd->next = AVRO_NO_NODE;
    return 0;
}

static void append_child(struct avro_schema *s, uint32_t parent, uint32_t *last, uint32_t child)
{
    if (*last == AVRO_NO_NODE) {
        s->nodes[parent].child = child;
    } else {
        s->nodes[*last].next = child;
    }
    *last = child;
    s->nodes[parent].count++;
}

static const struct {
    const char *name;
    enum avro_type type;
} primitives[] = {
    {"null", AVRO_NULL},   {"boolean", AVRO_BOOLEAN}, {"int", AVRO_INT},
    {"long", AVRO_LONG},   {"float", AVRO_FLOAT},     {"double", AVRO_DOUBLE},
    {"bytes", AVRO_BYTES}, {"string", AVRO_STRING},
};

static int primitive_type(const char *v, size_t n, enum avro_type *t)
{
    for (size_t i = 0; i < sizeof primitives / sizeof primitives[0]; i++) {
        if (str_eq(v, n, primitives[i].name)) {
            *t = primitives[i].type;
            return 0;
        }
    }
    return -ENOENT;
}

/* The last dotted component of a full name. */
static void simple_name(const char **v, size_t *n)
{
    for (size_t i = *n; i > 0; i--) {
        if ((*v)[i - 1] == '.') {
            *v += i;
            *n -= i;
            return;
        }
    }
}

static int named_ref(struct parser *p, const char *v, size_t n, uint32_t *out)
{
    struct avro_schema *s = p->schema;
    uint32_t ref;
    int rc;

    simple_name(&v, &n);
    for (uint32_t i = 0; i < s->n; i++) {
        const struct avro_node *nd = &s->nodes[i];
        if ((nd->type == AVRO_RECORD || nd->type == AVRO_ENUM || nd->type == AVRO_FIXED) &&
            nd->name && nd->name_len == n && memcmp(nd->name, v, n) == 0) {
            rc = new_node(p, AVRO_REF, &ref);
            if (rc < 0) {
                return rc;
            }
            s->nodes[ref].child = i;
            *out = ref;
            return 0;
        }
    }
    return -EBADMSG;
}

static int parse_type(struct parser *p, int depth, uint32_t *out);

/* The attributes of a schema object that matter here, as value positions to come back to. */
struct attrs {
    size_t type_pos, fields_pos, items_pos, values_pos, symbols_pos;
    bool has_type, has_fields, has_items, has_values, has_symbols, has_size;
    const char *name;
    size_t name_len;
    const char *logical;
    size_t logical_len;
    int64_t size;
    int32_t field_id, element_id, key_id, value_id;
};

static int attr_int(struct parser *p, int32_t *v)
{
    int64_t num;
    bool is_int;

    if (parse_number(p, &num, &is_int) < 0 || !is_int || num < INT32_MIN || num > INT32_MAX) {
        return -EBADMSG;
    }
    *v = (int32_t)num;
    return 0;
}

/* Reads one JSON object's keys, recording the ones in struct attrs and skipping the rest. */
static int scan_object(struct parser *p, int depth, struct attrs *a)
{
    memset(a, 0, sizeof *a);
    a->field_id = a->element_id = a->key_id = a->value_id = AVRO_NO_ID;
    if (expect(p, '{') < 0) {
        return -EBADMSG;
    }
    if (peek(p) == '}') {
        p->pos++;
        return 0;
    }
    for (;;) {
        const char *k;
        size_t kn;
        int rc = 0;

        if (parse_string(p, &k, &kn) < 0 || expect(p, ':') < 0) {
            return -EBADMSG;
        }
        skip_ws(p);
        if (str_eq(k, kn, "type")) {
            a->has_type = true;
            a->type_pos = p->pos;
            rc = skip_json(p, depth + 1);
        } else if (str_eq(k, kn, "fields")) {
            a->has_fields = true;
            a->fields_pos = p->pos;
            rc = skip_json(p, depth + 1);
        } else if (str_eq(k, kn, "items")) {
            a->has_items = true;
            a->items_pos = p->pos;
            rc = skip_json(p, depth + 1);
        } else if (str_eq(k, kn, "values")) {
            a->has_values = true;
            a->values_pos = p->pos;
            rc = skip_json(p, depth + 1);
        } else if (str_eq(k, kn, "symbols")) {
            a->has_symbols = true;
            a->symbols_pos = p->pos;
            rc = skip_json(p, depth + 1);
        } else if (str_eq(k, kn, "name") && peek(p) == '"') {
            rc = parse_string(p, &a->name, &a->name_len);
        } else if (str_eq(k, kn, "logicalType") && peek(p) == '"') {
            rc = parse_string(p, &a->logical, &a->logical_len);
        } else if (str_eq(k, kn, "size")) {
            bool is_int;
            rc = parse_number(p, &a->size, &is_int);
            if (rc == 0 && (!is_int || a->size < 0)) {
                rc = -EBADMSG;
            }
            a->has_size = true;
        } else if (str_eq(k, kn, "field-id")) {
            rc = attr_int(p, &a->field_id);
        } else if (str_eq(k, kn, "element-id")) {
            rc = attr_int(p, &a->element_id);
        } else if (str_eq(k, kn, "key-id")) {
            rc = attr_int(p, &a->key_id);
        } else if (str_eq(k, kn, "value-id")) {
            rc = attr_int(p, &a->value_id);
        } else {
            rc = skip_json(p, depth + 1);
        }
        if (rc < 0) {
            return rc;
        }
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        return expect(p, '}');
    }
}

/* Counts the elements of a JSON array (used for enum symbols). */
static int count_array(struct parser *p, int depth, int64_t *count)
{
    *count = 0;
    if (expect(p, '[') < 0) {
        return -EBADMSG;
    }
    if (peek(p) == ']') {
        p->pos++;
        return 0;
    }
    for (;;) {
        if (skip_json(p, depth + 1) < 0) {
            return -EBADMSG;
        }
        (*count)++;
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        return expect(p, ']');
    }
}

static int parse_field(struct parser *p, int depth, uint32_t *out)
{
    struct attrs a;
    size_t after;
    uint32_t idx, type;
    int rc;

    rc = scan_object(p, depth, &a);
    if (rc < 0) {
        return rc;
    }
    if (!a.has_type || !a.name) {
        return -EBADMSG;
    }
    rc = new_node(p, AVRO_FIELD, &idx);
    if (rc < 0) {
        return rc;
    }
    p->schema->nodes[idx].name = a.name;
    p->schema->nodes[idx].name_len = a.name_len;
    p->schema->nodes[idx].field_id = a.field_id;
    after = p->pos;
    p->pos = a.type_pos;
    rc = parse_type(p, depth + 1, &type);
    if (rc < 0) {
        return rc;
    }
    p->pos = after;
    p->schema->nodes[idx].child = type;
    p->schema->nodes[idx].count = 1;
    *out = idx;
    return 0;
}

static int parse_record_fields(struct parser *p, int depth, uint32_t rec)
{
    uint32_t last = AVRO_NO_NODE;

    if (expect(p, '[') < 0) {
        return -EBADMSG;
    }
    if (peek(p) == ']') {
        p->pos++;
        return 0;
    }
    for (;;) {
        uint32_t f;
        int rc = parse_field(p, depth + 1, &f);
        if (rc < 0) {
            return rc;
        }
        append_child(p->schema, rec, &last, f);
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        return expect(p, ']');
    }
}

static int parse_object_type(struct parser *p, int depth, uint32_t *out)
{
    struct avro_schema *s = p->schema;
    struct attrs a;
    const char *t;
    size_t tn;
    size_t after;
    enum avro_type prim;
    uint32_t idx, child;
    int rc;

    rc = scan_object(p, depth, &a);
    if (rc < 0) {
        return rc;
    }
    if (!a.has_type) {
        return -EBADMSG;
    }
    after = p->pos;
    p->pos = a.type_pos;
    if (peek(p) != '"') {
        /* {"type": {...}} or {"type": [...]}: the inner schema is the type. */
        rc = parse_type(p, depth + 1, out);
        p->pos = after;
        return rc;
    }
    rc = parse_string(p, &t, &tn);
    if (rc < 0) {
        return rc;
    }

    if (primitive_type(t, tn, &prim) == 0) {
        rc = new_node(p, prim, &idx);
    } else if (str_eq(t, tn, "record") || str_eq(t, tn, "error")) {
        if (!a.name || !a.has_fields) {
            return -EBADMSG;
        }
        rc = new_node(p, AVRO_RECORD, &idx);
        if (rc == 0) {
            /* Named before its fields are parsed, so a field may refer to it. */
            simple_name(&a.name, &a.name_len);
            s->nodes[idx].name = a.name;
            s->nodes[idx].name_len = a.name_len;
            p->pos = a.fields_pos;
            rc = parse_record_fields(p, depth + 1, idx);
        }
    } else if (str_eq(t, tn, "enum")) {
        if (!a.name || !a.has_symbols) {
            return -EBADMSG;
        }
        rc = new_node(p, AVRO_ENUM, &idx);
        if (rc == 0) {
            p->pos = a.symbols_pos;
            rc = count_array(p, depth + 1, &s->nodes[idx].size);
        }
    } else if (str_eq(t, tn, "fixed")) {
        if (!a.name || !a.has_size) {
            return -EBADMSG;
        }
        rc = new_node(p, AVRO_FIXED, &idx);
        if (rc == 0) {
            s->nodes[idx].size = a.size;
        }
    } else if (str_eq(t, tn, "array")) {
        if (!a.has_items) {
            return -EBADMSG;
        }
        rc = new_node(p, AVRO_ARRAY, &idx);
        if (rc == 0) {
            p->pos = a.items_pos;
            rc = parse_type(p, depth + 1, &child);
            if (rc == 0) {
                s->nodes[idx].child = child;
                s->nodes[idx].count = 1;
            }
        }
    } else if (str_eq(t, tn, "map")) {
        if (!a.has_values) {
            return -EBADMSG;
        }
        rc = new_node(p, AVRO_MAP, &idx);
        if (rc == 0) {
            p->pos = a.values_pos;
            rc = parse_type(p, depth + 1, &child);
            if (rc == 0) {
                s->nodes[idx].child = child;
                s->nodes[idx].count = 1;
            }
        }
    } else {
        rc = named_ref(p, t, tn, &idx);
    }
    if (rc < 0) {
        return rc;
    }
    if (s->nodes[idx].type == AVRO_ENUM || s->nodes[idx].type == AVRO_FIXED) {
        simple_name(&a.name, &a.name_len);
        s->nodes[idx].name = a.name;
        s->nodes[idx].name_len = a.name_len;
    }
    if (s->nodes[idx].type != AVRO_REF) {
        s->nodes[idx].logical = a.logical;
        s->nodes[idx].logical_len = a.logical_len;
        s->nodes[idx].element_id = a.element_id;
        s->nodes[idx].key_id = a.key_id;
        s->nodes[idx].value_id = a.value_id;
    }
    p->pos = after;
    *out = idx;
    return 0;
}

static int parse_union(struct parser *p, int depth, uint32_t *out)
{
    uint32_t idx, last = AVRO_NO_NODE;
    int rc;

    rc = new_node(p, AVRO_UNION, &idx);
    if (rc < 0) {
        return rc;
    }
    if (expect(p, '[') < 0) {
        return -EBADMSG;
    }
    if (peek(p) == ']') {
        /* An empty union has no value to decode; reject it. */
        return -EBADMSG;
    }
    for (;;) {
        uint32_t b;
        rc = parse_type(p, depth + 1, &b);
        if (rc < 0) {
            return rc;
        }
        append_child(p->schema, idx, &last, b);
        if (peek(p) == ',') {
            p->pos++;
            continue;
        }
        rc = expect(p, ']');
        break;
    }
    *out = idx;
    return rc;
}

static int parse_type(struct parser *p, int depth, uint32_t *out)
{
    const char *v;
    size_t n;
    enum avro_type prim;
    int rc;

    if (depth > AVRO_MAX_DEPTH) {
        return -EBADMSG;
    }
    switch (peek(p)) {
    case '"':
        rc = parse_string(p, &v, &n);
        if (rc < 0) {
            return rc;
        }
        if (primitive_type(v, n, &prim) == 0) {
            return new_node(p, prim, out);
        }
        return named_ref(p, v, n, out);
    case '[':
        return parse_union(p, depth, out);
    case '{':
        return parse_object_type(p, depth, out);
    default:
        return -EBADMSG;
    }
}

int avro_schema_parse(struct avro_schema *s, struct avro_node *nodes, uint32_t cap,
                      const char *json, size_t len)
{
    struct parser p = {.s = json, .len = json ? len : 0, .pos = 0, .schema = s};
    uint32_t root;
    int rc;

    s->nodes = nodes;
    s->cap = nodes ? cap : 0;
    s->n = 0;
    if (cap == AVRO_NO_NODE) {
        s->cap = cap - 1;
    }
    rc = parse_type(&p, 0, &root);
    if (rc == 0 && peek(&p) != -1) {
        rc = -EBADMSG;
    }
    if (rc < 0) {
        s->n = 0;
        return rc;
    }
    return 0;
}

/* ---- queries ---- */

uint32_t avro_schema_resolve(const struct avro_schema *s, uint32_t node)
{
    if (node < s->n && s->nodes[node].type == AVRO_REF) {
        return s->nodes[node].child;
    }
    return node;
}

static int field_find(const struct avro_schema *s, uint32_t record, int32_t id, const char *name,
                      uint32_t *field)
{
    uint32_t f;

    *field = AVRO_NO_NODE;
    record = avro_schema_resolve(s, record);
    if (record >= s->n || s->nodes[record].type != AVRO_RECORD) {
        return -EINVAL;
    }
    for (f = s->nodes[record].child; f != AVRO_NO_NODE; f = s->nodes[f].next) {
        const struct avro_node *nd = &s->nodes[f];
        if (name ? (nd->name_len == strlen(name) && memcmp(nd->name, name, nd->name_len) == 0)
                 : nd->field_id == id) {
            *field = f;
            return 0;
        }
    }
    return -ENOENT;
}

int avro_schema_field_by_id(const struct avro_schema *s, uint32_t record, int32_t field_id,
                            uint32_t *field)
{
    return field_find(s, record, field_id, NULL, field);
}

int avro_schema_field_by_name(const struct avro_schema *s, uint32_t record, const char *name,
                              uint32_t *field)
{
    if (!name) {
        return -EINVAL;
    }
    return field_find(s, record, 0, name, field);
}

int avro_schema_optional(const struct avro_schema *s, uint32_t node, int64_t *null_branch,
                         uint32_t *inner)
{
    uint32_t a, b;

    *null_branch = -1;
    *inner = AVRO_NO_NODE;
    node = avro_schema_resolve(s, node);
    if (node >= s->n || s->nodes[node].type != AVRO_UNION || s->nodes[node].count != 2) {
        return -EINVAL;
    }
    a = s->nodes[node].child;
    b = s->nodes[a].next;
    if (s->nodes[a].type == AVRO_NULL && s->nodes[b].type != AVRO_NULL) {
        *null_branch = 0;
        *inner = avro_schema_resolve(s, b);
        return 0;
    }
    if (s->nodes[b].type == AVRO_NULL && s->nodes[a].type != AVRO_NULL) {
        *null_branch = 1;
        *inner = avro_schema_resolve(s, a);
        return 0;
    }
    return -EINVAL;
}

/* ---- skipping by schema ---- */

struct skipper {
    struct avro_dec *d;
    const struct avro_schema *s;
    uint64_t budget; /* node visits left; bounds the work on items that take no bytes */
};

static int skip_node(struct skipper *k, uint32_t node, int depth)
{
    struct avro_dec *d = k->d;
    const struct avro_schema *s = k->s;
    const struct avro_node *nd;
    int64_t n;
    uint32_t c;

    if (depth > AVRO_MAX_DEPTH || k->budget == 0) {
        d->err = d->err ? d->err : -EBADMSG;
        return d->err;
    }
    k->budget--;
    node = avro_schema_resolve(s, node);
    if (node >= s->n) {
        return -EINVAL;
    }
    nd = &s->nodes[node];
    switch (nd->type) {
    case AVRO_NULL:
        return d->err;
    case AVRO_BOOLEAN: {
        bool b;
        return avro_get_boolean(d, &b);
    }
    case AVRO_INT:
    case AVRO_LONG:
    case AVRO_ENUM:
        return avro_skip_long(d);
    case AVRO_FLOAT:
        return avro_skip(d, 4);
    case AVRO_DOUBLE:
        return avro_skip(d, 8);
    case AVRO_BYTES:
    case AVRO_STRING:
        return avro_skip_bytes(d);
    case AVRO_FIXED:
        if ((uint64_t)nd->size > SIZE_MAX) {
            return avro_skip(d, SIZE_MAX);
        }
        return avro_skip(d, (size_t)nd->size);
    case AVRO_FIELD:
        return skip_node(k, nd->child, depth + 1);
    case AVRO_RECORD:
        for (c = nd->child; c != AVRO_NO_NODE; c = s->nodes[c].next) {
            if (skip_node(k, s->nodes[c].child, depth + 1) < 0) {
                return d->err;
            }
        }
        return d->err;
    case AVRO_ARRAY:
    case AVRO_MAP:
        while (avro_get_block(d, &n) == 0 && n > 0) {
            for (int64_t i = 0; i < n; i++) {
                if (nd->type == AVRO_MAP) {
                    avro_skip_bytes(d);
                }
                if (skip_node(k, nd->child, depth + 1) < 0) {
                    return d->err;
                }
            }
        }
        return d->err;
    case AVRO_UNION: {
        int64_t branch;
        if (avro_get_union(d, nd->count, &branch) < 0) {
            return d->err;
        }
        c = nd->child;
        for (int64_t i = 0; i < branch; i++) {
            c = s->nodes[c].next;
        }
        return skip_node(k, c, depth + 1);
    }
    case AVRO_REF:
        break;
    }
    return -EINVAL;
}

int avro_skip_value(struct avro_dec *d, const struct avro_schema *s, uint32_t node)
{
    /* The budget is the decoder's: every skip over this input draws from the same one. */
    struct skipper k = {.d = d, .s = s, .budget = d->skip_budget};

    if (d->err) {
        return d->err;
    }
    int rc = skip_node(&k, node, 0);
    d->skip_budget = k.budget;
    return rc;
}
