/* table_meta_schema.c — the table's current schema as floe sees it, schema evolution, and the
 * binding of the config's columns to the table's field ids.
 *
 * Spec "Schema Evolution": columns are matched by field id, never by position or name, so ids
 * are assigned once (last-column-id + 1 …) and never reused. Adding an optional column, making
 * a required column optional and the promotions int → long and float → double are the changes
 * that keep old data files readable; floe makes only those. In v2 a new column must be
 * optional, because old files have no value for it and there are no defaults until v3.
 * A new schema is a copy of the current schema object, so attributes floe does not know
 * (doc, and whatever later releases add) stay on the fields they belong to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "table_meta_internal.h"

int floe_meta__schema_view(const cJSON *s, struct floe_schema *out, int *ids, int *nids, char *err,
                           size_t cap)
{
    int sid = -1;
    floe_meta__i32(floe_meta__get(s, "schema-id"), &sid);
    const cJSON *fields = floe_meta__get(s, "fields");
    out->ncolumns = 0;
    *nids = 0;
    int i = 0;
    for (const cJSON *f = cJSON_IsArray(fields) ? fields->child : NULL; f; f = f->next, i++) {
        const cJSON *id = floe_meta__get(f, "id"), *name = floe_meta__get(f, "name");
        const cJSON *req = floe_meta__get(f, "required"), *type = floe_meta__get(f, "type");
        /* Bounds first: nothing is written to a column past the array. */
        if (i >= FLOE_COLUMNS_MAX) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: schema %d has more than %d columns", sid,
                                    FLOE_COLUMNS_MAX);
        }
        struct floe_column *c = &out->columns[i];
        if (!cJSON_IsObject(f)) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: schema %d: field %d is not an object", sid, i);
        }
        if (!cJSON_IsString(name)) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: schema %d: field %d: 'name' must be a string",
                                    sid, i);
        }
        const char *n = name->valuestring;
        if (floe_meta__i32(id, &c->field_id) != 0 || c->field_id <= 0) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: schema %d: column '%s': 'id' must be a "
                                    "positive integer",
                                    sid, n);
        }
        if (!cJSON_IsBool(req)) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: schema %d: column '%s': 'required' must be "
                                    "true or false",
                                    sid, n);
        }
        if (cJSON_IsObject(type)) {
            const cJSON *kind = floe_meta__get(type, "type");
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: column '%s' has a nested type (%s); floe "
                                    "writes flat tables of primitive columns only",
                                    n, cJSON_IsString(kind) ? kind->valuestring : "?");
        }
        if (!cJSON_IsString(type)) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: schema %d: column '%s': 'type' must be a "
                                    "string or an object",
                                    sid, n);
        }
        if (floe_type_parse(type->valuestring, &c->type) != 0) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: column '%s' has type '%s', which floe does "
                                    "not write",
                                    n, type->valuestring);
        }
        if (strlen(n) >= sizeof c->name || n[0] == '\0') {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: column name '%.40s…' is empty or longer than "
                                    "%zu bytes",
                                    n, sizeof c->name - 1);
        }
        strcpy(c->name, n);
        c->required = cJSON_IsTrue(req);
        for (int j = 0; j < i; j++) {
            if (out->columns[j].field_id == c->field_id || strcmp(out->columns[j].name, n) == 0) {
                return floe_errbuf_fail(err, cap, -EINVAL,
                                        "table metadata: schema %d: columns '%s' and '%s' share a "
                                        "name or field id",
                                        sid, out->columns[j].name, n);
            }
        }
        out->ncolumns = i + 1;
    }
    if (!cJSON_IsArray(fields)) {
        return floe_errbuf_fail(err, cap, -EINVAL, "table metadata: schema %d has no fields", sid);
    }
    const cJSON *idents = floe_meta__get(s, "identifier-field-ids");
    if (!idents) {
        return 0;
    }
    if (!cJSON_IsArray(idents)) {
        return floe_errbuf_fail(err, cap, -EINVAL,
                                "table metadata: schema %d: 'identifier-field-ids' must be an "
                                "array",
                                sid);
    }
    for (const cJSON *e = idents->child; e; e = e->next) {
        int v, found = -1;
        if (floe_meta__i32(e, &v) != 0 || *nids >= FLOE_COLUMNS_MAX) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: schema %d: 'identifier-field-ids' must hold "
                                    "field ids",
                                    sid);
        }
        for (int j = 0; j < out->ncolumns; j++) {
            found = out->columns[j].field_id == v ? j : found;
        }
        if (found < 0) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "table metadata: schema %d: identifier field %d is not a "
                                    "column",
                                    sid, v);
        }
        ids[(*nids)++] = v;
    }
    return 0;
}

static bool is_identifier(const struct floe_meta *m, int field_id)
{
    for (int i = 0; i < m->nidentifier; i++) {
        if (m->identifier_ids[i] == field_id) {
            return true;
        }
    }
    return false;
}

static bool promotes(enum floe_type from, enum floe_type to)
{
    return (from == FLOE_TYPE_INT && to == FLOE_TYPE_LONG) ||
           (from == FLOE_TYPE_FLOAT && to == FLOE_TYPE_DOUBLE);
}

static struct floe_meta_change *add_change(struct floe_meta_evolution *ev,
                                           enum floe_meta_change_kind kind,
                                           const struct floe_column *c)
{
    struct floe_meta_change *ch = &ev->changes[ev->nchanges++];
    memset(ch, 0, sizeof *ch);
    ch->kind = kind;
    snprintf(ch->column, sizeof ch->column, "%s", c->name);
    ch->field_id = c->field_id;
    ch->from = ch->to = c->type;
    return ch;
}

/* Decides the changes without touching anything. */
static int plan(const struct floe_meta *m, const struct floe_schema *want,
                struct floe_meta_evolution *ev, char *err, size_t cap)
{
    const struct floe_schema *have = &m->schema;
    int nadd = 0;
    for (int i = 0; i < want->ncolumns; i++) {
        const struct floe_column *w = &want->columns[i];
        int k = floe_schema_find(have, w->name);
        if (k < 0) {
            nadd++;
            continue;
        }
        const struct floe_column *h = &have->columns[k];
        if (h->type != w->type && !promotes(h->type, w->type)) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "schema: column '%s' is %s in the table and %s in the config; "
                                    "Iceberg only widens int to long and float to double",
                                    w->name, floe_type_name(h->type), floe_type_name(w->type));
        }
        if (!h->required && w->required) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "schema: column '%s' is optional in the table; it cannot "
                                    "become required (old rows may hold nulls)",
                                    w->name);
        }
        if (h->required && !w->required && is_identifier(m, h->field_id)) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "schema: column '%s' is a key (identifier) column of the "
                                    "table and must stay required",
                                    w->name);
        }
        if (h->type != w->type) {
            struct floe_meta_change *ch = add_change(ev, FLOE_META_WIDENED, h);
            ch->to = w->type;
        }
        if (h->required && !w->required) {
            add_change(ev, FLOE_META_RELAXED, h)->to = w->type;
        }
    }
    for (int k = 0; k < have->ncolumns; k++) {
        const struct floe_column *h = &have->columns[k];
        if (floe_schema_find(want, h->name) >= 0 || !h->required) {
            continue;
        }
        if (is_identifier(m, h->field_id)) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "schema: key (identifier) column '%s' of the table is missing "
                                    "from the config",
                                    h->name);
        }
        add_change(ev, FLOE_META_RELAXED, h); /* left the config: written as null from now on */
    }
    if (ev->nchanges + nadd > FLOE_COLUMNS_MAX || have->ncolumns + nadd > FLOE_COLUMNS_MAX) {
        return floe_errbuf_fail(err, cap, -EINVAL, "schema: more than %d columns",
                                FLOE_COLUMNS_MAX);
    }
    for (int i = 0; i < want->ncolumns; i++) {
        const struct floe_column *w = &want->columns[i];
        if (floe_schema_find(have, w->name) < 0) {
            struct floe_meta_change *ch = add_change(ev, FLOE_META_ADDED, w);
            ch->field_id = 0; /* assigned when the schema is built */
            ch->wanted_required = w->required;
        }
    }
    return 0;
}

/* Highest field id in any schema (top level and nested), so a new id is never reused even if
 * last-column-id was written too low by someone. */
static int highest_id(const cJSON *node)
{
    int best = 0, v;
    if (cJSON_IsObject(node)) {
        static const char *const keys[] = {"id", "element-id", "key-id", "value-id"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            if (floe_meta__i32(floe_meta__get(node, keys[i]), &v) == 0 && v > best) {
                best = v;
            }
        }
    }
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
        for (const cJSON *c = node->child; c; c = c->next) {
            v = highest_id(c);
            best = v > best ? v : best;
        }
    }
    return best;
}

static cJSON *field_by_id(const cJSON *fields, int id)
{
    for (cJSON *f = fields->child; f; f = f->next) {
        int v;
        if (floe_meta__i32(floe_meta__get(f, "id"), &v) == 0 && v == id) {
            return f;
        }
    }
    return NULL;
}

static bool same_schema(const struct floe_schema *a, const int *aids, int na,
                        const struct floe_schema *b, const int *bids, int nb)
{
    if (a->ncolumns != b->ncolumns || na != nb) {
        return false;
    }
    for (int i = 0; i < a->ncolumns; i++) {
        const struct floe_column *x = &a->columns[i], *y = &b->columns[i];
        if (x->field_id != y->field_id || x->type != y->type || x->required != y->required ||
            strcmp(x->name, y->name) != 0) {
            return false;
        }
    }
    for (int i = 0; i < na; i++) {
        if (aids[i] != bids[i]) {
            return false;
        }
    }
    return true;
}

/* Applies the plan to a copy of the tree, then swaps it in. */
static int apply(struct floe_meta *m, struct floe_meta_evolution *ev, char *err, size_t cap)
{
    int rc = -ENOMEM;
    struct floe_schema *probe = NULL, *built = NULL;
    int *ids = NULL;
    cJSON *root = cJSON_Duplicate(m->root__, 1);
    cJSON *schemas = floe_meta__get(root, "schemas");
    cJSON *ns = cJSON_Duplicate(floe_meta__find_schema(root, m->current_schema_id), 1);
    cJSON *fields = floe_meta__get(ns, "fields");
    if (!root || !ns || !fields) {
        goto fail;
    }
    int next = highest_id(schemas);
    next = m->last_column_id > next ? m->last_column_id : next;
    if (next > INT32_MAX - FLOE_COLUMNS_MAX) {
        rc = floe_errbuf_fail(err, cap, -EINVAL, "schema: field ids are exhausted");
        goto fail;
    }
    next++;
    for (int i = 0; i < ev->nchanges; i++) {
        struct floe_meta_change *ch = &ev->changes[i];
        if (ch->kind == FLOE_META_ADDED) {
            cJSON *f = cJSON_CreateObject();
            ch->field_id = next++;
            if (!f || !cJSON_AddItemToArray(fields, f)) {
                cJSON_Delete(f);
                goto fail;
            }
            if (floe_meta__set_num(f, "id", ch->field_id) ||
                floe_meta__set_str(f, "name", ch->column) ||
                floe_meta__set_item(f, "required", cJSON_CreateFalse()) ||
                floe_meta__set_str(f, "type", floe_type_name(ch->to))) {
                goto fail;
            }
            continue;
        }
        cJSON *f = field_by_id(fields, ch->field_id);
        if (!f) {
            goto fail; /* cannot happen: the plan came from this schema */
        }
        if (ch->kind == FLOE_META_WIDENED &&
            floe_meta__set_str(f, "type", floe_type_name(ch->to)) != 0) {
            goto fail;
        }
        if (ch->kind == FLOE_META_RELAXED &&
            floe_meta__set_item(f, "required", cJSON_CreateFalse()) != 0) {
            goto fail;
        }
    }
    /* Java (TableMetadata.Builder.addSchema) reuses the id of an identical earlier schema. */
    probe = malloc(sizeof *probe);
    built = malloc(sizeof *built);
    ids = malloc(2 * FLOE_COLUMNS_MAX * sizeof *ids);
    if (!probe || !built || !ids) {
        goto fail;
    }
    int nb, np, reuse = -1, max_id = -1;
    if ((rc = floe_meta__schema_view(ns, built, ids, &nb, err, cap)) != 0) {
        goto fail;
    }
    for (const cJSON *s = schemas->child; s; s = s->next) {
        int sid;
        if (floe_meta__i32(floe_meta__get(s, "schema-id"), &sid) != 0) {
            continue;
        }
        max_id = sid > max_id ? sid : max_id;
        if (reuse < 0 &&
            floe_meta__schema_view(s, probe, ids + FLOE_COLUMNS_MAX, &np, NULL, 0) == 0 &&
            same_schema(built, ids, nb, probe, ids + FLOE_COLUMNS_MAX, np)) {
            reuse = sid;
        }
    }
    rc = -ENOMEM;
    if (reuse >= 0) {
        ev->schema_id = reuse;
        cJSON_Delete(ns);
    } else {
        ev->schema_id = max_id + 1;
        if (floe_meta__set_num(ns, "schema-id", ev->schema_id) != 0 ||
            !cJSON_AddItemToArray(schemas, ns)) {
            goto fail;
        }
    }
    ns = NULL;
    if (floe_meta__set_num(root, "current-schema-id", ev->schema_id) != 0 ||
        floe_meta__set_num(root, "last-column-id",
                           next - 1 > m->last_column_id ? next - 1 : m->last_column_id) != 0) {
        goto fail;
    }
    free(probe);
    free(built);
    free(ids);
    ev->changed = true;
    return floe_meta__swap(m, root, err, cap);
fail:
    if (rc == -ENOMEM) {
        floe_errbuf_fail(err, cap, rc, "schema: out of memory");
    }
    free(probe);
    free(built);
    free(ids);
    cJSON_Delete(ns);
    cJSON_Delete(root);
    return rc;
}

int floe_meta_evolve_schema(struct floe_meta *meta, const struct floe_schema *wanted,
                            struct floe_meta_evolution *ev, char *err, size_t cap)
{
    struct floe_meta_evolution *e = ev ? ev : malloc(sizeof *e);
    if (!e) {
        return floe_errbuf_fail(err, cap, -ENOMEM, "schema: out of memory");
    }
    memset(e, 0, sizeof *e);
    e->schema_id = meta->current_schema_id;
    int rc = 0;
    if (!wanted || wanted->ncolumns < 0 || wanted->ncolumns > FLOE_COLUMNS_MAX) {
        rc = floe_errbuf_fail(err, cap, -EINVAL, "schema: no column list");
    } else if ((rc = plan(meta, wanted, e, err, cap)) == 0 && e->nchanges > 0) {
        rc = apply(meta, e, err, cap);
    }
    if (rc != 0 && ev) {
        memset(ev, 0, sizeof *ev);
        ev->schema_id = meta->current_schema_id;
    }
    if (!ev) {
        free(e);
    }
    return rc;
}

int floe_meta_evolution_describe(const struct floe_meta_evolution *ev, char *buf, size_t cap)
{
    size_t at = 0;
    int n;
    if (cap > 0) {
        buf[0] = '\0';
    }
#define OUT(...)                                                                                   \
    do {                                                                                           \
        n = snprintf(at < cap ? buf + at : NULL, at < cap ? cap - at : 0, __VA_ARGS__);            \
        at += n > 0 ? (size_t)n : 0;                                                               \
    } while (0)
    if (ev->nchanges == 0) {
        OUT("schema unchanged (schema %d)", ev->schema_id);
    }
    for (int i = 0; i < ev->nchanges; i++) {
        const struct floe_meta_change *c = &ev->changes[i];
        const char *sep = i ? "\n" : "";
        switch (c->kind) {
        case FLOE_META_ADDED:
            OUT("%sadded column %s %s (field %d) as optional%s", sep, c->column,
                floe_type_name(c->to), c->field_id,
                c->wanted_required ? "; the config says required, but Iceberg v2 adds columns "
                                     "as optional"
                                   : "");
            break;
        case FLOE_META_WIDENED:
            OUT("%swidened column %s (field %d) from %s to %s", sep, c->column, c->field_id,
                floe_type_name(c->from), floe_type_name(c->to));
            break;
        case FLOE_META_RELAXED:
            OUT("%smade column %s (field %d) optional", sep, c->column, c->field_id);
            break;
        }
    }
#undef OUT
    return (int)at;
}

int floe_meta_bind_schema(const struct floe_meta *meta, const struct floe_schema *config,
                          struct floe_schema *out, char *err, size_t cap)
{
    const struct floe_schema *have = &meta->schema;
    if (!config || config->ncolumns < 0 || config->ncolumns > FLOE_COLUMNS_MAX) {
        return floe_errbuf_fail(err, cap, -EINVAL, "schema: no column list");
    }
    out->ncolumns = config->ncolumns;
    for (int i = 0; i < config->ncolumns; i++) {
        const struct floe_column *c = &config->columns[i];
        int k = floe_schema_find(have, c->name);
        if (k < 0) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "schema: column '%s' is not in the table (schema %d); evolve "
                                    "the schema first",
                                    c->name, meta->current_schema_id);
        }
        const struct floe_column *h = &have->columns[k];
        if (h->type != c->type && !promotes(c->type, h->type)) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "schema: column '%s' is %s in the table and %s in the config",
                                    c->name, floe_type_name(h->type), floe_type_name(c->type));
        }
        if (h->required && !c->required) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "schema: column '%s' is required in the table but optional in "
                                    "the config; evolve the schema first",
                                    c->name);
        }
        out->columns[i] = *h;
    }
    for (int k = 0; k < have->ncolumns; k++) {
        if (have->columns[k].required && floe_schema_find(config, have->columns[k].name) < 0) {
            return floe_errbuf_fail(err, cap, -EINVAL,
                                    "schema: required table column '%s' is not in the config; "
                                    "evolve the schema first",
                                    have->columns[k].name);
        }
    }
    return 0;
}
