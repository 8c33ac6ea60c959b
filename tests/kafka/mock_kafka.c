/* mock_kafka.c — `mock-kafka`: a Kafka cluster in its own process for integration tests,
 * librdkafka's mock cluster started through agent/mockkafka.c.
 *
 *     mock-kafka [--brokers N] [--partitions P] [--topic T] [--extra-topic T2]...
 *                                                            (defaults 3, 4, users)
 *
 * --extra-topic (up to 8 times) creates one more topic with the same partitions, every one led
 * by the last broker (so a test can take it down without stalling the first topic when that
 * one has fewer partitions than there are brokers).
 * The first line on stdout is "bootstrap=HOST:PORT,…" (flushed as soon as the cluster is up).
 * Then it reads one command a line on stdin and answers each with one line, "ok" or
 * "error REASON":
 *
 *     down ID    broker ID stops accepting connections (its partitions stall, leaders stay)
 *     up ID      broker ID accepts connections again
 *     quit       stop the cluster and exit 0
 *
 * End of input, SIGTERM, SIGINT and SIGHUP also stop it cleanly with exit status 0. Exit status
 * 1 if the cluster cannot start, 2 for bad usage.
 *
 * Built as build/tests/kafka/mock-kafka; tests in CMake find it as $<TARGET_FILE:mock-kafka>
 * and receive it in the environment variable FLOE_MOCK_KAFKA (see tests/kafka/CMakeLists.txt).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "mockkafka.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int usage(const char *what, const char *arg)
{
    fprintf(stderr, "mock-kafka: ");
    fprintf(stderr, what, arg);
    fprintf(stderr, "\nusage: mock-kafka [--brokers N] [--partitions P] [--topic NAME] "
                    "[--extra-topic NAME]...\n");
    return 2;
}

static int parse_count(const char *s, int max, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max) {
        return -EINVAL;
    }
    *out = (int)v;
    return 0;
}

static void answer(const char *line)
{
    fputs(line, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

/* Runs one command line. Returns 1 to quit, 0 to go on. */
static int command(struct floe_mockkafka *m, char *line)
{
    char verb[16];
    char arg[32];
    char extra[2];
    int n = sscanf(line, "%15s %31s %1s", verb, arg, extra);
    if (n <= 0) {
        return 0; /* blank line: no answer */
    }
    if (strcmp(verb, "quit") == 0 && n == 1) {
        answer("ok");
        return 1;
    }
    if ((strcmp(verb, "down") == 0 || strcmp(verb, "up") == 0) && n == 2) {
        int id;
        if (parse_count(arg, m->brokers, &id) != 0) {
            char msg[96];
            snprintf(msg, sizeof(msg), "error no broker '%s' (ids are 1..%d)", arg, m->brokers);
            answer(msg);
            return 0;
        }
        int rc =
            verb[0] == 'd' ? floe_mockkafka_broker_down(m, id) : floe_mockkafka_broker_up(m, id);
        if (rc != 0) {
            char msg[96];
            snprintf(msg, sizeof(msg), "error %s %d failed: %s", verb, id, strerror(-rc));
            answer(msg);
            return 0;
        }
        answer("ok");
        return 0;
    }
    answer("error unknown command (down ID, up ID, quit)");
    return 0;
}

/* Serves stdin until quit, end of input or a signal. Signals are blocked except inside
 * pselect, so one arriving between two reads is not lost. */
static void serve(struct floe_mockkafka *m, const sigset_t *waitmask)
{
    char line[256];
    size_t have = 0;
    for (;;) {
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(STDIN_FILENO, &rd);
        if (stop_signal) {
            return;
        }
        int n = pselect(STDIN_FILENO + 1, &rd, NULL, NULL, NULL, waitmask);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        ssize_t got = read(STDIN_FILENO, line + have, sizeof(line) - 1 - have);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return; /* end of input or an error: stop */
        }
        have += (size_t)got;
        char *nl;
        while ((nl = memchr(line, '\n', have)) != NULL) {
            *nl = '\0';
            size_t used = (size_t)(nl - line) + 1;
            if (command(m, line) != 0) {
                return;
            }
            memmove(line, line + used, have - used);
            have -= used;
        }
        if (have == sizeof(line) - 1) {
            answer("error line too long");
            have = 0;
        }
    }
}

int main(int argc, char **argv)
{
    int brokers = 3;
    int partitions = 4;
    const char *topic = "users";
    const char *extra[8];
    int nextra = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0) {
            printf("usage: mock-kafka [--brokers N] [--partitions P] [--topic NAME] "
                   "[--extra-topic NAME]...\n"
                   "Prints bootstrap=HOST:PORT,... then serves 'down ID', 'up ID', 'quit' "
                   "on stdin.\n");
            return 0;
        }
        if (i + 1 >= argc) {
            return usage("%s needs a value (or is unknown)", a);
        }
        const char *v = argv[++i];
        if (strcmp(a, "--brokers") == 0) {
            if (parse_count(v, FLOE_MOCKKAFKA_BROKERS_MAX, &brokers) != 0) {
                return usage("--brokers needs 1..32, not '%s'", v);
            }
        } else if (strcmp(a, "--partitions") == 0) {
            if (parse_count(v, FLOE_MOCKKAFKA_PARTITIONS_MAX, &partitions) != 0) {
                return usage("--partitions needs 1..1024, not '%s'", v);
            }
        } else if (strcmp(a, "--topic") == 0) {
            if (v[0] == '\0') {
                return usage("--topic needs a name%s", "");
            }
            topic = v;
        } else if (strcmp(a, "--extra-topic") == 0) {
            if (v[0] == '\0' || nextra == (int)(sizeof(extra) / sizeof(extra[0]))) {
                return usage("--extra-topic needs a name (at most 8 of them)%s", "");
            }
            extra[nextra++] = v;
        } else {
            return usage("unknown option '%s'", a);
        }
    }

    /* Block the stop signals before librdkafka starts its threads, so they inherit the mask
     * and every signal reaches this thread's pselect. */
    sigset_t stops, old;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGHUP);
    sigaddset(&stops, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &stops, &old);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    struct floe_mockkafka m;
    char err[256];
    int rc = floe_mockkafka_start(&m, brokers, topic, partitions, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "mock-kafka: %s\n", err);
        return 1;
    }
    for (int i = 0; i < nextra; i++) {
        rd_kafka_resp_err_t e =
            rd_kafka_mock_topic_create(m.cluster, extra[i], partitions, brokers < 3 ? brokers : 3);
        for (int p = 0; !e && p < partitions; p++) {
            e = rd_kafka_mock_partition_set_leader(m.cluster, extra[i], p, brokers);
        }
        if (e) {
            fprintf(stderr, "mock-kafka: cannot create topic %s: %s\n", extra[i],
                    rd_kafka_err2str(e));
            floe_mockkafka_stop(&m);
            return 1;
        }
    }
    printf("bootstrap=%s\n", floe_mockkafka_bootstrap(&m));
    fflush(stdout);

    /* SIGPIPE stays blocked: a closed stdout makes writes fail instead of killing us. */
    sigset_t waitmask = old;
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGHUP);
    serve(&m, &waitmask);

    floe_mockkafka_stop(&m);
    return 0;
}
