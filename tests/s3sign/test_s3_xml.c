/* test_s3_xml.c — unit tests for the S3 response-body reader (agent/s3_xml.h): every document
 * kind in the shapes S3 and compatible stores send, text decoding (entities, character
 * references, CDATA, comments, line ends), buffer limits, and malformed or hostile input, which
 * must be -EINVAL and never a crash (the sanitizer build and fuzz_s3_xml cover the rest). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "s3_xml.h"

#define U(s) ((const uint8_t *)(s)), strlen(s)

/* ---- text decoding -------------------------------------------------------------------------- */

static const char *text(const char *raw, int *rc)
{
    static char buf[256];
    size_t len = 999;
    *rc = floe_s3_xml_text(U(raw), buf, sizeof(buf), &len);
    if (*rc == 0 && len != strlen(buf)) {
        return "(bad length)";
    }
    return buf;
}

static void test_text(void)
{
    int rc;
    CHECK_STR(text("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;", &rc), "a <b> & \"c\" 'd'");
    CHECK_INT(rc, 0);
    CHECK_STR(text("&#65;&#x42;&#x0063;&#233;&#x20AC;&#x1F600;", &rc),
              "ABc\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    CHECK_STR(text("&#xFFFF;&#x10FFFF;", &rc), "\xef\xbf\xbf\xf4\x8f\xbf\xbf");
    CHECK_STR(text("a<![CDATA[<b>&amp;]]>c", &rc), "a<b>&amp;c");
    CHECK_STR(text("a<!-- x &bogus; <y> -->b<?pi stuff?>c", &rc), "abc");
    CHECK_STR(text("l1\r\nl2\rl3\n&#13;", &rc), "l1\nl2\nl3\n\r");
    CHECK_STR(text("", &rc), "");
    CHECK_INT(rc, 0);

    const char *bad[] = {
        "&foo;",  "&amp",   "&#0;",  "&#xD800;",    "&#x110000;", "&#;", "&#x;",
        "&#12a;", "&#X41;", "a<b>c", "a<![CDATA[x", "<!-- x",     "&",   "&#99999999999999999999;",
        "&#x-1;", "<?pi"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char buf[16] = "unchanged";
        int r = floe_s3_xml_text(U(bad[i]), buf, sizeof(buf), NULL);
        if (!check__report(r == -EINVAL, __FILE__, __LINE__, "bad text is -EINVAL")) {
            fprintf(stderr, "    input \"%s\" gave %d\n", bad[i], r);
        }
        CHECK_STR(buf, "");
    }
    uint8_t nul[] = {'a', 0, 'b'};
    CHECK_INT(floe_s3_xml_text(nul, 3, NULL, 0, NULL), -EINVAL);
    uint8_t nul_cdata[] = "<![CDATA[\0]]>";
    CHECK_INT(floe_s3_xml_text(nul_cdata, sizeof(nul_cdata) - 1, NULL, 0, NULL), -EINVAL);

    /* Measuring, exact fit, and one byte short. */
    size_t len = 0;
    CHECK_INT(floe_s3_xml_text(U("x&amp;y"), NULL, 0, &len), 0);
    CHECK_INT(len, 3);
    char four[4], three[3];
    CHECK_INT(floe_s3_xml_text(U("x&amp;y"), four, sizeof(four), &len), 0);
    CHECK_STR(four, "x&y");
    CHECK_INT(floe_s3_xml_text(U("x&amp;y"), three, sizeof(three), &len), -ENOSPC);
    CHECK_STR(three, "");
    CHECK_INT(floe_s3_xml_text(U("x"), three, 0, &len), -ENOSPC);
}

/* ---- the walker ----------------------------------------------------------------------------- */

struct trace {
    char log[1024];
    size_t at;
};

static int trace_cb(void *arg, const struct floe_s3_xml_node *nd)
{
    struct trace *t = arg;
    char text_buf[64] = "";
    if (nd->event == FLOE_S3_XML_CLOSE && nd->leaf) {
        floe_s3_xml_text(nd->raw, nd->raw_len, text_buf, sizeof(text_buf), NULL);
    }
    int k = snprintf(t->log + t->at, sizeof(t->log) - t->at, "%s%s:%zu:%s%s%s|",
                     nd->event == FLOE_S3_XML_OPEN ? "+" : "-", nd->path, nd->depth, nd->name,
                     nd->event == FLOE_S3_XML_CLOSE && nd->leaf ? "=" : "", text_buf);
    if (k > 0) {
        t->at += (size_t)k;
    }
    return strcmp(nd->name, "Stop") == 0 ? -ECANCELED : 0;
}

static int walk(const char *doc, struct trace *t)
{
    memset(t, 0, sizeof(*t));
    return floe_s3_xml_walk(U(doc), trace_cb, t);
}

static void test_walker(void)
{
    struct trace t;
    CHECK_INT(walk("\xef\xbb\xbf<R/>", &t), 0); /* a UTF-8 byte-order mark is allowed first */
    CHECK_STR(t.log, "+R:1:R|-R:1:R=|");
    CHECK_INT(walk(" \xef\xbb\xbf<R/>", &t), -EINVAL); /* and only there */
    CHECK_INT(walk(" \r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c -->"
                   "<s3:R xmlns:s3='http://s3.amazonaws.com/doc/2006-03-01/' a = \"1\">"
                   " <A>x&amp;y</A> <B/> <C><D>d</D></C> </s3:R>\n<!-- end -->\n",
                   &t),
              0);
    CHECK_STR(t.log, "+R:1:R|+R/A:2:A|-R/A:2:A=x&y|+R/B:2:B|-R/B:2:B=|+R/C:2:C|+R/C/D:3:D|"
                     "-R/C/D:3:D=d|-R/C:2:C|-R:1:R|");

    /* A callback's negative return stops the walk and comes back. */
    CHECK_INT(walk("<R><A/><Stop/><B/></R>", &t), -ECANCELED);
    CHECK_STR(t.log, "+R:1:R|+R/A:2:A|-R/A:2:A=|+R/Stop:2:Stop|");

    /* Without a callback the walk only checks. */
    CHECK_INT(floe_s3_xml_walk(U("<R><A>1</A></R>"), NULL, NULL), 0);
    CHECK_INT(floe_s3_xml_walk(NULL, 0, NULL, NULL), -EINVAL);

    const char *bad[] = {
        "",
        "   ",
        "<?xml version=\"1.0\"?>",
        "text<R/>",
        "<R/>text",
        "<R/><R/>",
        "<R>",
        "<R></S>",
        "<R><A></R></A>",
        "</R>",
        "<R",
        "<R a>",
        "<R a=1/>",
        "<R a=\"1/>",
        "<R a=\"<\"/>",
        "<R a=\"1\"b=\"2\"/>",
        "<R a=\"&bad;\"/>",
        "<1R/>",
        "<R:/>",
        "< R/>",
        "<R/ >",
        "<!DOCTYPE R [<!ENTITY x \"y\">]><R>&x;</R>",
        "<R><!ELEMENT x></R>",
        "<R>&bad;</R>",
        "<R>&#0;</R>",
        "<R><!-- unterminated </R>",
        "<R><![CDATA[ unterminated </R>",
        "<![CDATA[x]]><R/>",
        "<R><?pi unterminated </R>",
        "<R></R >x",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = floe_s3_xml_walk(U(bad[i]), NULL, NULL);
        if (!check__report(r == -EINVAL, __FILE__, __LINE__, "malformed XML is -EINVAL")) {
            fprintf(stderr, "    input \"%s\" gave %d\n", bad[i], r);
        }
    }
    CHECK_INT(floe_s3_xml_walk(U("<R></R >"), NULL, NULL), 0);
    /* NUL anywhere, also where the walker does not decode (found by fuzz_s3_xml). */
    const char nuls[][24] = {"<R>a\0b</R>", "<R><![CDATA[\0]]></R>", "<R><!--\0--></R>",
                             "<R a='\0'/>", "<?x \0?><R/>",          "<R/>\0"};
    for (size_t i = 0; i < sizeof(nuls) / sizeof(nuls[0]); i++) {
        size_t n = strlen(nuls[i]) + 1 + strlen(nuls[i] + strlen(nuls[i]) + 1);
        CHECK_INT(floe_s3_xml_walk((const uint8_t *)nuls[i], n, NULL, NULL), -EINVAL);
    }

    /* Depth: FLOE_S3_XML_MAX_DEPTH levels are fine, one more is not. */
    char deep[512] = "";
    for (int i = 0; i < FLOE_S3_XML_MAX_DEPTH; i++) {
        strcat(deep, "<a>");
    }
    for (int i = 0; i < FLOE_S3_XML_MAX_DEPTH; i++) {
        strcat(deep, "</a>");
    }
    CHECK_INT(floe_s3_xml_walk(U(deep), NULL, NULL), 0);
    char deeper[512] = "<a>";
    strcat(deeper, deep);
    strcat(deeper, "</a>");
    CHECK_INT(floe_s3_xml_walk(U(deeper), NULL, NULL), -EINVAL);

    /* Path length: names whose joined path passes FLOE_S3_XML_MAX_PATH are refused. */
    char name[200];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    char longpath[1024];
    snprintf(longpath, sizeof(longpath), "<%s><%s/></%s>", name, name, name);
    CHECK_INT(floe_s3_xml_walk(U(longpath), NULL, NULL), -EINVAL);
    snprintf(longpath, sizeof(longpath), "<%s><x/></%s>", name, name);
    CHECK_INT(floe_s3_xml_walk(U(longpath), NULL, NULL), 0);
}

/* ---- S3 documents --------------------------------------------------------------------------- */

static const char *error_doc =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error><Code>NoSuchKey</Code><Message>The resource you requested does not exist &amp; "
    "never did</Message><Resource>/mybucket/a.parquet</Resource>"
    "<RequestId>4442587FB7D0A2F9</RequestId><HostId>abc=</HostId></Error>";

static void test_error(void)
{
    struct floe_s3_error e;
    CHECK_INT(floe_s3_parse_error(U(error_doc), &e), 0);
    CHECK_STR(e.code, "NoSuchKey");
    CHECK_STR(e.message, "The resource you requested does not exist & never did");
    CHECK_STR(e.request_id, "4442587FB7D0A2F9");
    CHECK(!e.truncated);

    /* The whitespace S3 sends while CompleteMultipartUpload runs, then an error in a 200. */
    const char *in_200 = "\n \n \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>"
                         "InternalError</Code><Message>We encountered an internal error. Please "
                         "try again.</Message></Error>\n";
    char etag[FLOE_S3_ETAG_SIZE] = "x";
    size_t len = 99;
    CHECK_INT(floe_s3_parse_complete(U(in_200), etag, sizeof(etag), &len, &e), -EREMOTEIO);
    CHECK_STR(e.code, "InternalError");
    CHECK_STR(e.message, "We encountered an internal error. Please try again.");
    CHECK_STR(e.request_id, "");
    CHECK_STR(etag, "");
    CHECK_INT(len, 99);
    CHECK_INT(floe_s3_parse_complete(U(in_200), etag, sizeof(etag), &len, NULL), -EREMOTEIO);

    CHECK_INT(floe_s3_parse_error(U("<ListBucketResult/>"), &e), -ENOENT);
    CHECK_STR(e.code, "");
    CHECK_INT(floe_s3_parse_error(U("<Error><Message>m</Message></Error>"), &e), -EINVAL);
    CHECK_INT(floe_s3_parse_error(U("<Error><Code>A</Code><Code>B</Code></Error>"), &e), -EINVAL);
    CHECK_INT(floe_s3_parse_error(U("<Error><Code></Code></Error>"), &e), -EINVAL);
    CHECK_INT(floe_s3_parse_error(U("<Error><Code>A</Code>"), &e), -EINVAL);
    CHECK_INT(floe_s3_parse_error(U("<Error><Code>A</Code></Error>"), NULL), 0);
    /* Code must be the root's child, not deeper. */
    CHECK_INT(floe_s3_parse_error(U("<Error><X><Code>A</Code></X></Error>"), &e), -EINVAL);

    /* A Code too long is -ENOSPC; a long Message is cut at a character boundary. */
    char doc[2048], code[100];
    memset(code, 'C', sizeof(code) - 1);
    code[sizeof(code) - 1] = '\0';
    snprintf(doc, sizeof(doc), "<Error><Code>%s</Code></Error>", code);
    CHECK_INT(floe_s3_parse_error(U(doc), &e), -ENOSPC);
    char msg[700] = "";
    strcat(msg, "x");
    for (int i = 0; i < 200; i++) {
        strcat(msg, "\xe2\x82\xac"); /* 3-byte characters, misaligned by the 'x' */
    }
    snprintf(doc, sizeof(doc), "<Error><Code>SlowDown</Code><Message>%s</Message></Error>", msg);
    CHECK_INT(floe_s3_parse_error(U(doc), &e), 0);
    CHECK(e.truncated);
    CHECK_INT(strlen(e.message), 1 + 3 * ((FLOE_S3_MESSAGE_SIZE - 2) / 3));
    CHECK(strncmp(e.message, msg, strlen(e.message)) == 0);
    snprintf(doc, sizeof(doc),
             "<Error><Code>SlowDown</Code><Message>x&#x1F600;&#x1F600;%s"
             "</Message></Error>",
             msg + 1);
    CHECK_INT(floe_s3_parse_error(U(doc), &e), 0);
    CHECK(e.truncated);
    CHECK(strlen(e.message) < FLOE_S3_MESSAGE_SIZE);
    CHECK(strncmp(e.message, "x\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xe2\x82\xac", 12) == 0);
}

static void test_initiate_complete(void)
{
    char id[FLOE_S3_UPLOAD_ID_SIZE];
    size_t len = 0;
    const char *init =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Bucket>example-bucket</Bucket><Key>warehouse/db/t/data/00001.parquet</Key>"
        "<UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>"
        "</InitiateMultipartUploadResult>";
    CHECK_INT(floe_s3_parse_initiate(U(init), id, sizeof(id), &len, NULL), 0);
    CHECK_STR(id, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
    CHECK_INT(len, strlen(id));
    char small[10] = "x";
    CHECK_INT(floe_s3_parse_initiate(U(init), small, sizeof(small), &len, NULL), -ENOSPC);
    CHECK_STR(small, "");
    CHECK_INT(floe_s3_parse_initiate(U(init), small, 0, &len, NULL), -ENOSPC);
    CHECK_INT(floe_s3_parse_initiate(U("<InitiateMultipartUploadResult><Bucket>b</Bucket>"
                                       "</InitiateMultipartUploadResult>"),
                                     id, sizeof(id), &len, NULL),
              -EINVAL);
    CHECK_INT(floe_s3_parse_initiate(U("<InitiateMultipartUploadResult><UploadId>a</UploadId>"
                                       "<UploadId>b</UploadId></InitiateMultipartUploadResult>"),
                                     id, sizeof(id), &len, NULL),
              -EINVAL);
    CHECK_INT(floe_s3_parse_initiate(U("<InitiateMultipartUploadResult><UploadId/>"
                                       "</InitiateMultipartUploadResult>"),
                                     id, sizeof(id), &len, NULL),
              -EINVAL);
    CHECK_INT(floe_s3_parse_initiate(U("<Other><UploadId>a</UploadId></Other>"), id, sizeof(id),
                                     &len, NULL),
              -EINVAL);
    /* The element must be where S3 puts it. */
    CHECK_INT(floe_s3_parse_initiate(U("<InitiateMultipartUploadResult><X><UploadId>a</UploadId>"
                                       "</X></InitiateMultipartUploadResult>"),
                                     id, sizeof(id), &len, NULL),
              -EINVAL);

    const char *done =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Location>https://example-bucket.s3.amazonaws.com/k</Location><Bucket>example-bucket"
        "</Bucket><Key>k</Key><ETag>&quot;3858f62230ac3c915f300c664312c11f-9&quot;</ETag>"
        "</CompleteMultipartUploadResult>";
    char etag[FLOE_S3_ETAG_SIZE];
    struct floe_s3_error e;
    CHECK_INT(floe_s3_parse_complete(U(done), etag, sizeof(etag), &len, &e), 0);
    CHECK_STR(etag, "\"3858f62230ac3c915f300c664312c11f-9\"");
    CHECK_INT(len, 36);
    CHECK_STR(e.code, "");
    /* MinIO writes the quotes as-is. */
    CHECK_INT(floe_s3_parse_complete(U("<CompleteMultipartUploadResult><ETag>\"abc-2\"</ETag>"
                                       "</CompleteMultipartUploadResult>"),
                                     etag, sizeof(etag), &len, &e),
              0);
    CHECK_STR(etag, "\"abc-2\"");
    CHECK_INT(floe_s3_parse_complete(U("<CompleteMultipartUploadResult></CompleteMultipart"
                                       "UploadResult>"),
                                     etag, sizeof(etag), &len, &e),
              -EINVAL);

    /* Every proper prefix of a good document is rejected. */
    size_t n = strlen(done);
    int wrong = 0;
    for (size_t i = 0; i < n; i++) {
        if (floe_s3_parse_complete((const uint8_t *)done, i, etag, sizeof(etag), &len, &e) !=
            -EINVAL) {
            wrong++;
        }
    }
    CHECK_INT(wrong, 0);
}

struct seen {
    int n;
    char keys[8][FLOE_S3_KEY_SIZE];
    uint64_t sizes[8];
    char etags[8][FLOE_S3_ETAG_SIZE];
    int stop_at;
};

static int list_cb(void *arg, const struct floe_s3_object *o)
{
    struct seen *s = arg;
    if (s->n < 8) {
        memcpy(s->keys[s->n], o->key, sizeof(o->key));
        memcpy(s->etags[s->n], o->etag, sizeof(o->etag));
        s->sizes[s->n] = o->size;
    }
    s->n++;
    return s->n == s->stop_at ? -ECANCELED : 0;
}

static const char *list_doc =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>example-bucket</Name><Prefix>warehouse/</Prefix><KeyCount>3</KeyCount>\n"
    "  <MaxKeys>3</MaxKeys><IsTruncated>true</IsTruncated>\n"
    "  <Contents><Key>warehouse/a b&amp;c.parquet</Key>"
    "<LastModified>2026-01-02T03:04:05.000Z</LastModified>"
    "<ETag>&quot;599bab3ed2c697f1d26842727561fd94&quot;</ETag><Size>18446744073709551615</Size>"
    "<Owner><ID>x</ID><Key>not-this</Key></Owner><StorageClass>STANDARD</StorageClass>"
    "</Contents>\n"
    "  <Contents><Key>warehouse/caf&#233;/&#x1F600;<![CDATA[<x>]]><!-- c -->.avro</Key>"
    "<Size>0</Size></Contents>\n"
    "  <Contents><Key> spaced </Key></Contents>\n"
    "  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
    "\n  <ContinuationToken>prev</ContinuationToken>\n"
    "</ListBucketResult>\n";

static void test_list(void)
{
    struct floe_s3_list list;
    struct seen s = {0};
    CHECK_INT(floe_s3_parse_list(U(list_doc), &list, list_cb, &s, NULL), 0);
    CHECK_INT(s.n, 3);
    CHECK_INT(list.count, 3);
    CHECK(list.is_truncated);
    CHECK_STR(list.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    CHECK_STR(s.keys[0], "warehouse/a b&c.parquet");
    CHECK_STR(s.etags[0], "\"599bab3ed2c697f1d26842727561fd94\"");
    CHECK(s.sizes[0] == UINT64_MAX);
    CHECK_STR(s.keys[1], "warehouse/caf\xc3\xa9/\xf0\x9f\x98\x80<x>.avro");
    CHECK(s.sizes[1] == 0);
    CHECK_STR(s.etags[1], "");
    CHECK_STR(s.keys[2], " spaced ");

    /* A callback's error stops the listing. */
    struct seen stop = {.stop_at = 2};
    CHECK_INT(floe_s3_parse_list(U(list_doc), &list, list_cb, &stop, NULL), -ECANCELED);
    CHECK_INT(stop.n, 2);

    /* An empty, final page. */
    struct seen none = {0};
    CHECK_INT(floe_s3_parse_list(U("<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount>"
                                   "<IsTruncated>false</IsTruncated></ListBucketResult>"),
                                 &list, list_cb, &none, NULL),
              0);
    CHECK_INT(none.n, 0);
    CHECK(!list.is_truncated);
    CHECK_STR(list.next_token, "");

    /* A bad entry anywhere means no callback at all: the page is checked first. */
    const char *bad[] = {
        "<ListBucketResult><Contents><Key>a</Key></Contents><Contents><Size>1</Size></Contents>"
        "</ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size>18446744073709551616</Size></Contents>"
        "</ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size></Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size> 1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Key>b</Key></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key></Contents><IsTruncated>yes</IsTruncated>"
        "</ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key></Contents><IsTruncated>true</IsTruncated>"
        "<IsTruncated>false</IsTruncated></ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key></Contents>",
        "<ListBucketResult><Contents><Key></Key></Contents></ListBucketResult>",
        "<ListAllMyBucketsResult><Contents><Key>a</Key></Contents></ListAllMyBucketsResult>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct seen b = {0};
        int r = floe_s3_parse_list(U(bad[i]), &list, list_cb, &b, NULL);
        if (!check__report(r == -EINVAL && b.n == 0, __FILE__, __LINE__,
                           "a bad listing is -EINVAL with no callback")) {
            fprintf(stderr, "    case %zu gave %d after %d callbacks\n", i, r, b.n);
        }
    }

    /* A key longer than S3 allows does not fit. */
    char doc[4096], key[1100];
    memset(key, 'k', sizeof(key) - 1);
    key[sizeof(key) - 1] = '\0';
    snprintf(doc, sizeof(doc),
             "<ListBucketResult><Contents><Key>%s</Key></Contents>"
             "</ListBucketResult>",
             key);
    struct seen b = {0};
    CHECK_INT(floe_s3_parse_list(U(doc), &list, list_cb, &b, NULL), -ENOSPC);
    CHECK_INT(b.n, 0);
    key[1024] = '\0';
    snprintf(doc, sizeof(doc),
             "<ListBucketResult><Contents><Key>%s</Key></Contents>"
             "</ListBucketResult>",
             key);
    CHECK_INT(floe_s3_parse_list(U(doc), &list, NULL, NULL, NULL), 0);
    CHECK_INT(list.count, 1);

    /* An error document instead of a listing. */
    struct floe_s3_error e;
    CHECK_INT(floe_s3_parse_list(U(error_doc), &list, list_cb, &b, &e), -EREMOTEIO);
    CHECK_STR(e.code, "NoSuchKey");
    CHECK_INT(b.n, 0);

    int wrong = 0;
    for (size_t i = 0; i + 1 < strlen(list_doc); i++) {
        struct seen p = {0};
        if (floe_s3_parse_list((const uint8_t *)list_doc, i, &list, list_cb, &p, NULL) != -EINVAL ||
            p.n != 0) {
            wrong++;
        }
    }
    CHECK_INT(wrong, 0);
}

struct deletes {
    int n, failed;
    char log[512];
};

static int delete_cb(void *arg, const struct floe_s3_deleted *d)
{
    struct deletes *x = arg;
    size_t at = strlen(x->log);
    snprintf(x->log + at, sizeof(x->log) - at, "%s:%s:%s:%s|", d->deleted ? "D" : "E", d->key,
             d->code, d->message);
    x->n++;
    x->failed += !d->deleted;
    return 0;
}

static void test_delete(void)
{
    const char *doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Deleted><Key>sample1.txt</Key></Deleted>"
        "<Deleted><Key>v.txt</Key><VersionId>3/L4kqtJl40Nr8X8gdRQBpUMLUo</VersionId>"
        "<DeleteMarker>true</DeleteMarker></Deleted>"
        "<Error><Key>sample2.txt</Key><Code>AccessDenied</Code><Message>Access Denied</Message>"
        "</Error>"
        "</DeleteResult>";
    struct floe_s3_deleted work;
    struct deletes x = {0};
    CHECK_INT(floe_s3_parse_delete(U(doc), &work, delete_cb, &x, NULL), 0);
    CHECK_INT(x.n, 3);
    CHECK_INT(x.failed, 1);
    CHECK_STR(x.log, "D:sample1.txt::|D:v.txt::|E:sample2.txt:AccessDenied:Access Denied|");

    const char *bad[] = {
        "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key></Error></DeleteResult>",
        "<DeleteResult><Deleted><VersionId>1</VersionId></Deleted></DeleteResult>",
        "<DeleteResult><Deleted><Key>a</Key><Key>b</Key></Deleted></DeleteResult>",
        "<DeleteResult><Deleted><Key>a</Key></Deleted>",
        "<DeleteResult><Error><Key>a</Key><Code/></Error></DeleteResult>",
        "<Deleted><Key>a</Key></Deleted>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct deletes b = {0};
        int r = floe_s3_parse_delete(U(bad[i]), &work, delete_cb, &b, NULL);
        if (!check__report(r == -EINVAL && b.n == 0, __FILE__, __LINE__,
                           "a bad delete result is -EINVAL with no callback")) {
            fprintf(stderr, "    case %zu gave %d after %d callbacks\n", i, r, b.n);
        }
    }
    struct floe_s3_error e;
    struct deletes b = {0};
    CHECK_INT(floe_s3_parse_delete(U("<Error><Code>MalformedXML</Code></Error>"), &work, delete_cb,
                                   &b, &e),
              -EREMOTEIO);
    CHECK_STR(e.code, "MalformedXML");
    CHECK_INT(b.n, 0);
    CHECK_INT(floe_s3_parse_delete(U("<DeleteResult/>"), &work, delete_cb, &b, &e), 0);
    CHECK_INT(b.n, 0);
}

int main(void)
{
    test_text();
    test_walker();
    test_error();
    test_initiate_complete();
    test_list();
    test_delete();
    return check_done();
}
