/* pipeline.h — `floe run`: Kafka messages into the config's Iceberg table, exactly once.
 *
 * Each message is decoded, validated and upserted (record.h); a rejected one goes to the dead
 * letter with its topic, partition and offset. Rows are flushed — written and committed as one
 * snapshot — at limits.flush_rows rows, limits.flush_bytes bytes of batch, limits.flush_every
 * after the first row, when a batch is full, on a reload, on a revocation and on stop. The
 * commit runs off the loop (uv_queue_work) with the upsert state handed over; while it runs
 * the queue is not drained and the partitions are paused (that is the backpressure), timers
 * and signals keep running. A failed commit is retried with backoff, the rows kept.
 *
 * Exactly once (DESIGN.md): every commit's summary holds `floe.offsets.<topic>` = {"<p>": next
 * offset} for the partitions it covers, merged with its parent snapshot's map at each commit
 * attempt (so a commit rebased onto another agent's keeps that agent's offsets). Partitions
 * start, on every assignment, at the offset of the newest ancestor carrying the map (or at
 * kafka.start, turned into a real offset by the partition's leader in the same job:
 * floe_kafka_resolve_starts), read from the table loaded again for that assignment. A commit
 * whose parent shows another offset than the one its rows started from for one of its
 * partitions (another agent committed those records, or an earlier attempt of ours landed after
 * reporting a failure) is refused: the buffered rows are dropped, the upsert state rebuilt from
 * the saved one and the partitions restarted at the table's offsets (one without any, where its
 * assignment started it). After each commit the offsets are committed to the group
 * asynchronously (advisory).
 *
 * Table loads never block the loop either: once the loop runs, every load of the table — the
 * offsets read for an assignment, the write path rebuilt after a reload (load, create, spec
 * check, schema evolution), the table read again after a refused commit — runs as a job on a
 * worker through the same single slot as the commits (LOADING), the consumer held meanwhile
 * and a new assignment not given to librdkafka before its offsets are known, so signals,
 * timers and the dead-letter producer keep being served however long S3 takes. Only
 * floe_pipeline_start loads (or creates) the table on the caller's thread, before the loop.
 *
 * Dead letters are written when a record is read, before its offset is committed: after a
 * crash they may be written again (at least once), rows never are. With dead_letter.topic set
 * they are produced to that topic (dlq.h) instead of the file; every flush then first waits,
 * consumer paused, until each dead letter produced so far is acknowledged by the broker
 * (DEAD_LETTER_WAIT), so no committed offset ever passes an undelivered dead letter.
 */
#ifndef FLOE_PIPELINE_H
#define FLOE_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "agent.h"
#include "deadletter.h"
#include "dlq.h"
#include "decode.h"
#include "kafka.h"
#include "table.h"
#include "upsert.h"

/* A partition of the topic as the pipeline knows it. */
struct floe_pipeline_part {
    int32_t id;
    int64_t committed; /* the table's next offset for it; -1: the table has none */
    int64_t next;      /* the next offset to take; -1: not known until the first message */
    int64_t origin;    /* where kafka.start put it at its assignment (the leader's answer), for
                        * a restart while the table has no offset for it; -1: not known */
    bool assigned;
};

/* What one commit covers, owned by the commit job while it runs. */
struct floe_pipeline_job_part {
    int32_t id;
    int64_t base; /* the offset its rows start from (what the parent must show), -1: none */
    int64_t next;
};

/* What a table job does (LOADING). */
enum floe_pipeline_load {
    FLOE_PIPELINE_LOAD_ASSIGN,  /* reload the table for an assignment's offsets */
    FLOE_PIPELINE_LOAD_REBUILD, /* rebuild the write path after a reload */
    FLOE_PIPELINE_LOAD_RESTART, /* rebuild it after a refused commit, then restart there */
};

enum floe_pipeline_state {
    FLOE_PIPELINE_IDLE,
    FLOE_PIPELINE_COMMITTING,       /* the commit job runs on a worker */
    FLOE_PIPELINE_LOADING,          /* a table job runs on a worker */
    FLOE_PIPELINE_BACKOFF,          /* a commit failed; the retry timer runs */
    FLOE_PIPELINE_CLOSING,          /* the consumer is closing */
    FLOE_PIPELINE_DEAD_LETTER_WAIT, /* a flush waits for the dead-letter topic's acks */
    FLOE_PIPELINE_CLOSED,
};

struct floe_pipeline_stats {
    uint64_t records;  /* messages taken */
    uint64_t rows;     /* added to batches */
    uint64_t stale;    /* dropped as not newer */
    uint64_t rejected; /* sent to the dead letter */
    uint64_t commits;
    uint64_t conflicts; /* commits refused because another writer had the records */
    uint64_t failures;  /* commit attempts that failed and were retried */
};

typedef void (*floe_pipeline_progress_fn)(void *ctx, const struct floe_pipeline_stats *stats);

struct floe_pipeline {
    struct floe_agent *agent;
    uv_loop_t *loop;
    const struct floe_config *cfg; /* the agent's current config (borrowed) */
    enum floe_pipeline_state state;
    struct floe_table table;
    struct floe_upsert up;
    bool up_open;
    struct floe_decoder dec;
    uint64_t dec_gen; /* bumped whenever dec is rebuilt (a reload can add columns) */
    /* By kafka slot (kafka.h, "Looking ahead"): each message decoded as it is taken from the
     * queue, and its dedup entry asked for, before it is handed; scratch owned. */
    struct floe_pipeline_ahead {
        struct floe_row row;
        uint64_t dec_gen; /* the dec_gen it was decoded under; 0: not decoded */
        int rc;           /* floe_decode's result */
    } ahead[FLOE_KAFKA_AHEAD];
    struct floe_dead_letter dead;
    struct floe_dlq dlq; /* the dead-letter topic, when dlq_open (then the file is not used) */
    bool dlq_open;
    struct floe_kafka kafka;
    bool kafka_open;
    char *topic;       /* the topic being consumed (owned) */
    char *offsets_key; /* floe.offsets.<topic> (owned) */
    struct floe_pipeline_part *parts;
    int nparts, capparts;
    uint64_t dirty; /* messages taken since the last commit */
    bool flush_wanted, revoke_pending, stopping, rebuild_pending, reconnect_pending, held;
    bool reopen_table; /* the reload changed the warehouse or [s3]: new store and credentials */
    uv_timer_t flush_timer;
    uv_timer_t retry_timer;
    int open_handles;
    unsigned retries;
    uv_work_t work; /* the one job slot: a commit or a table job */
    /* Directories of a local warehouse's new partitions, made on a worker of their own while
     * the batch fills (pipeline.c, "Partition directories"): those of the batch's first
     * seen partitions have been queued; pending (owned) wait for the next job. */
    struct {
        uv_work_t work;
        bool active; /* the job runs: it owns paths */
        char **paths, **pending;
        size_t n, npending, cap_pending;
        uint32_t seen;
    } dirs;
    /* An assignment waiting for its offsets (the table job, then floe_kafka_assign); owned. */
    rd_kafka_topic_partition_list_t *assignment;
    /* A table job. While it runs it owns p->table, p->up (and up_open) and what is below; the
     * loop touches none of them. An ASSIGN job also reads p->offsets_key and asks the brokers
     * through p->kafka's client: neither changes while a job runs (the consumer is held, and
     * only advance(), which waits for the job, closes or reopens it). */
    struct {
        enum floe_pipeline_load kind;
        struct floe_config *cfg; /* REBUILD, RESTART: the job's copy of the config (owned) */
        struct floe_table fresh; /* REBUILD: the table opened with new settings, replacing
                                  * p->table in the job when reopen is set */
        bool reopen;
        bool reopened; /* the job put fresh in place of p->table */
        /* ASSIGN: the assignment's partitions (owned). Those without an offset in the table
         * are at kafka.start (start, as it was when the job began): a real offset where their
         * leader answered, still logical where not (resolved is then -EIO); the others at
         * RD_KAFKA_OFFSET_INVALID. */
        rd_kafka_topic_partition_list_t *starts;
        int64_t start;
        int resolved;
        int rc;
        const char *what;   /* which step failed (static text) */
        bool created;       /* the table was created */
        char changes[2048]; /* the schema changes made ("" for none) */
        char err[1100];
        uint64_t started_ms;
    } load;
    /* The commit job. While it runs it owns p->table, p->up and what is below. */
    struct {
        struct floe_pipeline_job_part *parts;
        int n, cap;
        char *value; /* the offsets map written into the summary (rewritten per attempt) */
        size_t value_cap;
        int rc;
        bool conflict;
        int64_t snapshot;
        uint64_t rows;
        uint64_t started_ms;
        char err[1100];
    } job;
    struct floe_pipeline_stats stats;
    floe_pipeline_progress_fn progress;
    void *progress_ctx;
    bool failed; /* a fatal error stopped the agent */
};

/* floe_pipeline_start(p, agent): opens the table (created from the config if missing, its
 * schema brought in line with the config), the upsert state, the dead letter and the consumer,
 * and joins the agent's reload and stop hooks. agent is borrowed for p's life. To be called
 * before the loop runs: the table is loaded here, blocking (nothing is consumed yet). Returns
 * 0, or a negative errno with the reason logged; floe_pipeline_free(p) is needed either way. */
int floe_pipeline_start(struct floe_pipeline *p, struct floe_agent *agent);

/* floe_pipeline_free(p): after the loop has ended, releases what p holds (a consumer the
 * shutdown timeout left open is destroyed without leaving the group; buffered rows that were
 * not committed are dropped: their records are read again on the next start). When the
 * shutdown timeout ended the loop with a job still running on a worker, nothing is released
 * (the job still uses it; the process is about to exit). */
void floe_pipeline_free(struct floe_pipeline *p);

#endif
