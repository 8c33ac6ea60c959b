/* table_cmd.c — `floe table create|show|snapshots|expire|delete`: managing the config's table
 * by hand. */
#include "table_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lines.h"
#include "table.h"
#include "upsert.h"

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

struct delete_run {
    struct floe_upsert up;
    const char *file;
    uint64_t keys;
    bool failed;
};

/* Adds one key; a full batch is committed first. */
static int delete_key(struct delete_run *d, const char *text, size_t n, const char *where)
{
    char why[256];
    int rc = floe_upsert_delete(&d->up, text, n, why, sizeof(why));
    if (rc == -ENOSPC) {
        int64_t id;
        if ((rc = floe_upsert_commit(&d->up, NULL, 0, &id)) < 0) {
            fprintf(stderr, "floe table delete: %s\n", d->up.err);
            return rc;
        }
        rc = floe_upsert_delete(&d->up, text, n, why, sizeof(why));
    }
    if (rc < 0) {
        fprintf(stderr, "floe table delete: %s%s\n", where, why);
        return rc;
    }
    d->keys++;
    return 0;
}

static int on_key_line(void *ctx, const uint8_t *line, size_t n, uint64_t lineno)
{
    struct delete_run *d = ctx;
    char where[300];
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) {
        n--;
    }
    if (n == 0) {
        return 0;
    }
    snprintf(where, sizeof(where), "%s:%" PRIu64 ": ", d->file, lineno);
    if (delete_key(d, (const char *)line, n, where) < 0) {
        d->failed = true;
        return -1;
    }
    return 0;
}

static void on_long_key(void *ctx, uint64_t lineno)
{
    struct delete_run *d = ctx;
    fprintf(stderr, "floe table delete: %s:%" PRIu64 ": line too long for a key\n", d->file,
            lineno);
    d->failed = true;
}

/* Removes keys with one global equality delete per commit (normally one commit). Every key is
 * checked before anything is committed: a bad key fails the whole command. */
static int cmd_delete(const struct floe_config *cfg, const struct floe_table_keys *k)
{
    struct floe_table t;
    struct delete_run d;
    int status = 1;
    enum { MAX_KEY_LINE = 1 << 16 };
    uint8_t *buf = NULL;
    memset(&d, 0, sizeof(d));
    if (!k || k->nkeys + k->nfiles == 0) {
        fprintf(stderr, "floe table delete: give the keys with --key K or --keys-from FILE\n");
        return 2;
    }
    if (open_loaded(cfg, &t) < 0) {
        return 1;
    }
    if (floe_table_check_spec(&t, cfg) < 0) {
        fprintf(stderr, "floe table delete: %s\n", t.err);
        floe_table_close(&t);
        return 1;
    }
    if (!cfg->table.key || !*cfg->table.key) {
        fprintf(stderr, "floe table delete: no key column (table.key is empty)\n");
        floe_table_close(&t);
        return 1;
    }
    uint64_t memory = cfg->limits.memory - cfg->dedup.memory; /* the config check keeps 4M */
    if (floe_upsert_init(&d.up, cfg, &t, memory) < 0) {
        fprintf(stderr, "floe table delete: %s\n", d.up.err);
        goto done;
    }
    for (int i = 0; i < k->nkeys; i++) {
        if (delete_key(&d, k->keys[i], strlen(k->keys[i]), "") < 0) {
            goto done;
        }
    }
    size_t cap = floe_lines_buffer_size(MAX_KEY_LINE);
    buf = malloc(cap);
    if (!buf) {
        fprintf(stderr, "floe table delete: out of memory\n");
        goto done;
    }
    for (int i = 0; i < k->nfiles; i++) {
        d.file = k->files[i];
        int fd = strcmp(d.file, "-") == 0 ? 0 : open(d.file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "floe table delete: cannot open %s: %s\n", d.file, strerror(errno));
            goto done;
        }
        int rc = floe_read_lines(fd, MAX_KEY_LINE, buf, cap, on_key_line, on_long_key, &d);
        if (fd > 0) {
            close(fd);
        }
        if (rc < 0 || d.failed) {
            if (!d.failed) {
                fprintf(stderr, "floe table delete: reading %s: %s\n", d.file, strerror(-rc));
            }
            goto done;
        }
    }
    int64_t id;
    char count[32];
    snprintf(count, sizeof(count), "%" PRIu64, d.keys);
    struct floe_meta_kv extra[] = {{"floe.deleted-keys", count}};
    if (floe_upsert_commit(&d.up, extra, 1, &id) < 0) {
        fprintf(stderr, "floe table delete: %s\n", d.up.err);
        goto done;
    }
    printf("%s.%s: %" PRIu64 " key%s deleted in every partition (global equality delete), "
           "snapshot %" PRId64 "\n",
           cfg->table.namespace_, cfg->table.name, d.keys, d.keys == 1 ? "" : "s", id);
    status = 0;
done:
    floe_upsert_free(&d.up);
    floe_table_close(&t);
    free(buf);
    return status;
}

int floe_table_cmd(const char *sub, const struct floe_config *cfg,
                   const struct floe_table_keys *keys)
{
    if (strcmp(sub, "delete") == 0) {
        return cmd_delete(cfg, keys);
    }
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
    fprintf(stderr, "floe table: no subcommand '%s' (create, show, snapshots, expire, delete)\n",
            sub);
    return 2;
}
