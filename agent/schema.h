/* schema.h — a table's columns and partition spec as the config writes them.
 *
 *     schema    = id long required, name string, signup_ts timestamptz, age int
 *     partition = day(signup_ts), bucket(16, id)
 *
 * Column types are Iceberg's primitive names. Field ids are not part of the config: the table
 * layer assigns them (1, 2, … for a new table) and keeps them stable as the schema evolves.
 * The structures are fixed-size so that a schema can be copied and compared without
 * allocation.
 */
#ifndef FLOE_SCHEMA_H
#define FLOE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#define FLOE_COLUMNS_MAX 256
#define FLOE_NAME_MAX 128
#define FLOE_PARTITION_FIELDS_MAX 16

enum floe_type {
    FLOE_TYPE_BOOLEAN,
    FLOE_TYPE_INT,
    FLOE_TYPE_LONG,
    FLOE_TYPE_FLOAT,
    FLOE_TYPE_DOUBLE,
    FLOE_TYPE_DATE,
    FLOE_TYPE_TIMESTAMP,
    FLOE_TYPE_TIMESTAMPTZ,
    FLOE_TYPE_STRING,
    FLOE_TYPE_BINARY,
};

struct floe_column {
    char name[FLOE_NAME_MAX];
    enum floe_type type;
    bool required;
    int field_id; /* 0 until the table layer assigns one */
};

struct floe_schema {
    int ncolumns;
    struct floe_column columns[FLOE_COLUMNS_MAX];
};

enum floe_transform {
    FLOE_TRANSFORM_IDENTITY,
    FLOE_TRANSFORM_BUCKET,
    FLOE_TRANSFORM_TRUNCATE,
    FLOE_TRANSFORM_YEAR,
    FLOE_TRANSFORM_MONTH,
    FLOE_TRANSFORM_DAY,
    FLOE_TRANSFORM_HOUR,
    FLOE_TRANSFORM_VOID,
};

struct floe_partition_field {
    int column;                /* index into the schema's columns */
    enum floe_transform transform;
    int param;                 /* N of bucket[N], W of truncate[W]; 0 otherwise */
    char name[FLOE_NAME_MAX + 8]; /* Java's default: signup_ts_day, id_bucket, … */
};

struct floe_partition {
    int nfields;
    struct floe_partition_field fields[FLOE_PARTITION_FIELDS_MAX];
};

/* floe_type_name(type): the Iceberg name ("long", "timestamptz", …). */
const char *floe_type_name(enum floe_type type);

/* floe_type_parse(name, &type): 0 for an Iceberg primitive name; -EINVAL otherwise. */
int floe_type_parse(const char *name, enum floe_type *type);

/* floe_schema_parse(spec, out, err, errcap): parses a comma-separated column list, each
 * `NAME TYPE [required|optional]`. Returns 0 with *out filled (field ids 0), or -EINVAL with a
 * one-line reason in err (always NUL-terminated); *out is then unspecified. Names must be
 * unique and made of letters, digits and underscores. */
int floe_schema_parse(const char *spec, struct floe_schema *out, char *err, size_t errcap);

/* floe_schema_find(schema, name): the index of the column called name, or -1. */
int floe_schema_find(const struct floe_schema *schema, const char *name);

/* floe_transform_name(transform): the Iceberg name without parameter ("bucket", "day", …). */
const char *floe_transform_name(enum floe_transform transform);

/* floe_partition_parse(spec, schema, out, err, errcap): parses a comma-separated list of
 * `COLUMN`, `identity(COLUMN)`, `bucket(N, COLUMN)`, `truncate(W, COLUMN)`, `year(COLUMN)`,
 * `month(COLUMN)`, `day(COLUMN)`, `hour(COLUMN)` or `void(COLUMN)`, each checked against the
 * schema (the column exists and the transform applies to its type). An empty spec is an
 * unpartitioned table. Returns 0 with *out filled, or -EINVAL with a reason in err. */
int floe_partition_parse(const char *spec, const struct floe_schema *schema,
                         struct floe_partition *out, char *err, size_t errcap);

/* floe_schema_json(schema, schema_id, buf, cap): writes the schema as Iceberg schema JSON
 * (`{"type":"struct","schema-id":N,"fields":[{"id","name","required","type"},…]}`) with the
 * columns' field ids. Returns the length written (NUL-terminated), or -ENOSPC if cap is too
 * small (buf then holds a truncated, unusable text). */
int floe_schema_json(const struct floe_schema *schema, int schema_id, char *buf, size_t cap);

#endif
