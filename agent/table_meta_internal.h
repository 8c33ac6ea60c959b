/* table_meta_internal.h — what the table_meta*.c files share and nobody else uses: the JSON
 * reader that keeps numbers as text, typed accessors over the tree, and the rebuild of the
 * typed view from a tree.
 */
#ifndef FLOE_TABLE_META_INTERNAL_H
#define FLOE_TABLE_META_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "table_meta.h"

#if defined(__GNUC__)
#define FLOE_META__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FLOE_META__PRINTF(a, b)
#endif

/* floe_meta__json_parse(text, len, &code, err, errcap): parses RFC 8259 JSON into a cJSON tree
 * in which every number is a cJSON_Raw item holding its literal text. Strings must be valid
 * UTF-8 without NUL; objects must not repeat a key; nesting is limited to 64 levels. Returns
 * the tree (caller frees with cJSON_Delete) or NULL with *code -EINVAL or -ENOMEM and a reason
 * (with the byte offset) in err. */
cJSON *floe_meta__json_parse(const char *text, size_t len, int *code, char *err,
                             size_t errcap);

/* Whether item is a JSON number (a raw number literal or a cJSON number). */
bool floe_meta__is_number(const cJSON *item);

/* floe_meta__i64(item, &v): 0 when item is an integer number that fits int64_t, else -EINVAL. */
int floe_meta__i64(const cJSON *item, int64_t *v);

/* floe_meta__i32(item, &v): as floe_meta__i64 for int32_t. */
int floe_meta__i32(const cJSON *item, int *v);

/* floe_meta__num(v): a new raw number item holding v's decimal text, or NULL. */
cJSON *floe_meta__num(int64_t v);

/* floe_meta__set_num(obj, key, v): sets obj[key] to v, replacing the value in place (keeps its
 * position) or appending the key. 0 or -ENOMEM. */
int floe_meta__set_num(cJSON *obj, const char *key, int64_t v);

/* floe_meta__set_str(obj, key, s): as floe_meta__set_num for a string. */
int floe_meta__set_str(cJSON *obj, const char *key, const char *s);

/* floe_meta__set_item(obj, key, item): as floe_meta__set_num for any item, which it takes
 * (freed on failure too). */
int floe_meta__set_item(cJSON *obj, const char *key, cJSON *item);

/* floe_meta__get(obj, key): obj[key] (exact key), or NULL. */
cJSON *floe_meta__get(const cJSON *obj, const char *key);

/* floe_meta__index(root, view, err, errcap): validates the tree and fills a fresh view (its
 * root__ set to root, snapshots allocated). On failure returns -EINVAL / -ENOTSUP / -ENOMEM
 * with err set and frees what it allocated in view (root is not freed). */
int floe_meta__index(cJSON *root, struct floe_meta *view, char *err, size_t errcap);

/* floe_meta__swap(meta, root, err, errcap): indexes root into a new view; on success frees
 * meta's old tree and view and installs the new ones (meta's address is unchanged); on failure
 * frees root and leaves meta unchanged. */
int floe_meta__swap(struct floe_meta *meta, cJSON *root, char *err, size_t errcap);

/* floe_meta__schema_view(schema_obj, out, identifier ids, err, errcap): the typed view of one
 * flat schema object (table_meta_schema.c). */
int floe_meta__schema_view(const cJSON *schema_obj, struct floe_schema *out, int *ids, int *nids,
                           char *err, size_t errcap);

/* floe_meta__find_schema(root, schema_id): the schema object with that id, or NULL. */
cJSON *floe_meta__find_schema(const cJSON *root, int schema_id);

#endif
