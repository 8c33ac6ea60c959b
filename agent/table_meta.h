/* table_meta.h — the Iceberg v2 table metadata document: create, read, change, write.
 *
 * A metadata file (`vN.metadata.json`) is the root of an Iceberg table: schemas, partition
 * specs, snapshots and the logs that tie them together (spec "Table Metadata", Appendix C;
 * SPEC-NOTES.md §1). Other engines (Spark, Trino, PyIceberg) write fields floe does not know —
 * statistics, tags, properties, v2 additions of later releases — and a rewrite by floe must keep
 * them. So a struct floe_meta holds two things:
 *
 *   - the parsed JSON tree, the source of truth, from which floe_meta_serialize() prints the
 *     next file (unknown fields survive untouched), and
 *   - a validated, typed view of what floe needs (`struct floe_meta`'s public fields), rebuilt
 *     from the tree after every change.
 *
 * Every change works on a copy of the tree and is swapped in only when the copy validates, so a
 * change that fails leaves the metadata exactly as it was.
 *
 * JSON numbers are kept as their literal text (never converted to double), so 63-bit snapshot
 * ids and other engines' numbers round-trip exactly. Only format-version 2 is read: v1 tables
 * lack sequence numbers (floe's equality deletes need them) and v3 adds row lineage that a v2
 * writer would corrupt; both are refused with an error saying so.
 *
 * Strings in the typed view (location, manifest lists, summary values) are views into the tree:
 * valid until the next successful change or floe_meta_free().
 *
 * Files: table_meta.c (validation, typed view, create, serialize), table_meta_json.c (the JSON
 * reader and number helpers), table_meta_schema.c (schema view, evolution, binding),
 * table_meta_snapshot.c (commits, summary totals, ancestors, expiry).
 */
#ifndef FLOE_TABLE_META_H
#define FLOE_TABLE_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema.h"

struct cJSON;

/* A key/value pair given by the caller (properties, summary entries). Both borrowed. */
struct floe_meta_kv {
    const char *key;
    const char *value;
};

/* One field of the default partition spec. */
struct floe_meta_spec_field {
    int source_id;                  /* field id of the source column */
    int field_id;                   /* partition field id (1000, 1001, …) */
    int column;                     /* index of the source in meta->schema; -1 if not there */
    enum floe_transform transform;  /* parsed from "day", "bucket[16]", … */
    int param;                      /* N of bucket[N], W of truncate[W]; 0 otherwise */
    char name[FLOE_NAME_MAX + 8];   /* "signup_ts_day" */
};

struct floe_meta_spec {
    int spec_id;
    int nfields; /* 0: unpartitioned */
    struct floe_meta_spec_field fields[FLOE_PARTITION_FIELDS_MAX];
};

/* One entry of `snapshots`, in file order. */
struct floe_meta_snapshot {
    int64_t id;
    int64_t parent_id; /* -1: no parent */
    int64_t sequence_number;
    int64_t timestamp_ms;
    const char *manifest_list; /* view */
    int schema_id;             /* -1: not recorded */
    const char *operation;     /* view: "append", "overwrite", … */
    const struct cJSON *summary__;
};

struct floe_meta {
    int format_version; /* always 2 */
    char uuid[37];      /* table-uuid, lower-case canonical form */
    const char *location; /* view */
    int64_t last_sequence_number;
    int64_t last_updated_ms;
    int last_column_id;
    int last_partition_id;
    int current_schema_id;
    struct floe_schema schema; /* the current schema, with field ids */
    int nidentifier;           /* identifier-field-ids of the current schema */
    int identifier_ids[FLOE_COLUMNS_MAX];
    struct floe_meta_spec spec; /* the default spec */
    int unpartitioned_spec_id;  /* a spec with no fields (global deletes); -1: none */
    int64_t current_snapshot_id; /* -1: none (written -1, read as -1, null or missing) */
    int64_t main_snapshot_id;    /* refs.main, -1 when there is no main branch */
    size_t nsnapshots;
    struct floe_meta_snapshot *snapshots;

    struct cJSON *root__; /* the document, source of truth */
};

/* ---- Create, parse, write, free (table_meta.c) ---- */

struct floe_meta_create_args {
    const uint8_t *uuid;                /* 16 random bytes; version/variant bits are set (v4) */
    const char *location;               /* table base URI, e.g. s3://bucket/wh/db/users */
    const struct floe_schema *schema;   /* config columns; field ids become 1..n in order */
    const struct floe_partition *partition; /* may be NULL: unpartitioned */
    const char *key;                    /* key column → identifier-field-ids; NULL: none */
    int64_t now_ms;                     /* last-updated-ms */
    const struct floe_meta_kv *properties; /* extra table properties; override the defaults */
    size_t nproperties;
};

/* floe_meta_create(args, &meta, err, errcap): a new v2 metadata document as Java writes one for
 * a new table: schema 0 with field ids 1..n, identifier-field-ids [key's id], spec 0 with
 * partition field ids from 1000 and the config's names, last-partition-id, sort order 0
 * unsorted, properties write.format.default=parquet and write.parquet.compression-codec=zstd
 * plus args->properties, last-sequence-number 0, current-snapshot-id -1, empty snapshots,
 * logs, statistics and refs. The config's schema is copied; nothing of args is kept.
 * Returns 0 with *meta owned by the caller (floe_meta_free), or -EINVAL (key column missing,
 * optional or floating point; bad partition column; no columns) / -ENOMEM with a reason in err
 * (always NUL-terminated); *meta is then NULL. */
int floe_meta_create(const struct floe_meta_create_args *args, struct floe_meta **meta, char *err,
                     size_t errcap);

/* floe_meta_parse(text, len, &meta, err, errcap): reads a metadata document from text[0..len)
 * (need not be NUL-terminated; hostile input is fine). Checks every field v2 requires and the
 * type of every field floe reads, the references between them (current schema, default spec,
 * default sort order, current snapshot and refs exist; main equals current-snapshot-id;
 * sequence numbers not above last-sequence-number; unique ids), and builds the typed view.
 * The current schema must be flat and made of types floe writes; a nested or other type is
 * refused naming the column. Returns 0 with *meta owned by the caller, or -EINVAL (invalid or
 * unsupported; err names the field), -ENOTSUP (format-version other than 2), -ENOMEM; *meta is
 * then NULL. */
int floe_meta_parse(const char *text, size_t len, struct floe_meta **meta, char *err,
                    size_t errcap);

/* floe_meta_serialize(meta): the document as compact JSON text, fields in the order they were
 * read or created, unknown fields included. Returns a malloc'd NUL-terminated string the caller
 * frees, or NULL when out of memory. */
char *floe_meta_serialize(const struct floe_meta *meta);

/* floe_meta_free(meta): frees the document and the view; NULL is fine. */
void floe_meta_free(struct floe_meta *meta);

/* floe_meta_add_unpartitioned_spec(meta, &spec_id, err, errcap): makes sure partition-specs
 * holds a spec with no fields — the spec of global equality deletes, which apply to every
 * partition (spec "Scan Planning") — adding {"spec-id": max+1, "fields": []} when none exists.
 * The default spec and last-partition-id are left as they are. Returns 0 with its id (the
 * view rebuilt when it was added), or -ENOMEM with meta unchanged. */
int floe_meta_add_unpartitioned_spec(struct floe_meta *meta, int *spec_id, char *err,
                                     size_t errcap);

/* floe_meta_property(meta, key): the table property's value (view), or NULL. */
const char *floe_meta_property(const struct floe_meta *meta, const char *key);

/* floe_meta_find_snapshot(meta, id): the snapshot with that id (view), or NULL. */
const struct floe_meta_snapshot *floe_meta_find_snapshot(const struct floe_meta *meta, int64_t id);

/* floe_meta_summary_get(snapshot, key): the summary value for key (view), or NULL. */
const char *floe_meta_summary_get(const struct floe_meta_snapshot *snapshot, const char *key);

/* ---- Schema (table_meta_schema.c) ---- */

enum floe_meta_change_kind {
    FLOE_META_ADDED,    /* a new optional column */
    FLOE_META_WIDENED,  /* int → long or float → double */
    FLOE_META_RELAXED,  /* required → optional (config says optional, or left the config) */
};

struct floe_meta_change {
    enum floe_meta_change_kind kind;
    char column[FLOE_NAME_MAX];
    int field_id;
    enum floe_type from, to;  /* WIDENED: the old and new type; otherwise both the type */
    bool wanted_required;     /* ADDED: the config said required (added as optional anyway) */
};

struct floe_meta_evolution {
    bool changed;   /* a schema was added (or an earlier identical one made current) */
    int schema_id;  /* the current schema id after the call */
    int nchanges;
    struct floe_meta_change changes[FLOE_COLUMNS_MAX];
};

/* floe_meta_evolve_schema(meta, wanted, &ev, err, errcap): brings the table's current schema in
 * line with the config's columns, matched by name (spec "Schema Evolution"):
 *   - a config column the table lacks is added as an optional field with the next id after
 *     last-column-id (v2 has no defaults, so it is optional even if the config says required;
 *     the change records that);
 *   - int → long and float → double are applied;
 *   - a table column that is required becomes optional when the config says optional or no
 *     longer has it (a column left out of the config stays in the table and is written null);
 *   - any other type change, optional → required, or relaxing an identifier field is refused
 *     naming the column.
 * When something changed, a new schema (a copy of the current one, unknown attributes kept,
 * new fields appended) gets schema-id max+1 — or the id of an identical earlier schema, as Java
 * reuses it — and becomes current; last-column-id is raised. ev may be NULL.
 * Returns 0 (ev filled, the view rebuilt: meta->schema is the new schema), or -EINVAL with a
 * reason in err, -ENOMEM; on failure meta is unchanged. */
int floe_meta_evolve_schema(struct floe_meta *meta, const struct floe_schema *wanted,
                            struct floe_meta_evolution *ev, char *err, size_t errcap);

/* floe_meta_evolution_describe(ev, buf, cap): one human line per change ("added column age
 * (field 6) as optional; the config says required, but Iceberg adds columns as optional"),
 * "schema unchanged" when there are none. Always NUL-terminated; truncated to cap. Returns the
 * length it would have written (like snprintf). */
int floe_meta_evolution_describe(const struct floe_meta_evolution *ev, char *buf, size_t cap);

/* floe_meta_bind_schema(meta, config, out, err, errcap): maps the config's columns onto the
 * table's current schema for writers: out gets the config's columns in config order, each with
 * the table's field id, type and required flag. Every table column left out of config must be
 * optional (so omitting it from files reads as null). Returns 0, or -EINVAL with a reason (a
 * column is missing or incompatible: run floe_meta_evolve_schema first); *out is then
 * unspecified. */
int floe_meta_bind_schema(const struct floe_meta *meta, const struct floe_schema *config,
                          struct floe_schema *out, char *err, size_t errcap);

/* ---- Snapshots (table_meta_snapshot.c) ---- */

struct floe_meta_commit {
    int64_t snapshot_id;        /* positive, unused in this table */
    int64_t timestamp_ms;       /* the snapshot's; also last-updated-ms (never moved back) */
    const char *manifest_list;  /* location of the snapshot's manifest list */
    const char *operation;      /* "append", "overwrite", "delete" or "replace" */
    const struct floe_meta_kv *summary; /* added-*, removed-*, deleted-*, floe.*; no "operation" */
    size_t nsummary;
    const char *previous_metadata; /* the metadata file this one replaces; NULL for the first */
};

/* floe_meta_add_snapshot(meta, commit, err, errcap): commits a snapshot on main: appends it to
 * `snapshots` with parent = the current snapshot, sequence-number = last-sequence-number + 1,
 * schema-id = current schema, summary = operation, the caller's entries, then the totals
 * (total-records, total-files-size, total-data-files, total-delete-files,
 * total-position-deletes, total-equality-deletes) computed from the parent's totals as Java's
 * SnapshotProducer does, unless the caller gave them. Then sets last-sequence-number,
 * last-updated-ms, current-snapshot-id and refs.main (a branch; other attributes of main kept),
 * appends to snapshot-log, and appends {previous last-updated-ms, previous_metadata} to
 * metadata-log, keeping at most `write.metadata.previous-versions-max` (default 100) entries.
 * Returns 0 (view rebuilt), or -EINVAL (bad argument, duplicate summary key), -EEXIST (the
 * snapshot id is taken), -ERANGE (timestamp more than a minute before the last snapshot-log
 * entry: Java readers reject unsorted logs; or last-sequence-number is INT64_MAX), -ENOMEM,
 * with a reason in err; meta unchanged then. */
int floe_meta_add_snapshot(struct floe_meta *meta, const struct floe_meta_commit *commit,
                           char *err, size_t errcap);

/* floe_meta_record_previous(meta, previous, now_ms, err, errcap): for a new metadata version
 * that adds no snapshot (a schema change, an expiry): appends {the previous last-updated-ms,
 * previous} to metadata-log (previous may be NULL: no entry), trimmed as in add_snapshot, and
 * sets last-updated-ms to now_ms (never backwards). Returns 0, or -ENOMEM with meta
 * unchanged. */
int floe_meta_record_previous(struct floe_meta *meta, const char *previous, int64_t now_ms,
                              char *err, size_t errcap);

/* floe_meta_update_total(prev_total, added, removed, &total): Java's rule for one total-*
 * value: with no previous total (NULL or not a number) there is none; otherwise
 * prev + added − removed (each NULL = 0). Returns true with *total set when the total is to be
 * written (defined and ≥ 0), false otherwise. */
bool floe_meta_update_total(const char *prev_total, const char *added, const char *removed,
                            int64_t *total);

/* floe_meta_snapshot_ancestor_summary(meta, key, &snapshot_id): walks main from its head
 * (refs.main, else current-snapshot-id) through parent-snapshot-id and returns the first
 * summary value found for key (view), with the snapshot that has it in *snapshot_id (may be
 * NULL). Returns NULL when no ancestor has the key, the table has no snapshot, or the walk
 * reaches an expired parent. Loops in hostile metadata end the walk. */
const char *floe_meta_snapshot_ancestor_summary(const struct floe_meta *meta, const char *key,
                                                int64_t *snapshot_id);

/* floe_meta_expire_select(meta, keep_last, max_age_ms, now_ms, &ids, &n): the snapshots to
 * expire. Kept: every snapshot a ref (branch or tag) points at; on each branch the keep_last
 * newest ancestors (at least 1) and every ancestor younger than max_age_ms; any other
 * snapshot younger than max_age_ms. max_age_ms 0 keeps nothing by age. Returns 0 with *ids a
 * malloc'd array (caller frees; NULL when *n is 0), or -ENOMEM. */
int floe_meta_expire_select(const struct floe_meta *meta, int keep_last, int64_t max_age_ms,
                            int64_t now_ms, int64_t **ids, size_t *n);

/* floe_meta_remove_snapshots(meta, ids, n, now_ms, err, errcap): removes those snapshots from
 * `snapshots`, their `statistics`/`partition-statistics` entries, and the snapshot-log history
 * up to the last removed entry (as Java does, so time travel has no gaps); sets
 * last-updated-ms to now_ms (never backwards). The caller deletes files no longer used. Ids not
 * in the table are ignored. Returns 0, or -EINVAL when an id is the current snapshot or a
 * ref's target, -ENOMEM, with a reason in err; meta unchanged then. */
int floe_meta_remove_snapshots(struct floe_meta *meta, const int64_t *ids, size_t n,
                               int64_t now_ms, char *err, size_t errcap);

#endif
