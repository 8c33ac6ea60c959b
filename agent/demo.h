/* demo.h — `floe demo`: the whole pipeline in one process, on an embedded config.
 *
 * An in-process mock Kafka cluster (mockkafka.h), a producer of users records (userstream.h:
 * duplicates, stale versions, invalid records) running on the same libuv loop as the pipeline
 * `floe run` uses (pipeline.h), into a local warehouse under the demo directory (./floe-demo by
 * default, wiped at start). When every produced record has been consumed and every row
 * committed, the pipeline is stopped cleanly and a summary tells what the table holds and how
 * to query it with DuckDB, Spark and Trino.
 *
 * The demo directory holds floe.conf (the effective config, usable with `floe table show -c`),
 * warehouse/ (the table db.users), dead-letter.ndjson, state/ and produced.ndjson (one line per
 * produced record: {"seq", "kind", "valid", "value"} with the value as a JSON string, so that a
 * test can recompute the expected table without floe's code).
 */
#ifndef FLOE_DEMO_H
#define FLOE_DEMO_H

/* floe_demo_main(argc, argv): runs the command (argv[0] is "demo"). Returns the exit status:
 * 0 when every record reached the table or the dead letter, 1 on a failure (reported on
 * stderr), 2 on bad usage. */
int floe_demo_main(int argc, char **argv);

/* The command's usage text (static). */
extern const char floe_demo_usage[];

#endif
