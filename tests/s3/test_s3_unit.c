/* test_s3_unit.c — the S3 client's pure parts, without a server: s3:// URIs, endpoints and
 * addressing, the retry verdict and backoff schedule, multipart planning, the DeleteObjects
 * body, credential and region resolution from the config and the environment, and the
 * s3-only config loader.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "s3.h"

static void test_uri(void)
{
    char b[FLOE_S3_BUCKET_SIZE];
    const char *key;
    const char *u = "s3://lake/some/prefix";
    CHECK_INT(floe_s3_parse_uri(u, b, sizeof(b), &key), 0);
    CHECK_STR(b, "lake");
    CHECK(key == u + 10);
    CHECK_STR(key, "some/prefix");
    CHECK_INT(floe_s3_parse_uri("s3://lake", b, sizeof(b), &key), 0);
    CHECK_STR(key, "");
    CHECK_INT(floe_s3_parse_uri("s3://lake/", b, sizeof(b), &key), 0);
    CHECK_STR(key, "");
    CHECK_INT(floe_s3_parse_uri("s3://my.bucket-1/a b+c", b, sizeof(b), &key), 0);
    CHECK_STR(b, "my.bucket-1");
    CHECK_STR(key, "a b+c");
    const char *bad[] = {"http://lake/x", "s3:/lake", "s3://", "s3:///x", "s3://ab/x",
                         "s3://Lake/x", "s3://-lake/x", "s3://lake-/x", "s3://la_ke/x",
                         "lake/x", NULL};
    for (int i = 0; bad[i]; i++) {
        key = "unchanged";
        CHECK_INT(floe_s3_parse_uri(bad[i], b, sizeof(b), &key), -EINVAL);
        CHECK(key == NULL);
        CHECK_STR(b, "");
    }
    CHECK_INT(floe_s3_parse_uri(NULL, b, sizeof(b), &key), -EINVAL);
    /* A bucket that does not fit the caller's buffer. */
    CHECK_INT(floe_s3_parse_uri("s3://lakehouse/x", b, 5, &key), -EINVAL);
    char long_uri[128];
    snprintf(long_uri, sizeof(long_uri), "s3://%064d/x", 0);
    CHECK_INT(floe_s3_parse_uri(long_uri, b, sizeof(b), &key), -EINVAL);
}

static void test_endpoint(void)
{
    struct floe_s3_endpoint ep;
    CHECK_INT(floe_s3_endpoint_parse("", "eu-west-1", &ep), 0);
    CHECK(ep.tls && ep.default_aws);
    CHECK_STR(ep.host, "s3.eu-west-1.amazonaws.com");
    CHECK_INT(ep.port, 0);
    CHECK_INT(floe_s3_endpoint_parse(NULL, "us-east-1", &ep), 0);
    CHECK_STR(ep.host, "s3.us-east-1.amazonaws.com");
    CHECK_INT(floe_s3_endpoint_parse("", "", &ep), -EINVAL);
    CHECK_INT(floe_s3_endpoint_parse("", "eu west", &ep), -EINVAL);

    CHECK_INT(floe_s3_endpoint_parse("http://localhost:9000", "us-east-1", &ep), 0);
    CHECK(!ep.tls && !ep.default_aws);
    CHECK_STR(ep.host, "localhost");
    CHECK_INT(ep.port, 9000);
    CHECK_INT(floe_s3_endpoint_parse("https://minio.lan/", "x", &ep), 0);
    CHECK(ep.tls);
    CHECK_STR(ep.host, "minio.lan");
    CHECK_INT(ep.port, 0);
    /* The scheme's default port is the same as none. */
    CHECK_INT(floe_s3_endpoint_parse("https://minio.lan:443", "x", &ep), 0);
    CHECK_INT(ep.port, 0);
    CHECK_INT(floe_s3_endpoint_parse("http://minio.lan:443", "x", &ep), 0);
    CHECK_INT(ep.port, 443);
    CHECK_INT(floe_s3_endpoint_parse("http://[::1]:9000", "x", &ep), 0);
    CHECK_STR(ep.host, "::1");
    CHECK_INT(ep.port, 9000);
    const char *bad[] = {"ftp://h", "localhost:9000", "https://", "https://h:0", "https://h:65536",
                         "https://h:x", "https://h/path", "https://u@h", "https://h?x=1",
                         "http://[::1", "http://[]:80", NULL};
    for (int i = 0; bad[i]; i++) {
        CHECK_INT(floe_s3_endpoint_parse(bad[i], "us-east-1", &ep), -EINVAL);
        CHECK_STR(ep.host, "");
    }
}

static void test_address(void)
{
    struct floe_s3_endpoint ep;
    struct floe_s3_address a;

    floe_s3_endpoint_parse("", "eu-west-1", &ep);
    CHECK_INT(floe_s3_address(&ep, false, "lake", "dir/a b.parquet", &a), 0);
    CHECK_STR(a.host, "lake.s3.eu-west-1.amazonaws.com");
    CHECK_STR(a.host_header, "lake.s3.eu-west-1.amazonaws.com");
    CHECK_STR(a.path, "/dir/a b.parquet");
    CHECK(a.tls);
    CHECK_INT(floe_s3_address(&ep, true, "lake", "dir/a b.parquet", &a), 0);
    CHECK_STR(a.host, "s3.eu-west-1.amazonaws.com");
    CHECK_STR(a.path, "/lake/dir/a b.parquet");
    /* The bucket itself. */
    CHECK_INT(floe_s3_address(&ep, true, "lake", "", &a), 0);
    CHECK_STR(a.path, "/lake");
    CHECK_INT(floe_s3_address(&ep, false, "lake", NULL, &a), 0);
    CHECK_STR(a.path, "/");
    /* A dotted bucket over TLS: no certificate covers it virtual-hosted. */
    CHECK_INT(floe_s3_address(&ep, false, "my.lake", "k", &a), 0);
    CHECK_STR(a.host, "s3.eu-west-1.amazonaws.com");
    CHECK_STR(a.path, "/my.lake/k");

    floe_s3_endpoint_parse("http://minio.lan:9000", "us-east-1", &ep);
    CHECK_INT(floe_s3_address(&ep, false, "my.lake", "k", &a), 0);
    CHECK_STR(a.host, "my.lake.minio.lan");
    CHECK_STR(a.host_header, "my.lake.minio.lan:9000");
    CHECK_INT(a.port, 9000);
    CHECK(!a.tls);
    CHECK_INT(floe_s3_address(&ep, true, "lake", "k", &a), 0);
    CHECK_STR(a.host, "minio.lan");
    CHECK_STR(a.host_header, "minio.lan:9000");
    CHECK_STR(a.path, "/lake/k");

    /* Address literals cannot carry a bucket label: path-style. */
    floe_s3_endpoint_parse("http://127.0.0.1:9000", "us-east-1", &ep);
    CHECK_INT(floe_s3_address(&ep, false, "lake", "k", &a), 0);
    CHECK_STR(a.host, "127.0.0.1");
    CHECK_STR(a.host_header, "127.0.0.1:9000");
    CHECK_STR(a.path, "/lake/k");
    floe_s3_endpoint_parse("http://[::1]:9000", "us-east-1", &ep);
    CHECK_INT(floe_s3_address(&ep, false, "lake", "k", &a), 0);
    CHECK_STR(a.host, "::1");
    CHECK_STR(a.host_header, "[::1]:9000");
    CHECK_STR(a.path, "/lake/k");

    CHECK_INT(floe_s3_address(&ep, true, "Bad_Bucket", "k", &a), -EINVAL);
    char *key = malloc(1100);
    memset(key, 'k', 1099);
    key[1099] = '\0';
    CHECK_INT(floe_s3_address(&ep, true, "lake", key, &a), -ENAMETOOLONG);
    key[1024] = '\0';
    CHECK_INT(floe_s3_address(&ep, true, "lake", key, &a), 0);
    free(key);
}

static void test_classify(void)
{
    CHECK_INT(floe_s3_classify(0, 200, ""), FLOE_S3_DONE);
    CHECK_INT(floe_s3_classify(0, 204, NULL), FLOE_S3_DONE);
    CHECK_INT(floe_s3_classify(0, 500, "InternalError"), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(0, 502, ""), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(0, 503, "SlowDown"), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(0, 429, ""), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(0, 400, "RequestTimeout"), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(0, 403, "RequestTimeTooSkewed"), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(0, 400, "BadDigest"), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(FLOE_HTTP_EDEADLINE, 0, NULL), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(FLOE_HTTP_ETRUNCATED, 200, NULL), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(FLOE_HTTP_ECONNTIMEDOUT, 0, NULL), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(FLOE_HTTP_EMALFORMED, 0, NULL), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(FLOE_HTTP_EDNS, 0, NULL), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(-ECONNRESET, 0, NULL), FLOE_S3_RETRY);
    CHECK_INT(floe_s3_classify(-ECONNREFUSED, 0, NULL), FLOE_S3_RETRY);

    CHECK_INT(floe_s3_classify(0, 403, "AccessDenied"), FLOE_S3_FAIL);
    CHECK_INT(floe_s3_classify(0, 403, "SignatureDoesNotMatch"), FLOE_S3_FAIL);
    CHECK_INT(floe_s3_classify(0, 404, "NoSuchBucket"), FLOE_S3_FAIL);
    CHECK_INT(floe_s3_classify(0, 404, "NoSuchKey"), FLOE_S3_FAIL);
    CHECK_INT(floe_s3_classify(0, 400, "InvalidArgument"), FLOE_S3_FAIL);
    CHECK_INT(floe_s3_classify(0, 412, "PreconditionFailed"), FLOE_S3_FAIL);
    CHECK_INT(floe_s3_classify(0, 409, "ConditionalRequestConflict"), FLOE_S3_FAIL);
    CHECK_INT(floe_s3_classify(0, 301, "PermanentRedirect"), FLOE_S3_FAIL);
    CHECK_INT(floe_s3_classify(-ECANCELED, 0, NULL), FLOE_S3_FAIL);
    CHECK_INT(floe_s3_classify(FLOE_HTTP_ETLSVERIFY, 0, NULL), FLOE_S3_FAIL);
    CHECK_INT(floe_s3_classify(-ENOSPC, 200, NULL), FLOE_S3_FAIL);
}

static void test_backoff(void)
{
    struct floe_s3_retry def = {0};
    /* rnd 0 is always no delay; the largest rnd reaches the ceiling. */
    for (uint32_t a = 1; a < 40; a++) {
        CHECK_INT(floe_s3_backoff_ms(&def, a, 0), 0);
    }
    CHECK_INT(floe_s3_backoff_ms(&def, 1, UINT32_MAX), 100);
    CHECK_INT(floe_s3_backoff_ms(&def, 2, UINT32_MAX), 200);
    CHECK_INT(floe_s3_backoff_ms(&def, 3, UINT32_MAX), 400);
    CHECK_INT(floe_s3_backoff_ms(&def, 8, UINT32_MAX), 12800);
    CHECK_INT(floe_s3_backoff_ms(&def, 9, UINT32_MAX), 20000); /* capped */
    CHECK_INT(floe_s3_backoff_ms(&def, 100, UINT32_MAX), 20000);
    CHECK_INT(floe_s3_backoff_ms(&def, UINT32_MAX, UINT32_MAX), 20000);
    CHECK_INT(floe_s3_backoff_ms(NULL, 1, UINT32_MAX), 100);
    /* Half of the range at half of rnd: the jitter is uniform over [0, ceiling]. */
    CHECK_INT(floe_s3_backoff_ms(&def, 3, 1u << 31), 200);
    struct floe_s3_retry r = {5, 50, 1000};
    CHECK_INT(floe_s3_backoff_ms(&r, 1, UINT32_MAX), 50);
    CHECK_INT(floe_s3_backoff_ms(&r, 5, UINT32_MAX), 800);
    CHECK_INT(floe_s3_backoff_ms(&r, 6, UINT32_MAX), 1000);
    /* Every value stays inside [0, ceiling] over a sweep of rnd. */
    unsigned over = 0, seen_low = 0, seen_high = 0;
    for (uint64_t x = 0; x <= UINT32_MAX; x += 65537) {
        uint64_t d = floe_s3_backoff_ms(&r, 4, (uint32_t)x);
        over += d > 400;
        seen_low += d < 40;
        seen_high += d > 360;
    }
    CHECK_INT(over, 0);
    CHECK(seen_low > 0 && seen_high > 0);

    CHECK(floe_s3_retry_allowed(&def, 1));
    CHECK(floe_s3_retry_allowed(&def, 9));
    CHECK(!floe_s3_retry_allowed(&def, 10));
    CHECK(floe_s3_retry_allowed(&r, 4));
    CHECK(!floe_s3_retry_allowed(&r, 5));
    struct floe_s3_retry forever = {FLOE_S3_RETRY_FOREVER, 0, 0};
    CHECK(floe_s3_retry_allowed(&forever, 1000000));
}

static void test_plan(void)
{
    struct floe_s3_plan p;
    const uint64_t M = 1u << 20;
    CHECK_INT(floe_s3_plan_parts(0, 8 * M, &p), 0);
    CHECK(!p.multipart);
    CHECK_INT(p.nparts, 1);
    CHECK_INT(floe_s3_plan_parts(8 * M, 8 * M, &p), 0);
    CHECK(!p.multipart);
    CHECK_INT(p.last_size, 8 * M);
    CHECK_INT(floe_s3_plan_parts(8 * M + 1, 8 * M, &p), 0);
    CHECK(p.multipart);
    CHECK_INT(p.nparts, 2);
    CHECK_INT(p.part_size, 8 * M);
    CHECK_INT(p.last_size, 1);
    CHECK_INT(floe_s3_plan_parts(40 * M, 5 * M, &p), 0);
    CHECK_INT(p.nparts, 8);
    CHECK_INT(p.last_size, 5 * M);
    /* Below S3's minimum part size: raised to 5 MiB. */
    CHECK_INT(floe_s3_plan_parts(12 * M, 1 * M, &p), 0);
    CHECK_INT(p.part_size, 5 * M);
    CHECK_INT(p.nparts, 3);
    CHECK_INT(p.last_size, 2 * M);
    /* Exactly 10,000 parts fit; one byte more raises the part size to the next MiB. */
    CHECK_INT(floe_s3_plan_parts(10000 * 5 * M, 5 * M, &p), 0);
    CHECK_INT(p.nparts, 10000);
    CHECK_INT(p.part_size, 5 * M);
    CHECK_INT(floe_s3_plan_parts(10000 * 5 * M + 1, 5 * M, &p), 0);
    CHECK_INT(p.part_size, 6 * M);
    CHECK(p.nparts <= 10000);
    CHECK_INT(p.nparts, (10000 * 5 * M + 1 + 6 * M - 1) / (6 * M));
    CHECK_INT((uint64_t)(p.nparts - 1) * p.part_size + p.last_size, 10000 * 5 * M + 1);
    /* 5 TiB: the largest object. */
    uint64_t max = 5ull << 40;
    CHECK_INT(floe_s3_plan_parts(max, 8 * M, &p), 0);
    CHECK(p.nparts <= 10000);
    CHECK(p.part_size <= FLOE_S3_MAX_PART_SIZE);
    CHECK_INT((uint64_t)(p.nparts - 1) * p.part_size + p.last_size, max);
    CHECK_INT(floe_s3_plan_parts(max + 1, 8 * M, &p), -EFBIG);
    CHECK_INT(p.nparts, 0);
}

static void test_delete_body(void)
{
    uint8_t buf[1024];
    size_t len;
    const char *keys[] = {"a b", "x&y<z>", "line\nbreak"};
    CHECK_INT(floe_s3_delete_body(keys, 3, buf, sizeof(buf), &len), 0);
    CHECK(strstr((char *)buf, "<Quiet>true</Quiet>") != NULL);
    CHECK(strstr((char *)buf, "<Object><Key>a b</Key></Object>") != NULL);
    CHECK(strstr((char *)buf, "<Key>x&amp;y&lt;z&gt;</Key>") != NULL);
    CHECK(strstr((char *)buf, "<Key>line&#10;break</Key>") != NULL);
    CHECK_INT(len, strlen((char *)buf));
    CHECK_INT(floe_s3_delete_body(keys, 0, buf, sizeof(buf), &len), -E2BIG);
    CHECK_INT(floe_s3_delete_body(keys, 3, buf, 40, &len), -ENOSPC);
    CHECK_STR((char *)buf, "");
    const char *ctl[] = {"bad\x01key"};
    CHECK_INT(floe_s3_delete_body(ctl, 1, buf, sizeof(buf), &len), -EINVAL);
    const char *empty[] = {""};
    CHECK_INT(floe_s3_delete_body(empty, 1, buf, sizeof(buf), &len), -EINVAL);
}

/* A fake environment for credential resolution. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
    for (int i = 0; fake_env && fake_env[i]; i += 2) {
        if (strcmp(fake_env[i], name) == 0) {
            return fake_env[i + 1];
        }
    }
    return NULL;
}

static struct floe_config *parse(const char *text)
{
    struct floe_cfg_errors errs = {0};
    char *t = strdup(text);
    struct floe_config *cfg = floe_config_parse("test.conf", t, &errs);
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "    %s\n", errs.items[i]);
    }
    floe_cfg_errors_free(&errs);
    free(t);
    return cfg;
}

#define BASE                                                                                    \
    "[kafka]\ntopic = t\n[table]\nwarehouse = s3://lake/wh\nschema = id long required, "       \
    "signup_ts timestamptz\n"

static void test_settings(void)
{
    struct floe_s3_settings st;
    char err[256];
    /* Keys from the config win over the environment. */
    static const char *const env1[] = {"AWS_ACCESS_KEY_ID", "ENVKEY", "AWS_SECRET_ACCESS_KEY",
                                       "ENVSECRET", "AWS_SESSION_TOKEN", "ENVTOKEN",
                                       "AWS_DEFAULT_REGION", "ap-south-1", NULL};
    fake_env = env1;
    struct floe_config *cfg = parse(BASE "[s3]\naccess_key_id = CFGKEY\nsecret_access_key = "
                                         "CFGSECRET\nregion = eu-west-1\nendpoint = "
                                         "https://localhost:9000\npart_size = 5M\n");
    CHECK(cfg != NULL);
    if (cfg) {
        CHECK_INT(floe_s3_settings_from_config(cfg, fake_getenv, &st, err, sizeof(err)), 0);
        CHECK_STR(st.access_key_id, "CFGKEY");
        CHECK_STR(st.secret_access_key, "CFGSECRET");
        CHECK_STR(st.session_token, "");
        CHECK_STR(st.region, "eu-west-1");
        CHECK_STR(st.endpoint.host, "localhost");
        CHECK_INT(st.endpoint.port, 9000);
        CHECK_INT(st.part_size, 5u << 20);
        CHECK_INT(st.max_in_flight, 4);
        CHECK(st.verify);
        CHECK(!st.path_style);
        /* Empty config keys: everything from the environment, region from
         * AWS_DEFAULT_REGION when AWS_REGION is not set. */
        cfg->s3.access_key_id[0] = '\0';
        cfg->s3.region[0] = '\0';
        cfg->s3.endpoint[0] = '\0';
        CHECK_INT(floe_s3_settings_from_config(cfg, fake_getenv, &st, err, sizeof(err)), 0);
        CHECK_STR(st.access_key_id, "ENVKEY");
        CHECK_STR(st.secret_access_key, "ENVSECRET");
        CHECK_STR(st.session_token, "ENVTOKEN");
        CHECK_STR(st.region, "ap-south-1");
        CHECK_STR(st.endpoint.host, "s3.ap-south-1.amazonaws.com");
        static const char *const env2[] = {"AWS_ACCESS_KEY_ID", "K", "AWS_SECRET_ACCESS_KEY",
                                           "S", "AWS_REGION", "eu-north-1",
                                           "AWS_DEFAULT_REGION", "ap-south-1", NULL};
        fake_env = env2;
        CHECK_INT(floe_s3_settings_from_config(cfg, fake_getenv, &st, err, sizeof(err)), 0);
        CHECK_STR(st.region, "eu-north-1");
        CHECK_STR(st.session_token, "");
        fake_env = NULL;
        CHECK_INT(floe_s3_settings_from_config(cfg, fake_getenv, &st, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "AWS_ACCESS_KEY_ID") != NULL);
        CHECK(strstr(err, "CFGSECRET") == NULL);
        CHECK_STR(st.secret_access_key, "");
        /* No region anywhere: us-east-1. */
        fake_env = env1 + 0;
        static const char *const env3[] = {"AWS_ACCESS_KEY_ID", "K", "AWS_SECRET_ACCESS_KEY",
                                           "S", NULL};
        fake_env = env3;
        CHECK_INT(floe_s3_settings_from_config(cfg, fake_getenv, &st, err, sizeof(err)), 0);
        CHECK_STR(st.region, "us-east-1");
        floe_config_free(cfg);
    }
    /* A bad endpoint is reported, not guessed at. */
    fake_env = env1;
    cfg = parse(BASE "[s3]\nendpoint = localhost:9000\n");
    CHECK(cfg != NULL);
    if (cfg) {
        CHECK_INT(floe_s3_settings_from_config(cfg, fake_getenv, &st, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "s3.endpoint") != NULL);
        floe_config_free(cfg);
    }
    fake_env = NULL;
}

static void test_config_only(void)
{
    char path[] = "/tmp/floe-s3-unit-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(f != NULL);
    if (!f) {
        return;
    }
    fputs("[s3]\nendpoint = https://localhost:9000\naccess_key_id = a\nsecret_access_key = b\n"
          "[agent]\nlog_level = warn\n",
          f);
    fclose(f);
    struct floe_cfg_errors errs = {0};
    /* `floe run` still insists on [kafka] and [table]… */
    struct floe_config *cfg = floe_config_load(path, &errs);
    CHECK(cfg == NULL);
    CHECK(errs.n >= 2);
    floe_cfg_errors_free(&errs);
    /* …an s3 command does not. */
    cfg = floe_config_load_only(path, "s3 agent", &errs);
    CHECK(cfg != NULL);
    CHECK_INT(errs.n, 0);
    if (cfg) {
        CHECK_STR(cfg->s3.endpoint, "https://localhost:9000");
        CHECK_STR(cfg->agent.log_level, "warn");
        floe_config_free(cfg);
    }
    /* Bad values in any section are still errors. */
    f = fopen(path, "w");
    fputs("[s3]\npart_size = 1K\n[limits]\nflush_rows = x\n", f);
    fclose(f);
    cfg = floe_config_load_only(path, "s3 agent", &errs);
    CHECK(cfg == NULL);
    CHECK_INT(errs.n, 2);
    floe_cfg_errors_free(&errs);
    remove(path);
}

int main(void)
{
    test_uri();
    test_endpoint();
    test_address();
    test_classify();
    test_backoff();
    test_plan();
    test_delete_body();
    test_settings();
    test_config_only();
    return check_done();
}
