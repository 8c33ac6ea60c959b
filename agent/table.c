/* table.c — creating, loading and writing Iceberg tables; the optimistic append commit.
 *
 * See table.h for the commit protocol and the paths. Everything a commit needs is written
 * before the catalog's atomic step, so a crash at any point leaves either the old table or the
 * new one; files of a failed commit are unreferenced and are what `floe table expire` would
 * never count as live.
 */
/* syncfs(2): one flush of the table's file system before a commit. */
#define _GNU_SOURCE
#include "table.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdatomic.h>
#include <uv.h>

#include "errbuf.h"
#include "fsutil.h"
#include "log.h"
#include "store.h"
#include "version.h"

#define TABLE_MODULE "table"
#define COMMIT_ATTEMPTS 20
#define MANIFEST_LIST_MAX (256u << 20)

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int
fail(struct floe_table *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->err, sizeof(t->err), fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void uuid_text(const uint8_t u[16], char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], (u[6] & 0x0f) | 0x40, u[7], (u[8] & 0x3f) | 0x80, u[9],
             u[10], u[11], u[12], u[13], u[14], u[15]);
}

int floe_uuid_random(char out[37])
{
    uint8_t u[16];
    int rc = floe_random(u, sizeof(u));
    if (rc == 0) {
        uuid_text(u, out);
    }
    return rc;
}

/* ---- open, load, create ------------------------------------------------------------------- */

int floe_table_open(const struct floe_config *cfg, struct floe_table *t)
{
    char err[512] = "";
    memset(t, 0, sizeof(*t));
    t->version = -1;
    int rc = floe_store_open(cfg, cfg->table.warehouse, &t->store, err, sizeof(err));
    if (rc < 0) {
        fail(t, "table.warehouse %s: %s", cfg->table.warehouse, err[0] ? err : strerror(-rc));
        return rc;
    }
    rc = floe_catalog_store_open(t->store, cfg->table.warehouse, cfg->table.namespace_,
                                 cfg->table.name, &t->cat);
    if (rc < 0) {
        fail(t, "cannot open the catalog at %s: %s", cfg->table.warehouse, strerror(-rc));
        return rc;
    }
    return 0;
}

void floe_table_close(struct floe_table *t)
{
    floe_meta_free(t->meta);
    floe_catalog_free(t->cat);
    floe_store_close(t->store);
    free(t->metadata_location);
    t->meta = NULL;
    t->cat = NULL;
    t->store = NULL;
    t->metadata_location = NULL;
}

int floe_table_load(struct floe_table *t)
{
    t->err[0] = '\0';
    char *text = NULL, *location = NULL;
    size_t len = 0;
    int64_t version = -1;
    char err[512];
    int rc = t->cat->ops->load(t->cat, &text, &len, &version, &location);
    if (rc == -ENOENT) {
        snprintf(t->err, sizeof(t->err), "no table at %s", t->cat->table_dir);
        return rc;
    }
    if (rc < 0) {
        snprintf(t->err, sizeof(t->err), "%s", t->cat->err ? t->cat->err : strerror(-rc));
        return -EINVAL;
    }
    struct floe_meta *meta = NULL;
    rc = floe_meta_parse(text, len, &meta, err, sizeof(err));
    free(text);
    if (rc < 0) {
        fail(t, "%s: %s", location, err);
        free(location);
        return -EINVAL;
    }
    floe_meta_free(t->meta);
    free(t->metadata_location);
    t->meta = meta;
    t->version = version;
    t->metadata_location = location;
    return 0;
}

/* Describes how the table's partition spec differs from table.partition, or returns 0. */
static int compare_spec(struct floe_table *t, const struct floe_config *cfg)
{
    const struct floe_schema *want = cfg->table.parsed_schema;
    const struct floe_schema *have = &t->meta->schema;
    const struct floe_partition *p = cfg->table.parsed_partition;
    const struct floe_meta_spec *s = &t->meta->spec;
    bool same = p->nfields == s->nfields;
    for (int i = 0; same && i < p->nfields; i++) {
        const struct floe_meta_spec_field *f = &s->fields[i];
        same = f->column >= 0 && f->transform == p->fields[i].transform &&
               f->param == p->fields[i].param &&
               strcmp(have->columns[f->column].name, want->columns[p->fields[i].column].name) == 0;
    }
    if (!same) {
        return fail(t,
                    "the table exists with another partition spec than table.partition = %s "
                    "(floe does not change a table's partition spec)",
                    cfg->table.partition);
    }
    return 0;
}

int floe_table_check_spec(struct floe_table *t, const struct floe_config *cfg)
{
    return t->meta ? compare_spec(t, cfg) : fail(t, "the table is not loaded");
}

/* Describes how the table differs from the config (columns by name and type, partition
 * spec), or returns 0 when it matches. */
static int compare_with_config(struct floe_table *t, const struct floe_config *cfg)
{
    const struct floe_schema *want = cfg->table.parsed_schema;
    const struct floe_schema *have = &t->meta->schema;
    for (int i = 0; i < want->ncolumns; i++) {
        int j = floe_schema_find(have, want->columns[i].name);
        if (j < 0) {
            return fail(t,
                        "the table exists without column '%s' (floe import and floe run add "
                        "it; floe table create does not change a table)",
                        want->columns[i].name);
        }
        if (have->columns[j].type != want->columns[i].type) {
            return fail(t, "the table exists with column '%s' as %s, the config says %s",
                        want->columns[i].name, floe_type_name(have->columns[j].type),
                        floe_type_name(want->columns[i].type));
        }
    }
    return compare_spec(t, cfg);
}

int floe_table_create(struct floe_table *t, const struct floe_config *cfg, bool *created)
{
    *created = false;
    int rc = floe_table_load(t);
    if (rc == 0) {
        return compare_with_config(t, cfg) < 0 ? -EEXIST : 0;
    }
    if (rc != -ENOENT) {
        return rc;
    }
    uint8_t uuid[16];
    char err[512];
    struct floe_meta *meta = NULL;
    if (floe_random(uuid, sizeof(uuid)) < 0) {
        return fail(t, "no random bytes for the table uuid");
    }
    struct floe_meta_create_args args = {0};
    args.uuid = uuid;
    args.location = t->cat->table_dir;
    args.schema = cfg->table.parsed_schema;
    args.partition = cfg->table.parsed_partition;
    args.key = cfg->table.key && *cfg->table.key ? cfg->table.key : NULL;
    args.now_ms = now_ms();
    rc = floe_meta_create(&args, &meta, err, sizeof(err));
    if (rc < 0) {
        return fail(t, "cannot create the table metadata: %s", err);
    }
    char *text = floe_meta_serialize(meta);
    floe_meta_free(meta);
    if (!text) {
        return -ENOMEM;
    }
    char *location = NULL;
    rc = t->cat->ops->commit(t->cat, 1, text, strlen(text), &location);
    free(text);
    free(location);
    if (rc == -EEXIST) {
        /* Created by another writer meanwhile: accept it if it matches. */
        rc = floe_table_load(t);
        if (rc == 0 && compare_with_config(t, cfg) < 0) {
            return -EEXIST;
        }
        return rc;
    }
    if (rc < 0) {
        return fail(t, "%s", t->cat->err ? t->cat->err : strerror(-rc));
    }
    *created = true;
    return floe_table_load(t);
}

/* ---- writing data files --------------------------------------------------------------------- */

static int writer_init(struct floe_table_writer *w, struct floe_table *t,
                       const struct floe_config *cfg, size_t row_group_bytes, bool deletes,
                       bool global)
{
    char err[512];
    memset(w, 0, sizeof(*w));
    w->table = t;
    w->deletes = deletes;
    w->global = global;
    t->err[0] = '\0';
    if (floe_meta_bind_schema(t->meta, cfg->table.parsed_schema, &w->bound, err, sizeof(err)) < 0) {
        return fail(t, "%s", err);
    }
    int key = floe_schema_find(&w->bound, cfg->table.key);
    w->key_id = key >= 0 ? w->bound.columns[key].field_id : 0;
    if (deletes) {
        /* Keep the key and the partition's source columns (global: the key alone), in the
         * config's order. */
        if (key < 0) {
            return fail(t, "table.key '%s' is not a column", cfg->table.key);
        }
        struct floe_schema all = w->bound;
        w->bound.ncolumns = 0;
        for (int c = 0; c < all.ncolumns; c++) {
            bool keep = c == key;
            for (int i = 0; i < t->meta->spec.nfields && !keep && !global; i++) {
                keep = all.columns[c].field_id == t->meta->spec.fields[i].source_id;
            }
            if (keep) {
                w->bound.columns[w->bound.ncolumns++] = all.columns[c];
            }
        }
    }
    /* The table's spec, in terms of the bound (config-ordered) columns. */
    const struct floe_meta_spec *s = &t->meta->spec;
    w->spec.nfields = global ? 0 : s->nfields;
    for (int i = 0; i < w->spec.nfields; i++) {
        struct floe_partition_field *f = &w->spec.fields[i];
        f->column = -1;
        for (int c = 0; c < w->bound.ncolumns; c++) {
            if (w->bound.columns[c].field_id == s->fields[i].source_id) {
                f->column = c;
            }
        }
        if (f->column < 0) {
            return fail(t, "partition field '%s' reads a column the config does not have",
                        s->fields[i].name);
        }
        f->transform = s->fields[i].transform;
        f->param = s->fields[i].param;
        snprintf(f->name, sizeof(f->name), "%s", s->fields[i].name);
    }
    /* The files' columns: all of bound, or for deletes the key alone. */
    struct floe_schema *file_schema = malloc(sizeof(*file_schema));
    if (!file_schema) {
        return -ENOMEM;
    }
    *file_schema = w->bound;
    if (deletes) {
        w->key_col = floe_schema_find(&w->bound, cfg->table.key);
        file_schema->ncolumns = 1;
        file_schema->columns[0] = w->bound.columns[w->key_col];
    }
    for (int c = 0; c < file_schema->ncolumns; c++) {
        /* Names must outlive this call: they point into w->bound. */
        int src = deletes ? w->key_col : c;
        w->cols[c] = (struct pq_column){
            w->bound.columns[src].name, floe_pq_type_of(file_schema->columns[c].type),
            file_schema->columns[c].required, file_schema->columns[c].field_id};
    }
    w->nfile_cols = file_schema->ncolumns;
    size_t json_cap = 64 + (size_t)file_schema->ncolumns * (FLOE_NAME_MAX + 96);
    w->schema_json = malloc(json_cap);
    int jrc = w->schema_json ? floe_schema_json(file_schema, t->meta->current_schema_id,
                                                w->schema_json, json_cap)
                             : -ENOMEM;
    free(file_schema);
    if (jrc < 0) {
        return -ENOMEM;
    }
    w->kv.key = "iceberg.schema";
    w->kv.value = w->schema_json;
    /* Encoding threads: a global delete writer has one partition, so one workspace. */
    unsigned cores = uv_available_parallelism();
    w->nws = global || cores < 2 ? 1 : FLOE_TABLE_ENCODE_THREADS;
    w->opt.row_group_bytes = row_group_bytes / (size_t)w->nws;
    w->opt.max_row_groups = 1u << 16;
    w->opt.created_by = "floe " FLOE_VERSION;
    w->opt.kv = &w->kv;
    w->opt.nkv = 1;
    int rc = pq_workspace_size(w->cols, (uint32_t)w->nfile_cols, &w->opt, &w->ws_size);
    if (rc < 0) {
        return fail(t, "cannot size the Parquet writer: %s", strerror(-rc));
    }
    for (int k = 0; k < w->nws; k++) {
        if (!(w->ws[k] = aligned_alloc(64, (w->ws_size + 63) & ~(size_t)63))) {
            return -ENOMEM;
        }
    }
    if (floe_random(w->run_id, sizeof(w->run_id)) < 0) {
        return -ENOMEM;
    }
    return 0;
}

int floe_table_writer_init(struct floe_table_writer *w, struct floe_table *t,
                           const struct floe_config *cfg, size_t row_group_bytes)
{
    return writer_init(w, t, cfg, row_group_bytes, false, false);
}

int floe_table_writer_init_deletes(struct floe_table_writer *w, struct floe_table *t,
                                   const struct floe_config *cfg, size_t row_group_bytes)
{
    return writer_init(w, t, cfg, row_group_bytes, true, false);
}

int floe_table_writer_init_global_deletes(struct floe_table_writer *w, struct floe_table *t,
                                          const struct floe_config *cfg, size_t row_group_bytes)
{
    return writer_init(w, t, cfg, row_group_bytes, true, true);
}

void floe_table_writer_free(struct floe_table_writer *w)
{
    for (int k = 0; k < FLOE_TABLE_ENCODE_THREADS; k++) {
        free(w->ws[k]);
        w->ws[k] = NULL;
    }
    free(w->schema_json);
    w->schema_json = NULL;
}

static void table_file_free(struct floe_table_file *f)
{
    free(f->path);
    free(f->columns);
    free(f->splits);
    free(f->bytes);
}

/* Deletes files [from, to) of pending from its store, best effort (they are referenced by
 * nothing: a leftover is only wasted space). */
static void remove_files(struct floe_table_pending *pending, size_t from, size_t to)
{
    if (!pending->store || from >= to) {
        return;
    }
    const char **paths = malloc((to - from) * sizeof(*paths));
    char err[512] = "";
    if (!paths) {
        return;
    }
    for (size_t i = from; i < to; i++) {
        paths[i - from] = pending->files[i].path;
    }
    if (floe_store_delete(pending->store, paths, to - from, NULL, err, sizeof(err)) < 0) {
        FLOE_WARN(TABLE_MODULE, "cannot remove uncommitted files (%s)", err);
    }
    free(paths);
}

void floe_table_pending_clear(struct floe_table_pending *pending, bool remove)
{
    if (remove) {
        remove_files(pending, 0, pending->n);
    }
    for (size_t i = 0; i < pending->n; i++) {
        table_file_free(&pending->files[i]);
    }
    free(pending->files);
    memset(pending, 0, sizeof(*pending));
}

/* Copies what a closed writer reports into f, owning every byte. */
static int keep_file(struct floe_table_file *f, struct pq_writer *pw, uint32_t ncols,
                     const struct ice_value *partition, int npart, char *path, int32_t equality_id)
{
    struct pq_file_metrics fm;
    struct pq_column_metrics cm[FLOE_COLUMNS_MAX];
    memset(f, 0, sizeof(*f));
    if (pq_file_metrics(pw, &fm) < 0) {
        return -EIO;
    }
    for (uint32_t c = 0; c < ncols; c++) {
        pq_column_metrics(pw, c, &cm[c]);
    }
    size_t bytes = 0;
    for (int i = 0; i < npart; i++) {
        bytes += partition[i].is_null ? 0 : 8 + partition[i].v.bin.n;
    }
    bytes += (size_t)ncols * 2 * PQ_BOUND_MAX;
    f->bytes = malloc(bytes ? bytes : 1);
    f->columns = calloc(ncols ? ncols : 1, sizeof(*f->columns));
    f->splits = malloc((fm.row_groups ? fm.row_groups : 1) * sizeof(int64_t));
    if (!f->bytes || !f->columns || !f->splits) {
        table_file_free(f);
        return -ENOMEM;
    }
    memcpy(f->splits, fm.split_offsets, fm.row_groups * sizeof(int64_t));
    f->path = path;
    floe_manifest_file_from_parquet(&f->df, &fm, cm, ncols, f->columns);
    f->df.split_offsets = f->splits;
    /* Bounds and partition bytes into f->bytes: the writer's workspace is reused next. */
    uint8_t *at = f->bytes;
    for (uint32_t c = 0; c < ncols; c++) {
        struct floe_manifest_column *col = &f->columns[c];
        if (col->lower) {
            memcpy(at, col->lower, col->lower_len);
            col->lower = at;
            at += col->lower_len;
        }
        if (col->upper) {
            memcpy(at, col->upper, col->upper_len);
            col->upper = at;
            at += col->upper_len;
        }
    }
    for (int i = 0; i < npart; i++) {
        f->partition[i] = partition[i];
        bool bytes_value = partition[i].type == ICE_STRING || partition[i].type == ICE_BINARY ||
                           partition[i].type == ICE_FIXED;
        if (!partition[i].is_null && bytes_value && partition[i].v.bin.n) {
            memcpy(at, partition[i].v.bin.p, partition[i].v.bin.n);
            f->partition[i].v.bin.p = at;
            at += partition[i].v.bin.n;
        }
    }
    f->df.content = equality_id ? FLOE_CONTENT_EQUALITY_DELETES : FLOE_CONTENT_DATA;
    if (equality_id) {
        f->equality_ids[0] = equality_id;
        f->df.equality_ids = f->equality_ids; /* re-pointed at commit: the array may move */
        f->df.nequality_ids = 1;
    }
    f->df.path = f->path;
    f->df.format = "PARQUET";
    f->df.partition = f->partition;
    f->df.npartition = (uint32_t)npart;
    return 0;
}

/* The directory of the data files of the partition tuple values (w's spec) into
 * dir[0..cap): the table's data/ and the partition path. 0, or -EINVAL with the reason in
 * err[0..errcap). */
static int data_dir(const struct floe_table_writer *w, const struct ice_value *values, char *dir,
                    size_t cap, char *err, size_t errcap)
{
    char ppath[2048] = "";
    size_t plen = 0;
    struct ice_partition_field fields[FLOE_PARTITION_FIELDS_MAX];
    for (int k = 0; k < w->spec.nfields; k++) {
        struct ice_type result;
        fields[k].name = w->spec.fields[k].name;
        floe_partition_transform(&w->spec.fields[k], &w->bound, &fields[k].transform, &result);
    }
    if (w->spec.nfields > 0 && ice_partition_path(fields, values, (size_t)w->spec.nfields, ppath,
                                                  sizeof(ppath), &plen) < 0) {
        return floe_errbuf_fail(err, errcap, -EINVAL, "partition path longer than %zu bytes",
                                sizeof(ppath));
    }
    int dlen = snprintf(dir, cap, "%s/data%s%s", w->table->cat->table_dir, plen ? "/" : "", ppath);
    if (dlen < 0 || (size_t)dlen >= cap) {
        return floe_errbuf_fail(err, errcap, -EINVAL, "data directory path longer than %zu bytes",
                                cap - 1);
    }
    /* A partition value is a directory name: the file system allows 255 bytes. */
    for (const char *seg = ppath; plen && *seg;) {
        const char *slash = strchr(seg, '/');
        size_t seglen = slash ? (size_t)(slash - seg) : strlen(seg);
        if (seglen > 255) {
            return floe_errbuf_fail(err, errcap, -EINVAL,
                                    "partition path segment longer than 255 bytes (%.60s...): a "
                                    "partition value too long for a directory name",
                                    seg);
        }
        seg += seglen + (slash != NULL);
    }
    return 0;
}

int floe_table_data_dir(const struct floe_table_writer *w, const struct ice_value *values,
                        char *dir, size_t cap)
{
    char err[256];
    return cap == 0 ? -EINVAL : data_dir(w, values, dir, cap, err, sizeof(err));
}

/* Writes partition i of b to a new file numbered seq, with workspace ws; any encoding thread
 * may run it (it reads w and b, writes only *f and err). On success *has says whether a file
 * was written (not when every row of the partition was replaced) and *f holds it, path
 * owned. On failure the reason is in err[0..cap) and nothing is left behind. */
static int write_file(const struct floe_table_writer *w, void *ws, const struct floe_batch *b,
                      uint32_t i, uint32_t seq, struct floe_table_file *f, bool *has, char *err,
                      size_t cap)
{
    struct floe_table *t = w->table;
    const struct ice_value *values;
    uint64_t rows;
    char dir[4096], uuid[37];
    *has = false;
    floe_batch_partition(b, i, &values, &rows);
    if (rows == 0) {
        return 0; /* every row of it was replaced by a newer one */
    }
    int rc = data_dir(w, values, dir, sizeof(dir), err, cap);
    if (rc < 0) {
        return rc;
    }
    uuid_text(w->run_id, uuid);
    size_t path_cap = strlen(dir) + 80;
    char *path = malloc(path_cap);
    char serr[512] = "";
    if (!path) {
        return -ENOMEM;
    }
    int plen_out = snprintf(path, path_cap, "%s/00000-0-%s-%05u%s.parquet", dir, uuid, seq,
                            w->deletes ? "-deletes" : "");
    if (plen_out < 0 || (size_t)plen_out >= path_cap) {
        free(path);
        return floe_errbuf_fail(err, cap, -EINVAL, "data file path too long under %s", dir);
    }
    /* Local: created in place (O_EXCL) with its directories; S3: spooled, uploaded at close.
     * Not fsynced one by one: the commit syncs the file system once before it publishes. */
    struct floe_store_writer *out = NULL;
    rc = floe_store_writer_open(t->store, path, 0, &out, serr, sizeof(serr));
    if (rc < 0) {
        floe_errbuf_fail(err, cap, -EINVAL, "%s", serr[0] ? serr : strerror(-rc));
        free(path);
        return rc;
    }
    struct pq_writer *pw = NULL;
    rc = pq_writer_init(w->cols, (uint32_t)w->nfile_cols, &w->opt, ws, w->ws_size,
                        floe_store_writer_sink, out, &pw);
    if (rc == 0) {
        rc = w->deletes ? floe_batch_write_columns(b, i, pw, &w->key_col, 1)
                        : floe_batch_write(b, i, pw);
    }
    if (rc == 0) {
        rc = pq_close(pw);
    }
    if (rc < 0) {
        floe_store_writer_abort(out);
        floe_errbuf_fail(err, cap, -EINVAL, "writing %s: %s", path, strerror(-rc));
        free(path);
        return rc;
    }
    if ((rc = floe_store_writer_close(out, serr, sizeof(serr))) < 0) {
        floe_errbuf_fail(err, cap, -EINVAL, "writing %s: %s", path, serr[0] ? serr : strerror(-rc));
        free(path);
        return rc;
    }
    rc = keep_file(f, pw, (uint32_t)w->nfile_cols, values, w->spec.nfields, path,
                   w->deletes ? w->key_id : 0);
    if (rc < 0) {
        const char *one = path;
        floe_errbuf_fail(err, cap, -EINVAL, "writing %s: %s", path, strerror(-rc));
        floe_store_delete(t->store, &one, 1, NULL, serr, sizeof(serr));
        free(path);
        return rc;
    }
    *has = true;
    return 0;
}

/* A batch being encoded: partitions are taken in turn by the encoding threads. */
struct encode_job {
    const struct floe_table_writer *w;
    const struct floe_batch *b;
    uint32_t n, seq0;
    struct floe_table_file *files; /* [n], by partition */
    bool *has;                     /* [n] */
    atomic_uint next;              /* the next partition to take */
    atomic_bool stop;              /* a thread failed: the others stop taking */
};

struct encode_thread {
    struct encode_job *job;
    void *ws;
    uv_thread_t tid;
    int rc;
    char err[512];
};

static void encode_run(void *arg)
{
    struct encode_thread *th = arg;
    struct encode_job *j = th->job;
    while (!atomic_load(&j->stop)) {
        unsigned i = atomic_fetch_add(&j->next, 1);
        if (i >= j->n) {
            break;
        }
        th->rc = write_file(j->w, th->ws, j->b, i, j->seq0 + i, &j->files[i], &j->has[i], th->err,
                            sizeof(th->err));
        if (th->rc < 0) {
            atomic_store(&j->stop, true);
            break;
        }
    }
}

int floe_table_write_batch(struct floe_table_writer *w, const struct floe_batch *b,
                           struct floe_table_pending *pending)
{
    struct floe_table *t = w->table;
    uint32_t n = floe_batch_partitions(b);
    struct encode_job job = {.w = w, .b = b, .n = n, .seq0 = w->seq + 1};
    struct encode_thread th[FLOE_TABLE_ENCODE_THREADS];
    int nth = floe_store_is_local(t->store) ? w->nws : 1, rc = 0;
    t->err[0] = '\0';
    if (n == 0) {
        return 0;
    }
    nth = (uint32_t)nth > n ? (int)n : nth;
    if (pending->cap - pending->n < n) {
        size_t cap = pending->n + n < 16 ? 16 : pending->n + n;
        struct floe_table_file *grown = realloc(pending->files, cap * sizeof(*grown));
        if (!grown) {
            fail(t, "out of memory");
            return -ENOMEM;
        }
        pending->files = grown;
        pending->cap = cap;
    }
    job.files = calloc(n, sizeof(*job.files));
    job.has = calloc(n, sizeof(*job.has));
    if (!job.files || !job.has) {
        free(job.files);
        free(job.has);
        fail(t, "out of memory");
        return -ENOMEM;
    }
    w->seq += n;
    atomic_init(&job.next, 0);
    atomic_init(&job.stop, false);
    for (int k = 0; k < nth; k++) {
        th[k] = (struct encode_thread){.job = &job, .ws = w->ws[k]};
    }
    /* Helpers first, then this thread takes its share; a helper that cannot start leaves
     * its share to the others. */
    for (int k = 1; k < nth; k++) {
        if (uv_thread_create(&th[k].tid, encode_run, &th[k]) != 0) {
            th[k].job = NULL;
        }
    }
    encode_run(&th[0]);
    for (int k = 1; k < nth; k++) {
        if (th[k].job) {
            uv_thread_join(&th[k].tid);
        }
    }
    for (int k = 0; k < nth && rc == 0; k++) {
        if (th[k].job && th[k].rc < 0) {
            rc = th[k].rc;
            snprintf(t->err, sizeof(t->err), "%s", th[k].err[0] ? th[k].err : strerror(-rc));
        }
    }
    /* In partition order, so the files of a batch are listed as a sequential write would. */
    size_t before = pending->n;
    for (uint32_t i = 0; i < n; i++) {
        if (job.has[i]) {
            pending->files[pending->n++] = job.files[i];
        }
    }
    if (rc < 0) {
        pending->store = t->store;
        remove_files(pending, before, pending->n);
        for (size_t k = before; k < pending->n; k++) {
            table_file_free(&pending->files[k]);
        }
        pending->n = before;
    } else {
        for (size_t k = before; k < pending->n; k++) {
            pending->rows += (uint64_t)pending->files[k].df.record_count;
            pending->bytes += (uint64_t)pending->files[k].df.file_size_in_bytes;
        }
        pending->store = t->store;
    }
    free(job.files);
    free(job.has);
    return rc;
}

/* ---- the append commit ------------------------------------------------------------------ */

/* Manifest-list rows carried over from the parent snapshot, with owned strings and bytes. */
struct carried {
    struct floe_mlist_row *rows;
    struct floe_mlist_summary **sums;
    void **owned; /* every allocation, freed together */
    size_t n, cap, nowned, owned_cap;
};

static void carried_free(struct carried *c)
{
    for (size_t i = 0; i < c->nowned; i++) {
        free(c->owned[i]);
    }
    free(c->owned);
    free(c->rows);
    free(c->sums);
    memset(c, 0, sizeof(*c));
}

static void *own(struct carried *c, const void *src, size_t n)
{
    if (c->nowned == c->owned_cap) {
        size_t cap = c->owned_cap ? c->owned_cap * 2 : 64;
        void **grown = realloc(c->owned, cap * sizeof(*grown));
        if (!grown) {
            return NULL;
        }
        c->owned = grown;
        c->owned_cap = cap;
    }
    void *p = malloc(n ? n : 1);
    if (p && n) {
        memcpy(p, src, n);
    }
    if (p) {
        c->owned[c->nowned++] = p;
    }
    return p;
}

/* A location in metadata as a local path: plain, file:/path or file:///path. */
static const char *local_path(const char *location)
{
    if (strncmp(location, "file://", 7) == 0) {
        return location + 7;
    }
    if (strncmp(location, "file:", 5) == 0) {
        return location + 5;
    }
    return location;
}

/* Reads a manifest list or manifest (what names it in messages) from the table's store. */
static int read_object(struct floe_table *t, const char *location, const char *what, char **data,
                       size_t *len)
{
    char err[512] = "";
    int rc = floe_store_get(t->store, location, MANIFEST_LIST_MAX, data, len, err, sizeof(err));
    if (rc < 0) {
        fail(t, "cannot read %s %s: %s", what, location,
             rc == -EFBIG ? "too large"
             : err[0]     ? err
                          : strerror(-rc));
    }
    return rc;
}

/* Reads the current snapshot's manifest list into c (nothing when there is no snapshot). */
static int carry_parent(struct floe_table *t, struct carried *c)
{
    const struct floe_meta_snapshot *s =
        floe_meta_find_snapshot(t->meta, t->meta->current_snapshot_id);
    if (!s) {
        return 0;
    }
    char *data = NULL;
    size_t len = 0;
    const char *path = s->manifest_list;
    int rc = read_object(t, path, "manifest list", &data, &len);
    if (rc < 0) {
        return rc;
    }
    struct floe_mlist_reader r;
    memset(&r, 0, sizeof(r));
    rc = floe_mlist_reader_open(&r, (const uint8_t *)data, len);
    struct floe_mlist_row row;
    while (rc == 0 && (rc = floe_mlist_reader_next(&r, &row)) == 1) {
        rc = 0;
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 16;
            struct floe_mlist_row *rows = realloc(c->rows, cap * sizeof(*rows));
            struct floe_mlist_summary **sums = rows ? realloc(c->sums, cap * sizeof(*sums)) : NULL;
            if (rows) {
                c->rows = rows;
            }
            if (!rows || !sums) {
                rc = -ENOMEM;
                break;
            }
            c->sums = sums;
            c->cap = cap;
        }
        struct floe_mlist_row *dst = &c->rows[c->n];
        *dst = row;
        /* Every copy is checked: a NULL bound would read as "no values" to planners. */
        bool ok = true;
        dst->path = own(c, row.path, strlen(row.path) + 1);
        ok = dst->path != NULL;
        if (row.key_metadata) {
            dst->key_metadata = own(c, row.key_metadata, row.key_metadata_len);
            ok = ok && dst->key_metadata;
        }
        struct floe_mlist_summary *sums = NULL;
        if (ok && row.partitions) {
            sums = own(c, row.partitions, row.npartitions * sizeof(*sums));
            ok = sums != NULL;
            for (uint32_t k = 0; ok && k < row.npartitions; k++) {
                if (sums[k].lower) {
                    sums[k].lower = own(c, sums[k].lower, sums[k].lower_len);
                    ok = sums[k].lower != NULL;
                }
                if (ok && sums[k].upper) {
                    sums[k].upper = own(c, sums[k].upper, sums[k].upper_len);
                    ok = sums[k].upper != NULL;
                }
            }
        }
        dst->partitions = sums;
        c->sums[c->n] = sums;
        if (!ok) {
            rc = -ENOMEM;
            break;
        }
        c->n++;
    }
    floe_mlist_reader_close(&r);
    free(data);
    if (rc < 0) {
        return fail(t, "cannot read manifest list %s: %s", path, strerror(-rc));
    }
    return 0;
}

/* The table's default spec in the manifest module's terms; names point into t->meta. */
static int manifest_spec(struct floe_table *t, struct floe_manifest_spec *spec,
                         struct floe_manifest_spec_field *fields, char names[][32])
{
    const struct floe_meta_spec *s = &t->meta->spec;
    for (int i = 0; i < s->nfields; i++) {
        const struct floe_meta_spec_field *f = &s->fields[i];
        struct floe_partition_field pf = {f->column, f->transform, f->param, ""};
        struct ice_transform tr;
        if (f->column < 0 ||
            floe_partition_transform(&pf, &t->meta->schema, &tr, &fields[i].type) < 0) {
            return fail(t, "partition field '%s' has no usable source column", f->name);
        }
        if (f->param) {
            snprintf(names[i], 32, "%s[%d]", floe_transform_name(f->transform), f->param);
        } else {
            snprintf(names[i], 32, "%s", floe_transform_name(f->transform));
        }
        fields[i].field_id = f->field_id;
        fields[i].source_id = f->source_id;
        fields[i].name = f->name;
        fields[i].transform = names[i];
    }
    spec->spec_id = s->spec_id;
    spec->fields = fields;
    spec->nfields = (uint32_t)s->nfields;
    return 0;
}

/* Writes an Avro file through a writer function into a new object at path (durable when this
 * returns 0; nothing left behind otherwise). */
static int write_avro(struct floe_table *t, const char *path,
                      int (*emit)(void *arg, floe_manifest_sink_fn sink, void *ctx,
                                  uint64_t *length),
                      void *arg, uint64_t *length)
{
    char err[512] = "";
    struct floe_store_writer *out = NULL;
    int rc = floe_store_writer_open(t->store, path, FLOE_STORE_SYNC, &out, err, sizeof(err));
    if (rc < 0) {
        fail(t, "%s", err[0] ? err : strerror(-rc));
        return rc;
    }
    rc = emit(arg, floe_store_writer_sink, out, length);
    if (rc < 0) {
        floe_store_writer_abort(out);
        fail(t, "writing %s: %s", path, strerror(-rc));
        return rc;
    }
    if ((rc = floe_store_writer_close(out, err, sizeof(err))) < 0) {
        fail(t, "writing %s: %s", path, err[0] ? err : strerror(-rc));
    }
    return rc;
}

struct manifest_job {
    const struct floe_manifest_info *info;
    const struct floe_manifest_entry *entries;
    size_t n;
};

static int emit_manifest(void *arg, floe_manifest_sink_fn sink, void *ctx, uint64_t *length)
{
    struct manifest_job *j = arg;
    size_t cap = floe_manifest_work_size(j->info, j->entries, j->n);
    uint8_t *work = cap ? malloc(cap) : NULL;
    if (!work) {
        return cap ? -ENOMEM : -EINVAL;
    }
    int rc = floe_manifest_write(j->info, j->entries, j->n, work, cap, sink, ctx, length);
    free(work);
    return rc;
}

struct list_job {
    const struct floe_mlist_info *info;
    const struct floe_mlist_row *rows;
    size_t n;
};

static int emit_list(void *arg, floe_manifest_sink_fn sink, void *ctx, uint64_t *length)
{
    struct list_job *j = arg;
    size_t cap = floe_mlist_work_size(j->rows, j->n);
    uint8_t *work = cap ? malloc(cap) : NULL;
    if (!work) {
        return cap ? -ENOMEM : -EINVAL;
    }
    int rc = floe_mlist_write(j->info, j->rows, j->n, work, cap, sink, ctx, length);
    free(work);
    return rc;
}

struct tuple_ref {
    uint64_t hash;
    const struct floe_table_file *file;
};

static int cmp_tuple_ref(const void *a, const void *b)
{
    uint64_t x = ((const struct tuple_ref *)a)->hash, y = ((const struct tuple_ref *)b)->hash;
    return x < y ? -1 : x > y;
}

/* How many distinct partition tuples the files of both lists cover (Java counts data and
 * delete files together). Sorted by hash; equal hashes are compared. */
static size_t distinct_partitions(const struct floe_table_pending *a,
                                  const struct floe_table_pending *b)
{
    size_t n = (a ? a->n : 0) + (b ? b->n : 0), k = 0, distinct = 0;
    struct tuple_ref *refs = n ? malloc(n * sizeof(*refs)) : NULL;
    if (!refs) {
        return 0;
    }
    for (int l = 0; l < 2; l++) {
        const struct floe_table_pending *p = l ? b : a;
        for (size_t i = 0; p && i < p->n; i++) {
            const struct floe_table_file *f = &p->files[i];
            refs[k].hash = floe_ice_tuple_hash(f->partition, (int)f->df.npartition);
            refs[k++].file = f;
        }
    }
    qsort(refs, n, sizeof(*refs), cmp_tuple_ref);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = i; j-- > 0 && refs[j].hash == refs[i].hash && !seen;) {
            seen = floe_ice_tuple_equal(refs[i].file->partition, refs[j].file->partition,
                                        (int)refs[i].file->df.npartition);
        }
        distinct += !seen;
    }
    free(refs);
    return distinct;
}

/* After a change to t->meta that was not committed: reload what the catalog holds, so no
 * uncommitted snapshot or schema stays in memory; without it, drop the metadata (calls then
 * fail with "not loaded" until a load succeeds). */
static void rollback(struct floe_table *t)
{
    char keep[sizeof(t->err)];
    memcpy(keep, t->err, sizeof(keep)); /* the reason of the failure, not the reload's */
    if (floe_table_load(t) < 0) {
        floe_meta_free(t->meta);
        t->meta = NULL;
    }
    memcpy(t->err, keep, sizeof(keep));
}

/* One manifest of a commit: its files, entries and list row. */
struct commit_manifest {
    struct floe_table_pending *files;
    int32_t content; /* FLOE_MANIFEST_CONTENT_* */
    bool global;     /* deletes under the unpartitioned spec */
    struct floe_manifest_entry *entries;
    char *path;
    uint64_t length;
    struct floe_mlist_summary sums[FLOE_PARTITION_FIELDS_MAX];
    uint8_t bounds[FLOE_PARTITION_FIELDS_MAX * 2 * 64];
};

static int sync_table(struct floe_table *t)
{
    char err[512] = "";
    int rc = floe_store_sync(t->store, t->cat->table_dir, err, sizeof(err));
    if (rc < 0) {
        fail(t, "%s", err[0] ? err : strerror(-rc));
    }
    return rc;
}

/* Deletes one file of a commit that did not land, best effort (nothing references it). */
static void remove_one(struct floe_table *t, const char *location)
{
    char err[512] = "";
    if (floe_store_delete(t->store, &location, 1, NULL, err, sizeof(err)) < 0) {
        FLOE_WARN(TABLE_MODULE, "cannot remove %s (%s)", location, err);
    }
}

static int ensure_unpartitioned_spec(struct floe_table *t);

int floe_table_commit(struct floe_table *t, struct floe_table_pending *data,
                      struct floe_table_pending *deletes, struct floe_table_pending *global,
                      const struct floe_meta_kv *extra, size_t nextra, int64_t *snapshot_id)
{
    struct floe_manifest_spec spec, unpartitioned = {0};
    struct floe_manifest_spec_field fields[FLOE_PARTITION_FIELDS_MAX];
    char transforms[FLOE_PARTITION_FIELDS_MAX][32];
    struct commit_manifest *ms = calloc(3, sizeof(*ms));
    char *schema_json = NULL, *list = NULL, *text = NULL;
    struct carried carried = {0};
    struct floe_mlist_row *rows = NULL;
    uint8_t commit_id[16];
    char commit_uuid[37];
    int64_t id = 0;
    size_t nms = 0;
    bool committed = false;
    struct floe_meta_kv *summary = NULL;
    int rc;

    t->err[0] = '\0';
    if (!ms) {
        return -ENOMEM;
    }
    if (!t->meta) {
        free(ms);
        return fail(t, "the table is not loaded");
    }
    if (data && data->n) {
        ms[nms++] = (struct commit_manifest){.files = data, .content = FLOE_MANIFEST_CONTENT_DATA};
    }
    if (deletes && deletes->n) {
        ms[nms++] =
            (struct commit_manifest){.files = deletes, .content = FLOE_MANIFEST_CONTENT_DELETES};
    }
    if (global && global->n) {
        ms[nms++] = (struct commit_manifest){
            .files = global, .content = FLOE_MANIFEST_CONTENT_DELETES, .global = true};
    }
    if (nms == 0) {
        free(ms);
        return fail(t, "nothing to commit");
    }
    /* Global deletes go in a manifest of the unpartitioned spec, added once to the table. */
    if (global && global->n && (rc = ensure_unpartitioned_spec(t)) < 0) {
        free(ms);
        return rc;
    }
    unpartitioned.spec_id = t->meta->unpartitioned_spec_id;
    if (floe_random(commit_id, sizeof(commit_id)) < 0 || floe_random(&id, sizeof(id)) < 0) {
        free(ms);
        return fail(t, "no random bytes");
    }
    id = (int64_t)((uint64_t)id >> 1);
    id = id ? id : 1;
    uuid_text(commit_id, commit_uuid);
    size_t path_cap = strlen(t->cat->table_dir) + 128;
    list = malloc(path_cap);
    size_t json_cap = 64 + (size_t)t->meta->schema.ncolumns * (FLOE_NAME_MAX + 96);
    schema_json = malloc(json_cap);
    if (!list || !schema_json) {
        rc = -ENOMEM;
        goto done;
    }
    if ((rc = manifest_spec(t, &spec, fields, transforms)) < 0 ||
        (rc = floe_schema_json(&t->meta->schema, t->meta->current_schema_id, schema_json,
                               json_cap)) < 0) {
        goto done;
    }
    /* Data and delete files reach the disk before any metadata names them. */
    if ((rc = sync_table(t)) < 0) {
        goto done;
    }
    /* Each manifest is written once: its entries inherit the sequence number from the list. */
    for (size_t m = 0; m < nms; m++) {
        struct commit_manifest *cm = &ms[m];
        cm->entries = calloc(cm->files->n, sizeof(*cm->entries));
        cm->path = malloc(path_cap);
        if (!cm->entries || !cm->path) {
            rc = -ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < cm->files->n; i++) {
            struct floe_table_file *f = &cm->files->files[i];
            struct floe_manifest_entry *e = &cm->entries[i];
            e->status = FLOE_MANIFEST_ADDED;
            e->has_snapshot_id = true;
            e->snapshot_id = id;
            e->file = f->df;
            /* The pending array may have moved since the file was kept. */
            e->file.partition = f->partition;
            if (f->df.nequality_ids) {
                e->file.equality_ids = f->equality_ids;
            }
        }
        snprintf(cm->path, path_cap, "%s/metadata/%s-m%zu.avro", t->cat->table_dir, commit_uuid, m);
        struct floe_manifest_info info = {schema_json,
                                          strlen(schema_json),
                                          t->meta->current_schema_id,
                                          cm->global ? &unpartitioned : &spec,
                                          cm->content,
                                          NULL};
        struct manifest_job mj = {&info, cm->entries, cm->files->n};
        if ((rc = write_avro(t, cm->path, emit_manifest, &mj, &cm->length)) < 0) {
            cm->length = 0;
            goto done;
        }
    }

    /* Summary (names of SnapshotSummary.java). */
    uint64_t data_files = data ? data->n : 0, data_rows = data ? data->rows : 0;
    uint64_t del_files = (deletes ? deletes->n : 0) + (global ? global->n : 0);
    uint64_t del_rows = (deletes ? deletes->rows : 0) + (global ? global->rows : 0);
    uint64_t bytes =
        (data ? data->bytes : 0) + (deletes ? deletes->bytes : 0) + (global ? global->bytes : 0);
    size_t parts = distinct_partitions(data, deletes);
    char v[6][32];
    summary = malloc((nextra + 8) * sizeof(*summary));
    size_t ns = 0;
    if (!summary) {
        rc = -ENOMEM;
        goto done;
    }
    if (data_files) {
        snprintf(v[0], 32, "%" PRIu64, data_files);
        snprintf(v[1], 32, "%" PRIu64, data_rows);
        summary[ns++] = (struct floe_meta_kv){"added-data-files", v[0]};
        summary[ns++] = (struct floe_meta_kv){"added-records", v[1]};
    }
    if (del_files) {
        snprintf(v[2], 32, "%" PRIu64, del_files);
        snprintf(v[3], 32, "%" PRIu64, del_rows);
        summary[ns++] = (struct floe_meta_kv){"added-delete-files", v[2]};
        summary[ns++] = (struct floe_meta_kv){"added-equality-delete-files", v[2]};
        summary[ns++] = (struct floe_meta_kv){"added-equality-deletes", v[3]};
    }
    snprintf(v[4], 32, "%" PRIu64, bytes);
    snprintf(v[5], 32, "%zu", parts);
    summary[ns++] = (struct floe_meta_kv){"added-files-size", v[4]};
    summary[ns++] = (struct floe_meta_kv){"changed-partition-count", v[5]};
    for (size_t i = 0; i < nextra; i++) {
        summary[ns++] = extra[i];
    }
    const char *operation = !del_files ? "append" : !data_files ? "delete" : "overwrite";

    for (int attempt = 0;; attempt++) {
        char err[512];
        carried_free(&carried);
        if ((rc = carry_parent(t, &carried)) < 0) {
            goto done;
        }
        int64_t seq = t->meta->last_sequence_number + 1;
        free(rows);
        rows = calloc(carried.n + nms, sizeof(*rows));
        if (!rows) {
            rc = -ENOMEM;
            goto done;
        }
        for (size_t m = 0; m < nms; m++) {
            struct commit_manifest *cm = &ms[m];
            rc = floe_manifest_summarize(cm->global ? &unpartitioned : &spec, cm->entries,
                                         cm->files->n, seq, id, &rows[m], cm->sums, cm->bounds,
                                         sizeof(cm->bounds));
            if (rc < 0) {
                fail(t, "cannot summarize the manifest: %s", strerror(-rc));
                goto done;
            }
            rows[m].path = cm->path;
            rows[m].length = (int64_t)cm->length;
            rows[m].content = cm->content;
        }
        if (carried.n) {
            memcpy(rows + nms, carried.rows, carried.n * sizeof(*rows));
        }
        /* The caller's check sees the parent this attempt builds on (table.h). */
        if (t->check && (rc = t->check(t->check_ctx, t->meta)) < 0) {
            if (!t->err[0]) {
                fail(t, "commit refused by its check: %s", strerror(-rc));
            }
            goto done;
        }
        snprintf(list, path_cap, "%s/metadata/snap-%" PRId64 "-%d-%s.avro", t->cat->table_dir, id,
                 attempt + 1, commit_uuid);
        const struct floe_meta_snapshot *parent =
            floe_meta_find_snapshot(t->meta, t->meta->current_snapshot_id);
        struct floe_mlist_info linfo = {id, parent != NULL, parent ? parent->id : 0, seq, NULL};
        struct list_job lj = {&linfo, rows, carried.n + nms};
        uint64_t list_len = 0;
        if ((rc = write_avro(t, list, emit_list, &lj, &list_len)) < 0) {
            goto done;
        }
        int64_t ts = now_ms();
        if (ts < t->meta->last_updated_ms) {
            ts = t->meta->last_updated_ms;
        }
        struct floe_meta_commit commit = {
            id, ts, list, operation, summary, ns, t->metadata_location};
        rc = floe_meta_add_snapshot(t->meta, &commit, err, sizeof(err));
        if (rc < 0) {
            remove_one(t, list);
            fail(t, "cannot add the snapshot: %s", err); /* meta unchanged on failure */
            goto done;
        }
        free(text);
        text = floe_meta_serialize(t->meta);
        if (!text) {
            remove_one(t, list);
            rollback(t);
            fail(t, "out of memory serializing the metadata");
            rc = -ENOMEM;
            goto done;
        }
        char *location = NULL;
        rc = t->cat->ops->commit(t->cat, t->version + 1, text, strlen(text), &location);
        if (rc == 0) {
            /* Published: readers may see it now, so nothing of it is undone from here on,
             * whatever fails below. t->meta already holds the new snapshot. */
            committed = true;
            t->version++;
            free(t->metadata_location);
            t->metadata_location = location;
            break;
        }
        free(location);
        remove_one(t, list);
        if (rc != -EEXIST || attempt + 1 >= COMMIT_ATTEMPTS) {
            fail(t, "commit failed: %s", t->cat->err && *t->cat->err ? t->cat->err : strerror(-rc));
            rollback(t);
            goto done;
        }
        /* Lost the race: rebase onto the winner. */
        FLOE_INFO(TABLE_MODULE,
                  "lost the commit race to another writer; rebasing\tversion=%" PRId64
                  " attempt=%d",
                  t->version + 1, attempt + 1);
        if ((rc = floe_table_load(t)) < 0) {
            rollback(t);
            goto done;
        }
        struct timespec pause = {0, (long)(1 + attempt) * 5 * 1000000L};
        nanosleep(&pause, NULL);
    }
    *snapshot_id = id;
    if (data) {
        floe_table_pending_clear(data, false);
    }
    if (deletes) {
        floe_table_pending_clear(deletes, false);
    }
    if (global) {
        floe_table_pending_clear(global, false);
    }
    /* Best effort: the reload sees our commit (or a later one); if it fails, t->meta is
     * already what we committed. */
    floe_table_load(t);
    rc = 0;
done:
    for (size_t m = 0; m < nms; m++) {
        if (!committed && ms[m].path && ms[m].length) {
            remove_one(t, ms[m].path);
        }
        free(ms[m].entries);
        free(ms[m].path);
    }
    free(ms);
    free(summary);
    carried_free(&carried);
    free(rows);
    free(schema_json);
    free(list);
    free(text);
    return rc;
}

/* Publishes t->meta, changed in memory without a snapshot (a schema, a spec), as the next
 * metadata version; what names the change for messages. 0; -EEXIST when another writer
 * published that version first (t->meta still holds the change: reload and redo it); other
 * errors with t->err set and t->meta rolled back. */
static int publish_change(struct floe_table *t, const char *what)
{
    char err[512];
    /* A new version: the one it replaces goes to metadata-log. */
    if (floe_meta_record_previous(t->meta, t->metadata_location, now_ms(), err, sizeof(err)) < 0) {
        fail(t, "%s", err);
        rollback(t);
        return -ENOMEM;
    }
    char *text = floe_meta_serialize(t->meta);
    if (!text) {
        fail(t, "out of memory serializing the metadata");
        rollback(t);
        return -ENOMEM;
    }
    char *location = NULL;
    int rc = t->cat->ops->commit(t->cat, t->version + 1, text, strlen(text), &location);
    free(text);
    if (rc == 0) {
        /* Published: t->meta holds it; the reload is best effort. */
        t->version++;
        free(t->metadata_location);
        t->metadata_location = location;
        floe_table_load(t);
        return 0;
    }
    free(location);
    if (rc != -EEXIST) {
        fail(t, "cannot commit %s: %s", what,
             t->cat->err && *t->cat->err ? t->cat->err : strerror(-rc));
        rollback(t);
    }
    return rc;
}

int floe_table_evolve(struct floe_table *t, const struct floe_config *cfg, char *changes,
                      size_t cap)
{
    if (cap) {
        changes[0] = '\0';
    }
    t->err[0] = '\0';
    if (!t->meta) {
        return fail(t, "the table is not loaded");
    }
    for (int attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
        struct floe_meta_evolution *ev = malloc(sizeof(*ev));
        char err[512];
        if (!ev) {
            return -ENOMEM;
        }
        int rc = floe_meta_evolve_schema(t->meta, cfg->table.parsed_schema, ev, err, sizeof(err));
        if (rc < 0) {
            free(ev);
            return fail(t, "%s", err);
        }
        if (!ev->changed) {
            free(ev);
            return 0;
        }
        floe_meta_evolution_describe(ev, changes, cap);
        free(ev);
        rc = publish_change(t, "the schema change");
        if (rc != -EEXIST) {
            return rc;
        }
        if ((rc = floe_table_load(t)) < 0) { /* lost a race: evolve the winner's schema */
            rollback(t);
            return rc;
        }
    }
    return fail(t, "gave up committing the schema change after %d attempts", COMMIT_ATTEMPTS);
}

/* Adds the unpartitioned spec of global deletes, as a metadata version of its own, unless the
 * table has one. */
static int ensure_unpartitioned_spec(struct floe_table *t)
{
    for (int attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
        char err[512];
        int id;
        if (t->meta->unpartitioned_spec_id >= 0) {
            return 0;
        }
        if (floe_meta_add_unpartitioned_spec(t->meta, &id, err, sizeof(err)) < 0) {
            return fail(t, "%s", err);
        }
        int rc = publish_change(t, "the spec of global deletes");
        if (rc != -EEXIST) {
            return rc;
        }
        if ((rc = floe_table_load(t)) < 0) {
            rollback(t);
            return rc;
        }
    }
    return fail(t, "gave up adding the spec of global deletes after %d attempts", COMMIT_ATTEMPTS);
}

/* ---- snapshot expiry ---------------------------------------------------------------------- */

/* A set of paths: appended, then sorted and deduplicated for lookups. */
struct pathset {
    char **items;
    size_t n, cap;
};

static int set_add(struct pathset *s, const char *path)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        char **grown = realloc(s->items, cap * sizeof(*grown));
        if (!grown) {
            return -ENOMEM;
        }
        s->items = grown;
        s->cap = cap;
    }
    s->items[s->n] = strdup(local_path(path));
    if (!s->items[s->n]) {
        return -ENOMEM;
    }
    s->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void set_sort(struct pathset *s)
{
    if (s->n) {
        qsort(s->items, s->n, sizeof(*s->items), cmp_str);
    }
}

static bool set_has(const struct pathset *s, const char *path)
{
    return s->n && bsearch(&path, s->items, s->n, sizeof(*s->items), cmp_str) != NULL;
}

static void set_free(struct pathset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i]);
    }
    free(s->items);
    memset(s, 0, sizeof(*s));
}

/* Adds every file snapshot s uses: its manifest list, its manifests, their data and delete
 * files (whatever their entry status). */
static int collect_snapshot(struct floe_table *t, const struct floe_meta_snapshot *s,
                            struct pathset *set)
{
    char *list = NULL;
    size_t len = 0;
    const char *list_path = local_path(s->manifest_list);
    int rc = set_add(set, list_path);
    if (rc < 0) {
        return rc;
    }
    if ((rc = read_object(t, s->manifest_list, "manifest list", &list, &len)) < 0) {
        return rc;
    }
    struct floe_mlist_reader lr;
    struct floe_mlist_row row;
    memset(&lr, 0, sizeof(lr));
    rc = floe_mlist_reader_open(&lr, (const uint8_t *)list, len);
    while (rc == 0 && (rc = floe_mlist_reader_next(&lr, &row)) == 1) {
        char *mdata = NULL;
        size_t mlen = 0;
        const char *mpath = local_path(row.path);
        if ((rc = set_add(set, mpath)) < 0) {
            break;
        }
        if ((rc = read_object(t, row.path, "manifest", &mdata, &mlen)) < 0) {
            break;
        }
        struct floe_manifest_reader mr;
        struct floe_manifest_entry e;
        memset(&mr, 0, sizeof(mr));
        rc = floe_manifest_reader_open(&mr, (const uint8_t *)mdata, mlen);
        while (rc == 0 && (rc = floe_manifest_reader_next(&mr, &e)) == 1) {
            rc = set_add(set, e.file.path);
        }
        floe_manifest_reader_close(&mr);
        free(mdata);
        if (rc < 0) {
            fail(t, "cannot read manifest %s: %s", mpath, strerror(-rc));
            break;
        }
        rc = 0;
    }
    floe_mlist_reader_close(&lr);
    free(list);
    if (rc < 0 && t->err[0] == '\0') {
        fail(t, "cannot read manifest list %s: %s", list_path, strerror(-rc));
    }
    return rc < 0 ? rc : 0;
}

int floe_table_expire(struct floe_table *t, int keep_last, int64_t max_age_ms, size_t *expired,
                      size_t *deleted)
{
    *expired = 0;
    *deleted = 0;
    t->err[0] = '\0';
    if (!t->meta) {
        return fail(t, "the table is not loaded");
    }
    if (keep_last <= 0 && max_age_ms <= 0) {
        return 0; /* only an explicit retention setting expires anything */
    }
    for (int attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
        int64_t *ids = NULL;
        size_t n = 0;
        struct pathset gone = {0}, kept = {0};
        char err[512];
        int64_t now = now_ms();
        t->err[0] = '\0';
        int rc = floe_meta_expire_select(t->meta, keep_last > 0 ? keep_last : 1,
                                         max_age_ms > 0 ? max_age_ms : 0, now, &ids, &n);
        if (rc < 0 || n == 0) {
            free(ids);
            return rc;
        }
        /* Files of the expired snapshots, and of those kept: only the difference goes. */
        for (size_t i = 0; i < t->meta->nsnapshots && rc == 0; i++) {
            const struct floe_meta_snapshot *s = &t->meta->snapshots[i];
            bool expire = false;
            for (size_t k = 0; k < n && !expire; k++) {
                expire = ids[k] == s->id;
            }
            rc = collect_snapshot(t, s, expire ? &gone : &kept);
        }
        if (rc == 0) {
            rc = floe_meta_remove_snapshots(t->meta, ids, n, now, err, sizeof(err));
            if (rc == 0) {
                rc =
                    floe_meta_record_previous(t->meta, t->metadata_location, now, err, sizeof(err));
            }
            if (rc < 0) {
                fail(t, "%s", err);
            }
        }
        char *text = rc == 0 ? floe_meta_serialize(t->meta) : NULL;
        if (rc == 0 && !text) {
            rc = -ENOMEM;
        }
        if (rc == 0) {
            char *location = NULL;
            rc = t->cat->ops->commit(t->cat, t->version + 1, text, strlen(text), &location);
            if (rc == 0) {
                t->version++;
                free(t->metadata_location);
                t->metadata_location = location;
                location = NULL;
            }
            free(location);
            if (rc < 0 && rc != -EEXIST) {
                fail(t, "cannot commit the expiry: %s", t->cat->err ? t->cat->err : strerror(-rc));
            }
        }
        free(text);
        if (rc == 0) {
            /* Committed: nothing retained uses these any more. */
            set_sort(&kept);
            set_sort(&gone);
            const char **doomed = gone.n ? malloc(gone.n * sizeof(*doomed)) : NULL;
            size_t ndoomed = 0;
            for (size_t i = 0; doomed && i < gone.n; i++) {
                bool dup = i > 0 && strcmp(gone.items[i], gone.items[i - 1]) == 0;
                if (!dup && !set_has(&kept, gone.items[i])) {
                    doomed[ndoomed++] = gone.items[i];
                }
            }
            /* The expiry is committed: a file that could not be deleted is an orphan, which
             * is reported, not a failure. */
            char derr[512] = "";
            if (gone.n && (!doomed || floe_store_delete(t->store, doomed, ndoomed, deleted, derr,
                                                        sizeof(derr)) < 0)) {
                FLOE_WARN(TABLE_MODULE,
                          "expired snapshots, but not all of their files could "
                          "be deleted (%s)",
                          doomed ? derr : "out of memory");
            }
            free(doomed);
            *expired = n;
        }
        set_free(&gone);
        set_free(&kept);
        free(ids);
        if (rc == 0) {
            floe_table_load(t); /* best effort: t->meta already holds what was committed */
            return 0;
        }
        if (rc != -EEXIST) {
            rollback(t);
            return rc;
        }
        if ((rc = floe_table_load(t)) < 0) { /* lost a race: select again on the winner's */
            rollback(t);
            return rc;
        }
    }
    return fail(t, "gave up expiring after %d lost races", COMMIT_ATTEMPTS);
}
