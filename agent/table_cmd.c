/* table_cmd.c — `floe table create|show|snapshots`: managing the config's table by hand. */
#include "table_cmd.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "table.h"

static void iso_time(int64_t ms, char *buf, size_t cap)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((ms % 1000 + 1000) % 1000));
}

static int open_loaded(const struct floe_config *cfg, struct floe_table *t)
{
    if (floe_table_open(cfg, t) < 0 || floe_table_load(t) < 0) {
        fprintf(stderr, "floe table: %s\n", t->err);
        floe_table_close(t);
        return -1;
    }
    return 0;
}

static int cmd_create(const struct floe_config *cfg)
{
    struct floe_table t;
    bool created = false;
    if (floe_table_open(cfg, &t) < 0) {
        fprintf(stderr, "floe table create: %s\n", t.err);
        return 1;
    }
    int rc = floe_table_create(&t, cfg, &created);
    if (rc < 0) {
        fprintf(stderr, "floe table create: %s\n", t.err);
        floe_table_close(&t);
        return 1;
    }
    printf("%s.%s %s at %s\n", cfg->table.namespace_, cfg->table.name,
           created ? "created" : "already exists and matches the config", t.cat->table_dir);
    floe_table_close(&t);
    return 0;
}

static const char *summary_or(const struct floe_meta_snapshot *s, const char *key,
                              const char *dflt)
{
    const char *v = s ? floe_meta_summary_get(s, key) : NULL;
    return v ? v : dflt;
}

static int cmd_show(const struct floe_config *cfg)
{
    struct floe_table t;
    if (open_loaded(cfg, &t) < 0) {
        return 1;
    }
    const struct floe_meta *m = t.meta;
    printf("table      %s.%s\nlocation   %s\nuuid       %s\nmetadata   %s\nformat     v%d\n",
           cfg->table.namespace_, cfg->table.name, m->location, m->uuid, t.metadata_location,
           m->format_version);
    printf("schema     %d\n", m->current_schema_id);
    for (int i = 0; i < m->schema.ncolumns; i++) {
        const struct floe_column *c = &m->schema.columns[i];
        bool ident = false;
        for (int k = 0; k < m->nidentifier; k++) {
            ident |= m->identifier_ids[k] == c->field_id;
        }
        printf("  %4d  %-24s %-12s %s%s\n", c->field_id, c->name, floe_type_name(c->type),
               c->required ? "required" : "optional", ident ? "  (key)" : "");
    }
    printf("partition  spec %d%s\n", m->spec.spec_id, m->spec.nfields ? "" : " (unpartitioned)");
    for (int i = 0; i < m->spec.nfields; i++) {
        const struct floe_meta_spec_field *f = &m->spec.fields[i];
        char transform[40];
        if (f->param) {
            snprintf(transform, sizeof(transform), "%s[%d]", floe_transform_name(f->transform),
                     f->param);
        } else {
            snprintf(transform, sizeof(transform), "%s", floe_transform_name(f->transform));
        }
        printf("  %4d  %-24s %s(%s)\n", f->field_id, f->name, transform,
               f->column >= 0 ? m->schema.columns[f->column].name : "?");
    }
    static const char *const props[] = {"write.format.default",
                                        "write.parquet.compression-codec"};
    printf("properties\n");
    for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
        const char *v = floe_meta_property(m, props[i]);
        if (v) {
            printf("  %s = %s\n", props[i], v);
        }
    }
    const struct floe_meta_snapshot *s = floe_meta_find_snapshot(m, m->current_snapshot_id);
    if (s) {
        char when[64];
        iso_time(s->timestamp_ms, when, sizeof(when));
        printf("snapshot   %" PRId64 " (%s, %s, sequence %" PRId64 ")\n", s->id, when,
               s->operation ? s->operation : "?", s->sequence_number);
    } else {
        printf("snapshot   none\n");
    }
    printf("records    %s\ndata files %s\ndelete files %s\nsize       %s bytes\nsnapshots  %zu\n",
           summary_or(s, "total-records", "0"), summary_or(s, "total-data-files", "0"),
           summary_or(s, "total-delete-files", "0"), summary_or(s, "total-files-size", "0"),
           m->nsnapshots);
    floe_table_close(&t);
    return 0;
}

static int cmd_snapshots(const struct floe_config *cfg)
{
    struct floe_table t;
    if (open_loaded(cfg, &t) < 0) {
        return 1;
    }
    const struct floe_meta *m = t.meta;
    printf("%-20s %-20s %-24s %-10s %12s %8s\n", "snapshot", "parent", "time (UTC)",
           "operation", "records", "files");
    for (size_t i = 0; i < m->nsnapshots; i++) {
        const struct floe_meta_snapshot *s = &m->snapshots[i];
        char when[64], parent[24];
        iso_time(s->timestamp_ms, when, sizeof(when));
        if (s->parent_id >= 0) {
            snprintf(parent, sizeof(parent), "%" PRId64, s->parent_id);
        } else {
            snprintf(parent, sizeof(parent), "-");
        }
        printf("%-20" PRId64 " %-20s %-24s %-10s %12s %8s%s\n", s->id, parent, when,
               s->operation ? s->operation : "?", summary_or(s, "total-records", "?"),
               summary_or(s, "total-data-files", "?"),
               s->id == m->current_snapshot_id ? "  (current)" : "");
    }
    floe_table_close(&t);
    return 0;
}

static int cmd_expire(const struct floe_config *cfg)
{
    struct floe_table t;
    size_t expired = 0, deleted = 0;
    if (cfg->table.snapshots_keep_last <= 0 && cfg->table.snapshots_max_age_ms == 0) {
        printf("no retention set (table.snapshots_keep_last, table.snapshots_max_age): "
               "nothing expires\n");
        return 0;
    }
    if (open_loaded(cfg, &t) < 0) {
        return 1;
    }
    int rc = floe_table_expire(&t, (int)cfg->table.snapshots_keep_last,
                               (int64_t)cfg->table.snapshots_max_age_ms, &expired, &deleted);
    if (rc < 0) {
        fprintf(stderr, "floe table expire: %s\n", t.err);
        floe_table_close(&t);
        return 1;
    }
    printf("%zu snapshot%s expired, %zu file%s deleted, %zu snapshot%s kept\n", expired,
           expired == 1 ? "" : "s", deleted, deleted == 1 ? "" : "s", t.meta->nsnapshots,
           t.meta->nsnapshots == 1 ? "" : "s");
    floe_table_close(&t);
    return 0;
}

int floe_table_cmd(const char *sub, const struct floe_config *cfg)
{
    if (strcmp(sub, "expire") == 0) {
        return cmd_expire(cfg);
    }
    if (strcmp(sub, "create") == 0) {
        return cmd_create(cfg);
    }
    if (strcmp(sub, "show") == 0) {
        return cmd_show(cfg);
    }
    if (strcmp(sub, "snapshots") == 0) {
        return cmd_snapshots(cfg);
    }
    fprintf(stderr, "floe table: no subcommand '%s' (create, show, snapshots, expire)\n", sub);
    return 2;
}
