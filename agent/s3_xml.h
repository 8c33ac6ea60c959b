/* s3_xml.h — a small, allocation-free reader for the XML bodies S3 sends back: <Error>,
 * InitiateMultipartUploadResult, CompleteMultipartUploadResult, ListBucketResult (ListObjectsV2)
 * and DeleteResult.
 *
 * The input is hostile: every function reads only inside (doc, n), checks that the document is
 * well formed (one root, matching tags, bounded depth, valid references), and answers -EINVAL
 * for anything else rather than guessing. It understands what S3 and S3-compatible stores
 * write: an optional <?xml …?> declaration (possibly after the whitespace S3 sends while a
 * CompleteMultipartUpload is in progress), comments, attributes such as xmlns="…" (skipped),
 * namespace prefixes (dropped from names), CDATA sections, the five predefined entities and
 * numeric character references. DOCTYPE is refused, so no entity can be declared.
 *
 * Text is copied into caller buffers, NUL-terminated; a field that does not fit is -ENOSPC,
 * except where a field below says it is truncated instead. A required value must not be empty.
 * Element names are matched on their local part, case-sensitively, as S3 writes them.
 *
 * Common return values of the document readers:
 *   0            the expected document, with every required element;
 *   -EREMOTEIO   the body is an S3 <Error> document (also possible inside a 200 response to
 *                CompleteMultipartUpload); *err is filled when err is not NULL;
 *   -EINVAL      not well-formed XML, another root element, or a required element is missing
 *                or malformed;
 *   -ENOSPC      a value does not fit its buffer;
 *   <0           a callback's own negative return, passed through.
 */
#ifndef FLOE_S3_XML_H
#define FLOE_S3_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLOE_S3_XML_MAX_DEPTH 16 /* deeper documents are -EINVAL */
#define FLOE_S3_XML_MAX_PATH 256 /* bytes of "A/B/C" names; longer is -EINVAL */

/* Buffer sizes, terminating NUL included. */
#define FLOE_S3_CODE_SIZE 64        /* error codes such as "PreconditionFailed" */
#define FLOE_S3_MESSAGE_SIZE 256    /* error messages (truncated to fit) */
#define FLOE_S3_REQUEST_ID_SIZE 128 /* RequestId (truncated to fit) */
#define FLOE_S3_KEY_SIZE 1025       /* S3 keys are at most 1024 bytes of UTF-8 */
#define FLOE_S3_ETAG_SIZE 128       /* ETags with their quotes, e.g. "\"3858f6…-2\"" */
#define FLOE_S3_TIME_SIZE 40        /* LastModified, e.g. "2009-10-12T17:50:30.000Z" */
#define FLOE_S3_TOKEN_SIZE 1024     /* NextContinuationToken */
#define FLOE_S3_UPLOAD_ID_SIZE 1024 /* UploadId */

/* ---- the generic reader ------------------------------------------------------------------- */

enum floe_s3_xml_event {
    FLOE_S3_XML_OPEN,  /* a start tag (or the start of an empty-element tag) */
    FLOE_S3_XML_CLOSE, /* the matching end */
};

/* One event. Every pointer is a view valid only during the callback. */
struct floe_s3_xml_node {
    enum floe_s3_xml_event event;
    const char *path; /* local names from the root, '/'-joined: "ListBucketResult/Contents" */
    size_t path_len;
    const char *name;   /* the last component of path */
    size_t depth;       /* 1 for the root */
    bool leaf;          /* CLOSE only: the element had no child elements */
    const uint8_t *raw; /* CLOSE of a leaf: its content, still escaped (decode it with
                           floe_s3_xml_text); NULL otherwise */
    size_t raw_len;
};

/* A callback returns 0 to go on, or a negative value that stops the walk and is returned. */
typedef int (*floe_s3_xml_cb)(void *arg, const struct floe_s3_xml_node *node);

/* floe_s3_xml_walk(doc, n, cb, arg): checks that the n bytes at doc are one well-formed
 * document and calls cb (when not NULL) for each element's OPEN and CLOSE, in document order.
 * Text outside leaf elements is checked but not reported. Returns 0, -EINVAL (cb may have been
 * called for the part before the fault), or cb's negative return. */
int floe_s3_xml_walk(const uint8_t *doc, size_t n, floe_s3_xml_cb cb, void *arg);

/* floe_s3_xml_text(raw, n, dst, cap, &len): decodes escaped element content: entities and
 * character references (as UTF-8), CDATA sections (verbatim), comments (dropped), and line ends
 * (CR LF and lone CR become LF, as XML requires). dst receives a NUL-terminated string, *len
 * its length; with dst NULL only validity is checked and *len (when not NULL) receives the
 * length. Returns 0, -EINVAL for a bad reference, markup, or a NUL byte, or -ENOSPC (dst then
 * holds "" if cap > 0). */
int floe_s3_xml_text(const uint8_t *raw, size_t n, char *dst, size_t cap, size_t *len);

/* ---- S3 documents --------------------------------------------------------------------------- */

/* An S3 error: <Error><Code>…</Code><Message>…</Message><RequestId>…</RequestId></Error>. */
struct floe_s3_error {
    char code[FLOE_S3_CODE_SIZE];             /* required; -ENOSPC when longer */
    char message[FLOE_S3_MESSAGE_SIZE];       /* "" when absent; truncated at a UTF-8
                                                 character boundary when longer */
    char request_id[FLOE_S3_REQUEST_ID_SIZE]; /* "" when absent; truncated when longer */
    bool truncated;                           /* message or request_id was cut */
};

/* floe_s3_parse_error(doc, n, err): reads an <Error> document. Returns 0 (err filled),
 * -ENOENT for a well-formed document with another root, -EINVAL for malformed XML or an Error
 * without Code, -ENOSPC for a Code that does not fit. err is cleared first. */
int floe_s3_parse_error(const uint8_t *doc, size_t n, struct floe_s3_error *err);

/* floe_s3_parse_initiate(doc, n, upload_id, cap, &len, err): reads
 * InitiateMultipartUploadResult and copies its (required) UploadId. */
int floe_s3_parse_initiate(const uint8_t *doc, size_t n, char *upload_id, size_t cap, size_t *len,
                           struct floe_s3_error *err);

/* floe_s3_parse_complete(doc, n, etag, cap, &len, err): reads CompleteMultipartUploadResult and
 * copies its (required) ETag as sent, quotes included. A 200 response whose body is <Error>
 * is -EREMOTEIO: the upload did not complete. The root CompleteMultipartUploadResponse (as
 * moto writes it) is accepted as well. */
int floe_s3_parse_complete(const uint8_t *doc, size_t n, char *etag, size_t cap, size_t *len,
                           struct floe_s3_error *err);

/* One <Contents> of a listing, as passed to the callback (a view valid during the call). */
struct floe_s3_object {
    char key[FLOE_S3_KEY_SIZE];            /* required */
    uint64_t size;                         /* 0 when absent */
    char etag[FLOE_S3_ETAG_SIZE];          /* "" when absent; quotes included */
    char last_modified[FLOE_S3_TIME_SIZE]; /* "" when absent; as sent */
};

/* The listing as a whole: the caller's workspace and the page's summary. */
struct floe_s3_list {
    bool is_truncated;                   /* IsTruncated was "true" */
    char next_token[FLOE_S3_TOKEN_SIZE]; /* NextContinuationToken, "" when absent */
    size_t count;                        /* Contents elements reported */
    struct floe_s3_object object;        /* workspace for the entry being read */
};

typedef int (*floe_s3_list_cb)(void *arg, const struct floe_s3_object *obj);

/* floe_s3_parse_list(doc, n, list, cb, arg, err): reads a ListObjectsV2 ListBucketResult. The
 * whole document is checked first, so cb is called (once per Contents, in document order) only
 * when the page is valid; a negative return from cb stops the walk and is returned. *list is
 * cleared first and filled as described above. */
int floe_s3_parse_list(const uint8_t *doc, size_t n, struct floe_s3_list *list, floe_s3_list_cb cb,
                       void *arg, struct floe_s3_error *err);

/* One entry of a DeleteObjects result: <Deleted><Key>… or <Error><Key>…<Code>…<Message>…. */
struct floe_s3_deleted {
    bool deleted;                       /* true for <Deleted>, false for <Error> */
    char key[FLOE_S3_KEY_SIZE];         /* required */
    char code[FLOE_S3_CODE_SIZE];       /* <Error> only, required there */
    char message[FLOE_S3_MESSAGE_SIZE]; /* <Error> only; truncated when longer */
};

typedef int (*floe_s3_delete_cb)(void *arg, const struct floe_s3_deleted *entry);

/* floe_s3_parse_delete(doc, n, work, cb, arg, err): reads a DeleteResult; as for the listing,
 * the document is checked whole before cb is called once per entry. work is the caller's
 * workspace for the entry being read. */
int floe_s3_parse_delete(const uint8_t *doc, size_t n, struct floe_s3_deleted *work,
                         floe_s3_delete_cb cb, void *arg, struct floe_s3_error *err);

#endif
