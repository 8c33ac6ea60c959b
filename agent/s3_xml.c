/* s3_xml.c — the S3 response-body reader (s3_xml.h).
 *
 * One walker checks well-formedness and reports elements with their '/'-joined path of local
 * names; each S3 document is then a small callback that picks the leaves it knows by path. The
 * walker keeps only offsets into the input and a fixed path buffer, so nothing is allocated and
 * nothing outside the input is read: every look-ahead is bounded by the remaining length.
 *
 * Grammar accepted (a subset of XML 1.0 — what S3 and compatible stores send):
 *   document := Misc* element Misc*          Misc := blank | comment | PI
 *   element  := '<' Name (blank+ Attr)* blank* ('/>' | '>' content '</' Name blank* '>')
 *   content  := (text | reference | CDATA | comment | PI | element)*
 *   reference:= '&' ('lt'|'gt'|'amp'|'quot'|'apos'|'#' digits|'#x' hexdigits) ';'
 * DOCTYPE and every other "<!" construct are refused.
 */
#include "s3_xml.h"

#include <errno.h>
#include <string.h>

/* ---- scanning ------------------------------------------------------------------------------- */

static bool blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool name_start(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' || c >= 0x80;
}

static bool name_char(uint8_t c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

static bool starts(const uint8_t *p, size_t n, size_t at, const char *lit)
{
    size_t k = strlen(lit);
    return n - at >= k && memcmp(p + at, lit, k) == 0;
}

/* Offset of the first lit at or after from, or n when absent. */
static size_t find(const uint8_t *p, size_t n, size_t from, const char *lit)
{
    size_t k = strlen(lit);
    for (size_t i = from; i + k <= n; i++) {
        if (p[i] == (uint8_t)lit[0] && memcmp(p + i, lit, k) == 0) {
            return i;
        }
    }
    return n;
}

/* Reads a reference starting at p[at] == '&'. On success *cp is the code point and *used the
 * bytes taken, ';' included. The longest valid form is "&#x0010FFFF;", so the scan is bounded. */
static int reference(const uint8_t *p, size_t n, size_t at, uint32_t *cp, size_t *used)
{
    static const struct {
        const char *name;
        uint32_t cp;
    } named[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
    size_t i = at + 1;
    for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
        if (starts(p, n, i, named[k].name)) {
            *cp = named[k].cp;
            *used = 1 + strlen(named[k].name);
            return 0;
        }
    }
    if (i >= n || p[i] != '#') {
        return -EINVAL;
    }
    i++;
    bool hex = i < n && p[i] == 'x';
    if (hex) {
        i++;
    }
    uint32_t v = 0;
    size_t digits = 0;
    for (; i < n && p[i] != ';'; i++, digits++) {
        uint8_t c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        } else if (hex && c >= 'a' && c <= 'f') {
            d = c - 'a' + 10u;
        } else if (hex && c >= 'A' && c <= 'F') {
            d = c - 'A' + 10u;
        } else {
            return -EINVAL;
        }
        v = v * (hex ? 16u : 10u) + d;
        if (v > 0x10FFFF) {
            return -EINVAL; /* also stops the loop before v can overflow */
        }
    }
    if (i >= n || digits == 0 || v == 0 || (v >= 0xD800 && v <= 0xDFFF)) {
        return -EINVAL;
    }
    *cp = v;
    *used = i + 1 - at;
    return 0;
}

static size_t utf8(uint32_t cp, uint8_t out[4])
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- text decoding -------------------------------------------------------------------------- */

/* Decoded output: bytes go to dst while they fit (cap - 1 of them, leaving room for the NUL);
 * total counts them all. */
struct out {
    char *dst;
    size_t cap;
    size_t total;
};

static void emit(struct out *o, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++, o->total++) {
        if (o->dst && o->total + 1 < o->cap) {
            o->dst[o->total] = (char)b[i];
        }
    }
}

/* Copies raw[from, to) with XML line-end handling (CR LF and lone CR become LF). */
static void emit_chars(struct out *o, const uint8_t *raw, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        uint8_t c = raw[i];
        if (c == '\r') {
            c = '\n';
            if (i + 1 < to && raw[i + 1] == '\n') {
                i++;
            }
        }
        emit(o, &c, 1);
    }
}

/* NUL is not a character XML allows, anywhere; refusing it up front keeps the walker and the
 * decoder in agreement about every construct. */
static int decode(const uint8_t *raw, size_t n, struct out *o)
{
    size_t i = 0;
    if (n > 0 && memchr(raw, 0, n) != NULL) {
        return -EINVAL;
    }
    while (i < n) {
        uint8_t c = raw[i];
        if (c == '&') {
            uint32_t cp;
            size_t used;
            uint8_t b[4];
            if (reference(raw, n, i, &cp, &used) < 0) {
                return -EINVAL;
            }
            emit(o, b, utf8(cp, b));
            i += used;
        } else if (c == '<') {
            size_t end;
            if (starts(raw, n, i, "<![CDATA[")) {
                end = find(raw, n, i + 9, "]]>");
                if (end == n) {
                    return -EINVAL;
                }
                emit_chars(o, raw, i + 9, end);
                i = end + 3;
            } else if (starts(raw, n, i, "<!--")) {
                end = find(raw, n, i + 4, "-->");
                if (end == n) {
                    return -EINVAL;
                }
                i = end + 3;
            } else if (starts(raw, n, i, "<?")) {
                end = find(raw, n, i + 2, "?>");
                if (end == n) {
                    return -EINVAL;
                }
                i = end + 2;
            } else {
                return -EINVAL;
            }
        } else {
            size_t j = i;
            while (j < n && raw[j] != '&' && raw[j] != '<') {
                j++;
            }
            emit_chars(o, raw, i, j);
            i = j;
        }
    }
    return 0;
}

int floe_s3_xml_text(const uint8_t *raw, size_t n, char *dst, size_t cap, size_t *len)
{
    struct out o = {dst, cap, 0};
    int rc = decode(raw, n, &o);
    if (rc == 0 && dst && o.total >= cap) {
        rc = -ENOSPC;
    }
    if (rc < 0) {
        if (dst && cap > 0) {
            dst[0] = '\0';
        }
        return rc;
    }
    if (dst) {
        dst[o.total] = '\0';
    }
    if (len) {
        *len = o.total;
    }
    return 0;
}

/* Like floe_s3_xml_text, but a value too long for dst is cut at a UTF-8 character boundary
 * and *cut set, instead of failing. */
static int text_truncated(const uint8_t *raw, size_t n, char *dst, size_t cap, bool *cut)
{
    struct out o = {dst, cap, 0};
    if (decode(raw, n, &o) < 0) {
        dst[0] = '\0';
        return -EINVAL;
    }
    if (o.total < cap) {
        dst[o.total] = '\0';
        return 0;
    }
    /* dst[0, cap - 1) is full. If the cut left the last UTF-8 sequence incomplete, drop it: find
     * its lead byte (at most three continuation bytes back) and the length it announces. */
    size_t end = cap - 1, lead = end;
    for (int back = 0; lead > 0 && back < 4; back++) {
        lead--;
        if (((uint8_t)dst[lead] & 0xC0) != 0x80) {
            break;
        }
    }
    if (end > 0) {
        uint8_t c = (uint8_t)dst[lead];
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if ((c & 0xC0) != 0x80 && lead + need > end) {
            end = lead;
        }
    }
    dst[end] = '\0';
    *cut = true;
    return 0;
}

/* ---- the walker ----------------------------------------------------------------------------- */

struct frame {
    size_t qname_at, qname_len; /* the tag's full name in the input, to match its end tag */
    size_t path_len;            /* path length before this element's component */
    size_t content_at;          /* first byte after the start tag */
    bool has_child;
};

struct walker {
    const uint8_t *p;
    size_t n;
    size_t at;
    floe_s3_xml_cb cb;
    void *arg;
    size_t depth;
    bool root_done;
    struct frame st[FLOE_S3_XML_MAX_DEPTH];
    char path[FLOE_S3_XML_MAX_PATH + 1];
    size_t path_len;
};

static int report(struct walker *w, enum floe_s3_xml_event ev, bool leaf, size_t raw_at,
                  size_t raw_len)
{
    if (!w->cb) {
        return 0;
    }
    const struct frame *f = &w->st[w->depth - 1];
    size_t name_at = f->path_len + (w->depth > 1 ? 1 : 0);
    struct floe_s3_xml_node node = {
        .event = ev,
        .path = w->path,
        .path_len = w->path_len,
        .name = w->path + name_at,
        .depth = w->depth,
        .leaf = leaf,
        .raw = leaf ? w->p + raw_at : NULL,
        .raw_len = leaf ? raw_len : 0,
    };
    return w->cb(w->arg, &node);
}

/* Reads a name at w->at; returns its length (0 when there is none). */
static size_t scan_name(struct walker *w)
{
    size_t i = w->at;
    if (i >= w->n || !name_start(w->p[i])) {
        return 0;
    }
    while (i < w->n && name_char(w->p[i])) {
        i++;
    }
    return i - w->at;
}

static bool skip_blanks(struct walker *w)
{
    size_t from = w->at;
    while (w->at < w->n && blank(w->p[w->at])) {
        w->at++;
    }
    return w->at > from;
}

/* Checks text (outside markup) from w->at up to the next '<'. Outside the root only blanks may
 * appear. */
static int scan_text(struct walker *w)
{
    while (w->at < w->n && w->p[w->at] != '<') {
        uint8_t c = w->p[w->at];
        if (w->depth == 0 && !blank(c)) {
            return -EINVAL;
        }
        if (c == '&') {
            uint32_t cp;
            size_t used;
            if (reference(w->p, w->n, w->at, &cp, &used) < 0) {
                return -EINVAL;
            }
            w->at += used;
        } else {
            w->at++;
        }
    }
    return 0;
}

/* Skips the attributes of a start tag, up to (not including) '>' or "/>". */
static int scan_attributes(struct walker *w)
{
    for (;;) {
        bool sep = skip_blanks(w);
        if (w->at >= w->n) {
            return -EINVAL;
        }
        uint8_t c = w->p[w->at];
        if (c == '>' || c == '/') {
            return 0;
        }
        size_t k = scan_name(w);
        if (!sep || k == 0) {
            return -EINVAL;
        }
        w->at += k;
        skip_blanks(w);
        if (w->at >= w->n || w->p[w->at] != '=') {
            return -EINVAL;
        }
        w->at++;
        skip_blanks(w);
        if (w->at >= w->n || (w->p[w->at] != '"' && w->p[w->at] != '\'')) {
            return -EINVAL;
        }
        uint8_t q = w->p[w->at++];
        while (w->at < w->n && w->p[w->at] != q) {
            uint8_t v = w->p[w->at];
            uint32_t cp;
            size_t used = 1;
            if (v == '<' || (v == '&' && reference(w->p, w->n, w->at, &cp, &used) < 0)) {
                return -EINVAL;
            }
            w->at += used;
        }
        if (w->at >= w->n) {
            return -EINVAL;
        }
        w->at++; /* the closing quote */
    }
}

/* Reports the CLOSE of the innermost open element (its content is raw_at, raw_len), then pops
 * it: its component leaves the path, and closing the root marks the root as done. */
static int close_element(struct walker *w, bool leaf, size_t raw_at, size_t raw_len)
{
    const struct frame *f = &w->st[w->depth - 1];
    int rc = report(w, FLOE_S3_XML_CLOSE, leaf, raw_at, raw_len);
    if (rc != 0) {
        return rc;
    }
    w->path_len = f->path_len;
    w->path[w->path_len] = '\0';
    if (--w->depth == 0) {
        w->root_done = true;
    }
    return 0;
}

static int start_tag(struct walker *w)
{
    if (w->depth == 0 && w->root_done) {
        return -EINVAL; /* a second root */
    }
    if (w->depth == FLOE_S3_XML_MAX_DEPTH) {
        return -EINVAL;
    }
    w->at++; /* '<' */
    size_t k = scan_name(w);
    if (k == 0) {
        return -EINVAL;
    }
    /* The local name: what follows the last ':' of a prefixed name. */
    size_t local = 0;
    for (size_t i = 0; i < k; i++) {
        if (w->p[w->at + i] == ':') {
            local = i + 1;
        }
    }
    size_t local_len = k - local;
    size_t sep = w->depth > 0 ? 1 : 0;
    if (local_len == 0 || w->path_len + sep + local_len > FLOE_S3_XML_MAX_PATH) {
        return -EINVAL;
    }
    if (w->depth > 0) {
        w->st[w->depth - 1].has_child = true;
    }
    struct frame *f = &w->st[w->depth++];
    f->qname_at = w->at;
    f->qname_len = k;
    f->path_len = w->path_len;
    f->has_child = false;
    if (sep) {
        w->path[w->path_len++] = '/';
    }
    memcpy(w->path + w->path_len, w->p + w->at + local, local_len);
    w->path_len += local_len;
    w->path[w->path_len] = '\0';
    w->at += k;

    int rc = scan_attributes(w);
    if (rc < 0) {
        return rc;
    }
    bool empty_tag = w->p[w->at] == '/';
    if (empty_tag) {
        if (w->at + 1 >= w->n || w->p[w->at + 1] != '>') {
            return -EINVAL;
        }
        w->at++;
    }
    w->at++; /* '>' */
    f->content_at = w->at;
    if ((rc = report(w, FLOE_S3_XML_OPEN, false, 0, 0)) != 0) {
        return rc;
    }
    return empty_tag ? close_element(w, true, w->at, 0) : 0;
}

static int end_tag(struct walker *w)
{
    if (w->depth == 0) {
        return -EINVAL;
    }
    struct frame *f = &w->st[w->depth - 1];
    size_t content_end = w->at;
    w->at += 2; /* "</" */
    size_t k = scan_name(w);
    if (k != f->qname_len || memcmp(w->p + w->at, w->p + f->qname_at, k) != 0) {
        return -EINVAL;
    }
    w->at += k;
    skip_blanks(w);
    if (w->at >= w->n || w->p[w->at] != '>') {
        return -EINVAL;
    }
    w->at++;
    return close_element(w, !f->has_child, f->content_at, content_end - f->content_at);
}

/* Skips a construct from w->at that ends with lit; -EINVAL when it never ends. */
static int skip_to(struct walker *w, size_t open_len, const char *lit)
{
    size_t end = find(w->p, w->n, w->at + open_len, lit);
    if (end == w->n) {
        return -EINVAL;
    }
    w->at = end + strlen(lit);
    return 0;
}

int floe_s3_xml_walk(const uint8_t *doc, size_t n, floe_s3_xml_cb cb, void *arg)
{
    struct walker w;
    memset(&w, 0, sizeof(w));
    w.p = doc;
    w.n = doc ? n : 0;
    w.cb = cb;
    w.arg = arg;
    if (w.n > 0 && memchr(w.p, 0, w.n) != NULL) {
        return -EINVAL; /* see decode() */
    }
    if (starts(w.p, w.n, 0, "\xef\xbb\xbf")) {
        w.at = 3; /* a UTF-8 byte-order mark */
    }
    while (w.at < w.n) {
        int rc;
        if (w.p[w.at] != '<') {
            rc = scan_text(&w);
        } else if (starts(w.p, w.n, w.at, "<?")) {
            rc = skip_to(&w, 2, "?>");
        } else if (starts(w.p, w.n, w.at, "<!--")) {
            rc = skip_to(&w, 4, "-->");
        } else if (starts(w.p, w.n, w.at, "<![CDATA[")) {
            rc = w.depth > 0 ? skip_to(&w, 9, "]]>") : -EINVAL;
        } else if (starts(w.p, w.n, w.at, "<!")) {
            rc = -EINVAL; /* DOCTYPE and declarations */
        } else if (starts(w.p, w.n, w.at, "</")) {
            rc = end_tag(&w);
        } else {
            rc = start_tag(&w);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return (w.depth == 0 && w.root_done) ? 0 : -EINVAL;
}

/* ---- S3 documents --------------------------------------------------------------------------- */

/* What every document reader shares: the expected root, and the <Error> it may get instead. */
struct doc {
    const char *root;
    bool root_seen;
    bool is_error;
    bool wrong_root;
    bool have_code;
    struct floe_s3_error *err;
};

static bool at_path(const struct floe_s3_xml_node *nd, const char *path)
{
    return strcmp(nd->path, path) == 0;
}

/* Sets *have, failing on a repeated element. */
static int once(bool *have)
{
    if (*have) {
        return -EINVAL;
    }
    *have = true;
    return 0;
}

/* Copies the decoded text of the leaf nd into the field dst (cap bytes, NUL-terminated). have,
 * when not NULL, marks an element that may appear only once: a repeat is -EINVAL. With cut
 * NULL a value that does not fit is -ENOSPC; otherwise it is truncated at a UTF-8 character
 * boundary and *cut set. Bad text is -EINVAL. */
static int copy_field(const struct floe_s3_xml_node *nd, bool *have, char *dst, size_t cap,
                      bool *cut)
{
    if (have && once(have) < 0) {
        return -EINVAL;
    }
    if (cut) {
        return text_truncated(nd->raw, nd->raw_len, dst, cap, cut);
    }
    return floe_s3_xml_text(nd->raw, nd->raw_len, dst, cap, NULL);
}

/* Handles the root element and the leaves of an <Error> root. Returns 1 when the node was
 * consumed here, 0 when the document reader should look at it, or a negative error. */
static int doc_node(struct doc *d, const struct floe_s3_xml_node *nd)
{
    if (nd->depth == 1) {
        if (nd->event == FLOE_S3_XML_OPEN) {
            d->root_seen = true;
            d->is_error = strcmp(nd->name, "Error") == 0;
            d->wrong_root = !d->is_error && (!d->root || strcmp(nd->name, d->root) != 0);
        }
        return 1;
    }
    if (d->wrong_root) {
        return 1;
    }
    if (!d->is_error) {
        return 0;
    }
    if (nd->event != FLOE_S3_XML_CLOSE || !nd->leaf || nd->depth != 2) {
        return 1;
    }
    struct floe_s3_error *e = d->err;
    if (strcmp(nd->name, "Code") == 0) {
        int rc = copy_field(nd, &d->have_code, e->code, sizeof(e->code), NULL);
        return rc < 0 ? rc : e->code[0] == '\0' ? -EINVAL : 1;
    }
    if (strcmp(nd->name, "Message") == 0) {
        int rc = copy_field(nd, NULL, e->message, sizeof(e->message), &e->truncated);
        return rc < 0 ? -EINVAL : 1;
    }
    if (strcmp(nd->name, "RequestId") == 0) {
        int rc = copy_field(nd, NULL, e->request_id, sizeof(e->request_id), &e->truncated);
        return rc < 0 ? -EINVAL : 1;
    }
    return 1;
}

/* The common ending: maps the walk's result and the root seen to the documented codes. */
static int doc_finish(const struct doc *d, int rc)
{
    if (rc < 0) {
        return rc;
    }
    if (d->is_error) {
        return d->have_code ? -EREMOTEIO : -EINVAL;
    }
    if (d->wrong_root || !d->root_seen) {
        return -EINVAL;
    }
    return 0;
}

static void doc_init(struct doc *d, const char *root, struct floe_s3_error *err,
                     struct floe_s3_error *scratch)
{
    memset(d, 0, sizeof(*d));
    d->root = root;
    d->err = err ? err : scratch;
    memset(d->err, 0, sizeof(*d->err));
}

static int error_cb(void *arg, const struct floe_s3_xml_node *nd)
{
    int rc = doc_node(arg, nd);
    return rc < 0 ? rc : 0;
}

int floe_s3_parse_error(const uint8_t *doc, size_t n, struct floe_s3_error *err)
{
    struct floe_s3_error scratch;
    struct doc d;
    doc_init(&d, NULL, err, &scratch);
    err = d.err;
    int rc = floe_s3_xml_walk(doc, n, error_cb, &d);
    if (rc == 0 && !d.is_error) {
        return -ENOENT;
    }
    rc = doc_finish(&d, rc);
    if (rc != -EREMOTEIO) {
        memset(err, 0, sizeof(*err));
        return rc;
    }
    return 0;
}

/* A reader that wants one required leaf at a fixed path (UploadId, ETag). */
struct single {
    struct doc d;
    const char *path;
    char *dst;
    size_t cap;
    size_t len;
    bool have;
};

static int single_cb(void *arg, const struct floe_s3_xml_node *nd)
{
    struct single *s = arg;
    int rc = doc_node(&s->d, nd);
    if (rc != 0) {
        return rc < 0 ? rc : 0;
    }
    if (nd->event == FLOE_S3_XML_CLOSE && nd->leaf && at_path(nd, s->path)) {
        rc = copy_field(nd, &s->have, s->dst, s->cap, NULL);
        if (rc < 0) {
            return rc;
        }
        s->len = strlen(s->dst); /* decoded text has no NUL (floe_s3_xml_text refuses it) */
        return s->len == 0 ? -EINVAL : 0;
    }
    return 0;
}

static int parse_single(const uint8_t *doc, size_t n, const char *root, const char *path, char *dst,
                        size_t cap, size_t *len, struct floe_s3_error *err)
{
    struct floe_s3_error scratch;
    struct single s = {.path = path, .dst = dst, .cap = cap};
    doc_init(&s.d, root, err, &scratch);
    if (dst && cap > 0) {
        dst[0] = '\0';
    }
    if (!dst || cap == 0) {
        return -ENOSPC;
    }
    int rc = doc_finish(&s.d, floe_s3_xml_walk(doc, n, single_cb, &s));
    if (rc == 0 && !s.have) {
        rc = -EINVAL;
    }
    if (rc < 0) {
        dst[0] = '\0';
        return rc;
    }
    if (len) {
        *len = s.len;
    }
    return 0;
}

int floe_s3_parse_initiate(const uint8_t *doc, size_t n, char *upload_id, size_t cap, size_t *len,
                           struct floe_s3_error *err)
{
    return parse_single(doc, n, "InitiateMultipartUploadResult",
                        "InitiateMultipartUploadResult/UploadId", upload_id, cap, len, err);
}

int floe_s3_parse_complete(const uint8_t *doc, size_t n, char *etag, size_t cap, size_t *len,
                           struct floe_s3_error *err)
{
    int rc = parse_single(doc, n, "CompleteMultipartUploadResult",
                          "CompleteMultipartUploadResult/ETag", etag, cap, len, err);
    if (rc == -EINVAL) {
        /* moto names the root CompleteMultipartUploadResponse; accept that spelling too. */
        int alt = parse_single(doc, n, "CompleteMultipartUploadResponse",
                               "CompleteMultipartUploadResponse/ETag", etag, cap, len, err);
        if (alt == 0) {
            return 0;
        }
    }
    return rc;
}

/* ListObjectsV2. */
struct lister {
    struct doc d;
    struct floe_s3_list *list;
    floe_s3_list_cb cb;
    void *arg;
    bool deliver; /* second pass: the document is known to be good */
    bool have_key, have_size, have_etag, have_time, have_truncated, have_token;
};

/* Parses a decimal uint64 (digits only). */
static int parse_u64(const struct floe_s3_xml_node *nd, uint64_t *v)
{
    char buf[24];
    size_t len;
    if (floe_s3_xml_text(nd->raw, nd->raw_len, buf, sizeof(buf), &len) < 0 || len == 0) {
        return -EINVAL;
    }
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] < '0' || buf[i] > '9') {
            return -EINVAL;
        }
        unsigned d = (unsigned)(buf[i] - '0');
        if (x > (UINT64_MAX - d) / 10) {
            return -EINVAL;
        }
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

static int list_leaf(struct lister *l, const struct floe_s3_xml_node *nd)
{
    struct floe_s3_object *o = &l->list->object;
    int rc;
    if (at_path(nd, "ListBucketResult/Contents/Key")) {
        return copy_field(nd, &l->have_key, o->key, sizeof(o->key), NULL);
    }
    if (at_path(nd, "ListBucketResult/Contents/Size")) {
        return (rc = once(&l->have_size)) < 0 ? rc : parse_u64(nd, &o->size);
    }
    if (at_path(nd, "ListBucketResult/Contents/ETag")) {
        return copy_field(nd, &l->have_etag, o->etag, sizeof(o->etag), NULL);
    }
    if (at_path(nd, "ListBucketResult/Contents/LastModified")) {
        return copy_field(nd, &l->have_time, o->last_modified, sizeof(o->last_modified), NULL);
    }
    if (at_path(nd, "ListBucketResult/IsTruncated")) {
        char b[8];
        if ((rc = once(&l->have_truncated)) < 0) {
            return rc;
        }
        if (floe_s3_xml_text(nd->raw, nd->raw_len, b, sizeof(b), NULL) < 0) {
            return -EINVAL;
        }
        if (strcmp(b, "true") != 0 && strcmp(b, "false") != 0) {
            return -EINVAL;
        }
        l->list->is_truncated = b[0] == 't';
        return 0;
    }
    if (at_path(nd, "ListBucketResult/NextContinuationToken")) {
        return copy_field(nd, &l->have_token, l->list->next_token, sizeof(l->list->next_token),
                          NULL);
    }
    return 0;
}

static int list_cb(void *arg, const struct floe_s3_xml_node *nd)
{
    struct lister *l = arg;
    int rc = doc_node(&l->d, nd);
    if (rc != 0) {
        return rc < 0 ? rc : 0;
    }
    bool contents = at_path(nd, "ListBucketResult/Contents");
    if (nd->event == FLOE_S3_XML_OPEN) {
        if (contents) {
            memset(&l->list->object, 0, sizeof(l->list->object));
            l->have_key = l->have_size = l->have_etag = l->have_time = false;
        }
        return 0;
    }
    if (contents) {
        if (!l->have_key || l->list->object.key[0] == '\0') {
            return -EINVAL;
        }
        l->list->count++;
        rc = l->deliver && l->cb ? l->cb(l->arg, &l->list->object) : 0;
        return rc < 0 ? rc : 0;
    }
    return nd->leaf ? list_leaf(l, nd) : 0;
}

int floe_s3_parse_list(const uint8_t *doc, size_t n, struct floe_s3_list *list, floe_s3_list_cb cb,
                       void *arg, struct floe_s3_error *err)
{
    struct floe_s3_error scratch;
    struct lister l;
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        memset(&l, 0, sizeof(l));
        memset(list, 0, sizeof(*list));
        doc_init(&l.d, "ListBucketResult", err, &scratch);
        l.list = list;
        l.cb = cb;
        l.arg = arg;
        l.deliver = pass == 1;
        rc = doc_finish(&l.d, floe_s3_xml_walk(doc, n, list_cb, &l));
    }
    if (rc < 0) {
        memset(list, 0, sizeof(*list));
    }
    return rc;
}

/* DeleteObjects. */
struct deleter {
    struct doc d;
    struct floe_s3_deleted *e;
    floe_s3_delete_cb cb;
    void *arg;
    bool deliver;
    bool have_key, have_code, have_message;
};

static int delete_cb(void *arg, const struct floe_s3_xml_node *nd)
{
    struct deleter *x = arg;
    int rc = doc_node(&x->d, nd);
    if (rc != 0) {
        return rc < 0 ? rc : 0;
    }
    bool deleted = at_path(nd, "DeleteResult/Deleted");
    bool failed = at_path(nd, "DeleteResult/Error");
    if (deleted || failed) {
        if (nd->event == FLOE_S3_XML_OPEN) {
            memset(x->e, 0, sizeof(*x->e));
            x->e->deleted = deleted;
            x->have_key = x->have_code = x->have_message = false;
            return 0;
        }
        if (!x->have_key || x->e->key[0] == '\0' ||
            (failed && (!x->have_code || x->e->code[0] == '\0'))) {
            return -EINVAL;
        }
        rc = x->deliver && x->cb ? x->cb(x->arg, x->e) : 0;
        return rc < 0 ? rc : 0;
    }
    if (nd->event != FLOE_S3_XML_CLOSE || !nd->leaf || nd->depth != 3) {
        return 0;
    }
    bool in_deleted = strncmp(nd->path, "DeleteResult/Deleted/", 21) == 0;
    bool in_error = strncmp(nd->path, "DeleteResult/Error/", 19) == 0;
    if (!in_deleted && !in_error) {
        return 0;
    }
    if (strcmp(nd->name, "Key") == 0) {
        return copy_field(nd, &x->have_key, x->e->key, sizeof(x->e->key), NULL);
    }
    if (in_error && strcmp(nd->name, "Code") == 0) {
        return copy_field(nd, &x->have_code, x->e->code, sizeof(x->e->code), NULL);
    }
    if (in_error && strcmp(nd->name, "Message") == 0) {
        bool cut = false;
        return copy_field(nd, &x->have_message, x->e->message, sizeof(x->e->message), &cut);
    }
    return 0;
}

int floe_s3_parse_delete(const uint8_t *doc, size_t n, struct floe_s3_deleted *work,
                         floe_s3_delete_cb cb, void *arg, struct floe_s3_error *err)
{
    struct floe_s3_error scratch;
    struct deleter x;
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        memset(&x, 0, sizeof(x));
        doc_init(&x.d, "DeleteResult", err, &scratch);
        x.e = work;
        x.cb = cb;
        x.arg = arg;
        x.deliver = pass == 1;
        rc = doc_finish(&x.d, floe_s3_xml_walk(doc, n, delete_cb, &x));
    }
    memset(work, 0, sizeof(*work));
    return rc;
}
