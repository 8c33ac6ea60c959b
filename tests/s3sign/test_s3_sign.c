/* test_s3_sign.c — unit tests for the SigV4 signer (agent/s3_sign.h).
 *
 * Vectors, each confirmed in more than one public source:
 *   - awslabs/aws-c-auth tests/aws-signing-test-suite/v4/: get-vanilla, get-vanilla-query-order-
 *     key-case, get-vanilla-empty-query-key, get-unreserved, get-header-value-trim,
 *     get-vanilla-with-session-token (service "service", no x-amz-content-sha256, paths that
 *     encode the same once or twice);
 *   - the S3 API reference "Signature Calculations for the Authorization Header: Transferring
 *     Payload in a Single Chunk" (sig-v4-header-based-auth), its four examples: GET Object with
 *     Range, PUT Object "test$file.text", GET Bucket Lifecycle, GET Bucket (List Objects), with
 *     the canonical requests and string-to-sign hashes the page prints.
 * Plus the URI encoder, the query order, buffer limits, rejected input, the streaming hash
 * (FIPS 180-2 vectors) and a long secret checked against mbedTLS's own HMAC.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "check.h"
#include "s3_sign.h"

#define AKID_SUITE "AKIDEXAMPLE"
#define SECRET_SUITE "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AKID_S3 "AKIAIOSFODNN7EXAMPLE"
#define SECRET_S3 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define HOST_S3 "examplebucket.s3.amazonaws.com"

static char auth[1024], canon[2048], sts[512];

static struct floe_s3_signed outputs(void)
{
    struct floe_s3_signed out;
    memset(&out, 0, sizeof(out));
    out.authorization = auth;
    out.authorization_cap = sizeof(auth);
    out.canonical_request = canon;
    out.canonical_request_cap = sizeof(canon);
    out.string_to_sign = sts;
    out.string_to_sign_cap = sizeof(sts);
    return out;
}

/* The signature: the 64 hex digits after "Signature=". */
static const char *signature(const char *authorization)
{
    const char *s = strstr(authorization, "Signature=");
    return s ? s + 10 : "";
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- the aws-c-auth suite ------------------------------------------------------------------- */

static int sign_suite(struct floe_s3_request *req, const char *token, struct floe_s3_signed *out)
{
    struct floe_s3_credentials c = {AKID_SUITE, SECRET_SUITE, token};
    struct floe_s3_scope scope = {.region = "us-east-1",
                                  .service = "service",
                                  .amz_date = "20150830T123600Z",
                                  .omit_content_sha256 = true};
    req->method = "GET";
    req->host = "example.amazonaws.com";
    *out = outputs();
    return floe_s3_sign(req, &c, &scope, out);
}

static void test_suite_vectors(void)
{
    struct floe_s3_signed out;
    struct floe_s3_request req = {.path = "/"};

    CHECK_INT(sign_suite(&req, NULL, &out), 0);
    CHECK_STR(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                    "aws4_request, SignedHeaders=host;x-amz-date, Signature="
                    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    CHECK_INT(out.authorization_len, strlen(auth));
    CHECK_STR(out.amz_date, "20150830T123600Z");
    CHECK_STR(canon, "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                     "host;x-amz-date\n"
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /* The same request signed from a time_t instead of the date string. */
    struct floe_s3_credentials c = {AKID_SUITE, SECRET_SUITE, NULL};
    struct floe_s3_scope scope = {.region = "us-east-1",
                                  .service = "service",
                                  .time = 1440938160,
                                  .omit_content_sha256 = true};
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), 0);
    CHECK_STR(signature(auth), "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

    struct floe_s3_pair q2[] = {{"Param2", "value2"}, {"Param1", "value1"}};
    req.query = q2;
    req.nquery = 2;
    CHECK_INT(sign_suite(&req, NULL, &out), 0);
    CHECK_STR(signature(auth), "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    CHECK(strstr(canon, "\nParam1=value1&Param2=value2\n") != NULL);

    struct floe_s3_pair q1[] = {{"Param1", "value1"}};
    req.query = q1;
    req.nquery = 1;
    CHECK_INT(sign_suite(&req, NULL, &out), 0);
    CHECK_STR(signature(auth), "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb");

    req.query = NULL;
    req.nquery = 0;
    req.path = "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    CHECK_INT(sign_suite(&req, NULL, &out), 0);
    CHECK_STR(signature(auth), "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");

    /* get-header-value-trim: blanks around values go, inner runs become one space. */
    struct floe_s3_pair h[] = {{"My-Header1", "  value1  "}, {"My-Header2", "\"a   b \t c\""}};
    req.path = "/";
    req.headers = h;
    req.nheaders = 2;
    CHECK_INT(sign_suite(&req, NULL, &out), 0);
    CHECK_STR(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                    "aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                    "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
    CHECK(strstr(canon, "\nmy-header1:value1\nmy-header2:\"a b c\"\n") != NULL);

    req.headers = NULL;
    req.nheaders = 0;
    CHECK_INT(
        sign_suite(&req, "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267", &out),
        0);
    CHECK_STR(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                    "aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "
                    "Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
}

/* ---- the S3 API reference examples ---------------------------------------------------------- */

static int sign_s3(const struct floe_s3_request *req, struct floe_s3_signed *out)
{
    struct floe_s3_credentials c = {AKID_S3, SECRET_S3, NULL};
    struct floe_s3_scope scope = {.region = "us-east-1", .time = 1369353600};
    *out = outputs();
    return floe_s3_sign(req, &c, &scope, out);
}

static void test_s3_get_object(void)
{
    struct floe_s3_signed out;
    struct floe_s3_pair h[] = {{"Range", "bytes=0-9"}};
    struct floe_s3_request req = {"GET", HOST_S3, "/test.txt", NULL, 0, h, 1, NULL};
    CHECK_INT(sign_s3(&req, &out), 0);
    CHECK_STR(canon, "GET\n/test.txt\n\n"
                     "host:examplebucket.s3.amazonaws.com\n"
                     "range:bytes=0-9\n"
                     "x-amz-content-sha256:"
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                     "x-amz-date:20130524T000000Z\n\n"
                     "host;range;x-amz-content-sha256;x-amz-date\n"
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_STR(sts, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
                   "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    CHECK_INT(out.string_to_sign_len, strlen(sts));
    CHECK_INT(out.canonical_request_len, strlen(canon));
    CHECK_STR(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                    "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                    "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    CHECK_STR(out.amz_date, "20130524T000000Z");
}

static void test_s3_put_object(void)
{
    char hash[FLOE_S3_SHA256_HEX_SIZE];
    const char *body = "Welcome to Amazon S3.";
    CHECK_INT(floe_s3_sha256_hex((const uint8_t *)body, strlen(body), hash), 0);
    CHECK_STR(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");

    struct floe_s3_signed out;
    struct floe_s3_pair h[] = {{"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                               {"Date", "Fri, 24 May 2013 00:00:00 GMT"}};
    struct floe_s3_request req = {"PUT", HOST_S3, "/test$file.text", NULL, 0, h, 2, hash};
    CHECK_INT(sign_s3(&req, &out), 0);
    CHECK_STR(canon, "PUT\n/test%24file.text\n\n"
                     "date:Fri, 24 May 2013 00:00:00 GMT\n"
                     "host:examplebucket.s3.amazonaws.com\n"
                     "x-amz-content-sha256:"
                     "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
                     "x-amz-date:20130524T000000Z\n"
                     "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
                     "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
                     "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    CHECK(strstr(sts, "\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d") !=
          NULL);
    CHECK_STR(signature(auth), "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    CHECK(strstr(auth, "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;"
                       "x-amz-storage-class, ") != NULL);
}

static void test_s3_bucket_examples(void)
{
    struct floe_s3_signed out;
    struct floe_s3_pair lifecycle[] = {{"lifecycle", ""}};
    struct floe_s3_request req = {"GET", HOST_S3, "/", lifecycle, 1, NULL, 0, NULL};
    CHECK_INT(sign_s3(&req, &out), 0);
    CHECK(starts_with(canon, "GET\n/\nlifecycle=\nhost:"));
    CHECK(strstr(sts, "\n9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca") !=
          NULL);
    CHECK_STR(signature(auth), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

    /* A NULL value is the same as "". */
    lifecycle[0].value = NULL;
    CHECK_INT(sign_s3(&req, &out), 0);
    CHECK_STR(signature(auth), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

    struct floe_s3_pair list[] = {{"prefix", "J"}, {"max-keys", "2"}};
    req.query = list;
    req.nquery = 2;
    CHECK_INT(sign_s3(&req, &out), 0);
    CHECK_STR(canon, "GET\n/\nmax-keys=2&prefix=J\n"
                     "host:examplebucket.s3.amazonaws.com\n"
                     "x-amz-content-sha256:"
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                     "x-amz-date:20130524T000000Z\n\n"
                     "host;x-amz-content-sha256;x-amz-date\n"
                     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(strstr(sts, "\ndf57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7") !=
          NULL);
    CHECK_STR(signature(auth), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");

    char target[128];
    size_t len = 0;
    CHECK_INT(floe_s3_request_target(&req, target, sizeof(target), &len), 0);
    CHECK_STR(target, "/?max-keys=2&prefix=J");
    CHECK_INT(len, strlen(target));
}

/* ---- encoding and ordering ------------------------------------------------------------------ */

static const char *enc(const char *s, bool keep_slash)
{
    static char buf[256];
    size_t len = 999;
    if (floe_s3_uri_encode((const uint8_t *)s, strlen(s), keep_slash, buf, sizeof(buf), &len) < 0 ||
        len != strlen(buf)) {
        return "(error)";
    }
    return buf;
}

static void test_uri_encode(void)
{
    CHECK_STR(enc("a b", true), "a%20b");
    CHECK_STR(enc("a+b=c", false), "a%2Bb%3Dc");
    CHECK_STR(enc("100%", false), "100%25");
    CHECK_STR(enc("A-z_0.9~", false), "A-z_0.9~");
    CHECK_STR(enc("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", true), "%C3%A9%E2%82%AC%F0%9F%98%80");
    CHECK_STR(enc("/dir//a/./b/../c", true), "/dir//a/./b/../c");
    CHECK_STR(enc("/dir/a", false), "%2Fdir%2Fa");
    CHECK_STR(enc("$&'()*,:;?@[]#!\"<>\\^`{|}", false),
              "%24%26%27%28%29%2A%2C%3A%3B%3F%40%5B%5D%23%21%22%3C%3E%5C%5E%60%7B%7C%7D");
    CHECK_STR(enc("", false), "");

    uint8_t bytes[] = {0x00, 0x7f, 0x80, 0xff, '\n'};
    char buf[32];
    size_t len = 0;
    CHECK_INT(floe_s3_uri_encode(bytes, sizeof(bytes), false, buf, sizeof(buf), &len), 0);
    CHECK_STR(buf, "%00%7F%80%FF%0A");
    CHECK_INT(len, 15);

    /* The result and its NUL must fit: 6 bytes for "a%20b" is exact, 5 is -ENOSPC and "". */
    char small[6];
    CHECK_INT(floe_s3_uri_encode((const uint8_t *)"a b", 3, true, small, 6, &len), 0);
    CHECK_STR(small, "a%20b");
    len = 77;
    CHECK_INT(floe_s3_uri_encode((const uint8_t *)"a b", 3, true, small, 5, &len), -ENOSPC);
    CHECK_STR(small, "");
    CHECK_INT(len, 77); /* unchanged on failure */
    CHECK_INT(floe_s3_uri_encode((const uint8_t *)"a", 1, true, small, 0, &len), -ENOSPC);
    CHECK_INT(floe_s3_uri_encode((const uint8_t *)"", 0, true, small, 1, &len), 0);
    CHECK_INT(len, 0);

    /* Long input crosses the encoder's internal batches. */
    char longin[301], longout[1024];
    memset(longin, ' ', 300);
    longin[300] = '\0';
    CHECK_INT(
        floe_s3_uri_encode((const uint8_t *)longin, 300, false, longout, sizeof(longout), &len), 0);
    CHECK_INT(len, 900);
    CHECK(strncmp(longout + 897, "%20", 3) == 0);
}

static void test_canonical_query(void)
{
    char buf[256];
    size_t len = 0;
    /* Repeated names sort by value; the empty value is "name="; '/' and ' ' are encoded. */
    struct floe_s3_pair q[] = {
        {"b", "2"}, {"a", "z"}, {"a", ""}, {"a", "a/b c"}, {"uploads", NULL}};
    CHECK_INT(floe_s3_canonical_query(q, 5, buf, sizeof(buf), &len), 0);
    CHECK_STR(buf, "a=&a=a%2Fb%20c&a=z&b=2&uploads=");
    CHECK_INT(len, strlen(buf));

    /* Order is by encoded bytes: "%80" sorts first although the raw 0x80 is above every other
     * byte here, because '%' is below every unreserved character; "~" sorts last. */
    struct floe_s3_pair r[] = {{"a", "1"}, {"~", "1"}, {"\x80", "1"}, {"A", "1"}, {"-", "1"}};
    CHECK_INT(floe_s3_canonical_query(r, 5, buf, sizeof(buf), &len), 0);
    CHECK_STR(buf, "%80=1&-=1&A=1&a=1&~=1");
    struct floe_s3_pair s[] = {{"k", "a~"}, {"k", "a%"}, {"k", "a"}, {"k", "a-"}};
    CHECK_INT(floe_s3_canonical_query(s, 4, buf, sizeof(buf), &len), 0);
    CHECK_STR(buf, "k=a&k=a%25&k=a-&k=a~");

    CHECK_INT(floe_s3_canonical_query(NULL, 0, buf, sizeof(buf), &len), 0);
    CHECK_STR(buf, "");
    CHECK_INT(len, 0);
    CHECK_INT(floe_s3_canonical_query(q, 5, buf, 10, &len), -ENOSPC);
    CHECK_STR(buf, "");
    struct floe_s3_pair bad[] = {{NULL, "x"}};
    CHECK_INT(floe_s3_canonical_query(bad, 1, buf, sizeof(buf), &len), -EINVAL);
    struct floe_s3_pair many[FLOE_S3_SIGN_MAX_QUERY + 1];
    for (size_t i = 0; i <= FLOE_S3_SIGN_MAX_QUERY; i++) {
        many[i] = (struct floe_s3_pair){"k", "v"};
    }
    CHECK_INT(floe_s3_canonical_query(many, FLOE_S3_SIGN_MAX_QUERY + 1, buf, sizeof(buf), &len),
              -E2BIG);

    /* The request target is the encoded path plus the same canonical query. */
    struct floe_s3_pair lq[] = {{"prefix", "warehouse/db 1/"}, {"list-type", "2"}};
    struct floe_s3_request req = {"GET", "h", "/bucket", lq, 2, NULL, 0, NULL};
    CHECK_INT(floe_s3_request_target(&req, buf, sizeof(buf), &len), 0);
    CHECK_STR(buf, "/bucket?list-type=2&prefix=warehouse%2Fdb%201%2F");
    req.path = "/bucket/a b+c/..//x";
    req.nquery = 0;
    CHECK_INT(floe_s3_request_target(&req, buf, sizeof(buf), &len), 0);
    CHECK_STR(buf, "/bucket/a%20b%2Bc/..//x");
    req.path = NULL;
    CHECK_INT(floe_s3_request_target(&req, buf, sizeof(buf), &len), 0);
    CHECK_STR(buf, "/");
    CHECK_INT(floe_s3_request_target(&req, buf, 1, &len), -ENOSPC);
}

/* ---- the signer's contract ------------------------------------------------------------------ */

static void test_sign_paths_and_headers(void)
{
    struct floe_s3_signed out;
    /* The path is encoded once and never normalised. */
    struct floe_s3_request req = {"GET", HOST_S3, "/b/a//./../%20 k", NULL, 0, NULL, 0, NULL};
    CHECK_INT(sign_s3(&req, &out), 0);
    CHECK(starts_with(canon, "GET\n/b/a//./../%2520%20k\n\n"));
    req.path = "";
    CHECK_INT(sign_s3(&req, &out), 0);
    CHECK(starts_with(canon, "GET\n/\n\n"));

    /* Repeated header names are joined with ',' in the given order, names compared without
     * case; the session token is signed; UNSIGNED-PAYLOAD is written as given. */
    struct floe_s3_pair h[] = {{"X-Amz-Meta-B", "2"},
                               {"x-amz-meta-a", " 1 "},
                               {"X-AMZ-META-B", "1"},
                               {"If-None-Match", "*"}};
    req.path = "/k";
    req.headers = h;
    req.nheaders = 4;
    req.payload_hash = FLOE_S3_UNSIGNED_PAYLOAD;
    struct floe_s3_credentials c = {AKID_S3, SECRET_S3, "TOKEN/with+chars="};
    struct floe_s3_scope scope = {.region = "eu-west-1", .amz_date = "20260102T030405Z"};
    out = outputs();
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), 0);
    CHECK_STR(canon, "GET\n/k\n\n"
                     "host:examplebucket.s3.amazonaws.com\n"
                     "if-none-match:*\n"
                     "x-amz-content-sha256:UNSIGNED-PAYLOAD\n"
                     "x-amz-date:20260102T030405Z\n"
                     "x-amz-meta-a:1\n"
                     "x-amz-meta-b:2,1\n"
                     "x-amz-security-token:TOKEN/with+chars=\n\n"
                     "host;if-none-match;x-amz-content-sha256;x-amz-date;x-amz-meta-a;"
                     "x-amz-meta-b;x-amz-security-token\n"
                     "UNSIGNED-PAYLOAD");
    CHECK(starts_with(auth, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/eu-west-1/"
                            "s3/aws4_request, SignedHeaders=host;if-none-match;"));
    CHECK(strstr(auth, SECRET_S3) == NULL && strstr(canon, SECRET_S3) == NULL &&
          strstr(sts, SECRET_S3) == NULL);

    /* An empty session token is no token. */
    c.session_token = "";
    req.nheaders = 0;
    out = outputs();
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), 0);
    CHECK(strstr(canon, "x-amz-security-token") == NULL);

    /* The debugging outputs are optional. */
    out = outputs();
    out.canonical_request = NULL;
    out.string_to_sign = NULL;
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), 0);
    CHECK(strlen(signature(auth)) == 64);
}

static void test_sign_errors(void)
{
    struct floe_s3_signed out;
    struct floe_s3_credentials c = {AKID_S3, SECRET_S3, NULL};
    struct floe_s3_scope scope = {.region = "us-east-1", .amz_date = "20130524T000000Z"};
    struct floe_s3_request ok = {"GET", HOST_S3, "/k", NULL, 0, NULL, 0, NULL};
    struct floe_s3_request req;

    /* Buffers: each too small is -ENOSPC, and every output is left "". */
    out = outputs();
    out.authorization_cap = 150;
    CHECK_INT(floe_s3_sign(&ok, &c, &scope, &out), -ENOSPC);
    CHECK_STR(auth, "");
    CHECK_STR(canon, "");
    CHECK_STR(out.amz_date, "");
    out = outputs();
    out.canonical_request_cap = 40;
    CHECK_INT(floe_s3_sign(&ok, &c, &scope, &out), -ENOSPC);
    CHECK_STR(auth, "");
    CHECK_STR(canon, "");
    out = outputs();
    out.string_to_sign_cap = 100;
    CHECK_INT(floe_s3_sign(&ok, &c, &scope, &out), -ENOSPC);
    CHECK_STR(sts, "");
    out = outputs();
    out.authorization = NULL;
    CHECK_INT(floe_s3_sign(&ok, &c, &scope, &out), -EINVAL);

    /* Header names the signer owns, bad names, CR/LF in values. */
    const char *owned[] = {"Host",
                           "x-amz-date",
                           "X-Amz-Content-SHA256",
                           "x-amz-security-token",
                           "Authorization",
                           "",
                           "bad name",
                           "bad:name",
                           "bad\xc3\xa9"};
    for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
        struct floe_s3_pair h[] = {{owned[i], "v"}};
        req = ok;
        req.headers = h;
        req.nheaders = 1;
        out = outputs();
        CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), -EINVAL);
    }
    struct floe_s3_pair crlf[] = {{"x-amz-meta-a", "v\r\nx-evil: 1"}};
    req = ok;
    req.headers = crlf;
    req.nheaders = 1;
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), -EINVAL);
    req = ok;
    req.host = "h\nx";
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), -EINVAL);
    req.host = "";
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), -EINVAL);
    req = ok;
    req.method = "G ET";
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), -EINVAL);

    struct floe_s3_pair many[FLOE_S3_SIGN_MAX_HEADERS + 1];
    for (size_t i = 0; i <= FLOE_S3_SIGN_MAX_HEADERS; i++) {
        many[i] = (struct floe_s3_pair){"x-amz-meta-n", "v"};
    }
    req = ok;
    req.headers = many;
    req.nheaders = FLOE_S3_SIGN_MAX_HEADERS;
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), 0);
    req.nheaders = FLOE_S3_SIGN_MAX_HEADERS + 1;
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), -E2BIG);

    /* Payload hashes: 64 lowercase hex digits or an upper-case constant. */
    const char *bad_hash[] = {"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
                              "abc",
                              "",
                              "unsigned-payload",
                              "STREAMING-",
                              "STREAMING-a b"};
    for (size_t i = 0; i < sizeof(bad_hash) / sizeof(bad_hash[0]); i++) {
        req = ok;
        req.payload_hash = bad_hash[i];
        CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), -EINVAL);
    }
    req.payload_hash = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), 0);

    /* Dates, scope parts, credentials. */
    const char *bad_date[] = {"20130524T000000", "20130524 000000Z", "2013052T0000000Z",
                              "20130524T000000Z0"};
    for (size_t i = 0; i < sizeof(bad_date) / sizeof(bad_date[0]); i++) {
        struct floe_s3_scope s = scope;
        s.amz_date = bad_date[i];
        CHECK_INT(floe_s3_sign(&ok, &c, &s, &out), -EINVAL);
    }
    struct floe_s3_scope s = scope;
    s.region = "us/east";
    CHECK_INT(floe_s3_sign(&ok, &c, &s, &out), -EINVAL);
    s.region = "";
    CHECK_INT(floe_s3_sign(&ok, &c, &s, &out), -EINVAL);
    s = scope;
    s.service = "";
    CHECK_INT(floe_s3_sign(&ok, &c, &s, &out), -EINVAL);
    struct floe_s3_credentials bc = c;
    bc.access_key_id = "AK ID";
    CHECK_INT(floe_s3_sign(&ok, &bc, &scope, &out), -EINVAL);
    bc = c;
    bc.secret_access_key = NULL;
    CHECK_INT(floe_s3_sign(&ok, &bc, &scope, &out), -EINVAL);
    char longsecret[FLOE_S3_SIGN_MAX_SECRET + 2];
    memset(longsecret, 'k', sizeof(longsecret) - 1);
    longsecret[sizeof(longsecret) - 1] = '\0';
    bc.secret_access_key = longsecret;
    CHECK_INT(floe_s3_sign(&ok, &bc, &scope, &out), -EINVAL);
    bc.session_token = "tok\r\nen";
    bc.secret_access_key = SECRET_S3;
    CHECK_INT(floe_s3_sign(&ok, &bc, &scope, &out), -EINVAL);

    char date[FLOE_S3_AMZ_DATE_SIZE];
    CHECK_INT(floe_s3_amz_date(1440938160, date), 0);
    CHECK_STR(date, "20150830T123600Z");
    CHECK_INT(floe_s3_amz_date(0, date), 0);
    CHECK_STR(date, "19700101T000000Z");
    if (sizeof(time_t) >= 8) { /* the year 9999 needs a 64-bit time_t */
        int64_t last = 253402300799; /* the last second of 9999 */
        CHECK_INT(floe_s3_amz_date((time_t)last, date), 0);
        CHECK_STR(date, "99991231T235959Z");
        CHECK_INT(floe_s3_amz_date((time_t)(last + 1), date), -EINVAL);
        CHECK_STR(date, "");
    }
}

/* A secret longer than an HMAC block: "AWS4" + 100 bytes is hashed first (RFC 2104); checked
 * against the key derivation done with mbedTLS's own HMAC. */
static void test_long_secret(void)
{
    char secret[101];
    for (int i = 0; i < 100; i++) {
        secret[i] = (char)('!' + (i * 7) % 90);
    }
    secret[100] = '\0';
    struct floe_s3_credentials c = {"AKID", secret, NULL};
    struct floe_s3_scope scope = {.region = "ap-south-1", .amz_date = "20240229T235959Z"};
    struct floe_s3_request req = {"PUT", "localhost:9000", "/b/k", NULL, 0, NULL, 0, NULL};
    struct floe_s3_signed out = outputs();
    CHECK_INT(floe_s3_sign(&req, &c, &scope, &out), 0);

    const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    unsigned char k0[128], k1[32], k2[32];
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret, 100);
    int rc = mbedtls_md_hmac(md, k0, 104, (const unsigned char *)"20240229", 8, k1);
    rc |= mbedtls_md_hmac(md, k1, 32, (const unsigned char *)"ap-south-1", 10, k2);
    rc |= mbedtls_md_hmac(md, k2, 32, (const unsigned char *)"s3", 2, k1);
    rc |= mbedtls_md_hmac(md, k1, 32, (const unsigned char *)"aws4_request", 12, k2);
    rc |= mbedtls_md_hmac(md, k2, 32, (const unsigned char *)sts, strlen(sts), k1);
    CHECK_INT(rc, 0);
    char hex[65];
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", k1[i]);
    }
    CHECK_STR(signature(auth), hex);
    CHECK(strstr(canon, "\nhost:localhost:9000\n") != NULL);
}

static void test_sha256(void)
{
    char hex[FLOE_S3_SHA256_HEX_SIZE];
    CHECK_INT(floe_s3_sha256_hex(NULL, 0, hex), 0);
    CHECK_STR(hex, FLOE_S3_EMPTY_SHA256);
    CHECK_INT(floe_s3_sha256_hex((const uint8_t *)"abc", 3, hex), 0);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    /* One million 'a' in uneven pieces. */
    struct floe_s3_sha256 h;
    uint8_t chunk[4099];
    memset(chunk, 'a', sizeof(chunk));
    int rc = floe_s3_sha256_init(&h);
    size_t left = 1000000, step = 1;
    while (left > 0) {
        size_t k = step < left ? step : left;
        rc |= floe_s3_sha256_update(&h, chunk, k);
        left -= k;
        step = step * 3 % sizeof(chunk) + 1;
    }
    CHECK_INT(rc, 0);
    CHECK_INT(floe_s3_sha256_update(&h, NULL, 0), 0);
    CHECK_INT(floe_s3_sha256_final(&h, hex), 0);
    CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

    /* Reusable after init. */
    CHECK_INT(floe_s3_sha256_init(&h), 0);
    CHECK_INT(floe_s3_sha256_final(&h, hex), 0);
    CHECK_STR(hex, FLOE_S3_EMPTY_SHA256);
}

int main(void)
{
    test_suite_vectors();
    test_s3_get_object();
    test_s3_put_object();
    test_s3_bucket_examples();
    test_uri_encode();
    test_canonical_query();
    test_sign_paths_and_headers();
    test_sign_errors();
    test_long_secret();
    test_sha256();
    return check_done();
}
