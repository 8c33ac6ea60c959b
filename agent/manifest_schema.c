/* manifest_schema.c — the Avro schemas and partition-spec JSON that floe's manifest writers
 * embed, following Iceberg's Avro conventions (spec Appendix A; Java TypeToSchema and
 * AvroSchemaUtil):
 *
 *   - every record field carries "field-id"; optional fields are ["null", T] with
 *     "default": null;
 *   - nested records are named "r<field id>": r2 data_file, r102 partition, r508 summary;
 *   - int-keyed maps are arrays of records "k<key id>_v<value id>" with "logicalType": "map";
 *   - lists carry "element-id";
 *   - partition fields keep the spec's names, made Avro-compatible the way Java does it
 *     (a leading digit gets "_", any other invalid character becomes "_x<HEX>") with the
 *     original kept in "iceberg-field-name".
 *
 * The manifest_entry field order is Java V2Metadata's: status, snapshot_id, sequence_number,
 * file_sequence_number, data_file{content, file_path, file_format, partition, record_count,
 * file_size_in_bytes, column_sizes, value_counts, null_value_counts, nan_value_counts,
 * lower_bounds, upper_bounds, key_metadata, split_offsets, equality_ids, sort_order_id}.
 */
#include "manifest_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- JSON text ---- */

void floe__json_bytes(struct floe__json *j, const char *s, size_t n)
{
    if (j->len < j->cap) {
        size_t room = j->cap - j->len;
        memcpy(j->p + j->len, s, n < room ? n : room);
    }
    j->len += n;
}

void floe__json_raw(struct floe__json *j, const char *s)
{
    floe__json_bytes(j, s, strlen(s));
}

void floe__json_str(struct floe__json *j, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;

    floe__json_raw(j, "\"");
    for (; *u; u++) {
        if (*u == '"' || *u == '\\') {
            char esc[2] = {'\\', (char)*u};
            floe__json_bytes(j, esc, 2);
        } else if (*u < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[*u >> 4], hex[*u & 15]};
            floe__json_bytes(j, esc, 6);
        } else {
            floe__json_bytes(j, (const char *)u, 1);
        }
    }
    floe__json_raw(j, "\"");
}

void floe__json_int(struct floe__json *j, long long v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", v);
    floe__json_bytes(j, buf, (size_t)n);
}

/* ---- helpers ---- */

int32_t floe__decimal_bytes(int32_t precision)
{
    /* The smallest n whose signed range 2^(8n-1) holds every precision-digit number, i.e.
     * floor(log10(2^(8n-1) - 1)) >= precision. log10(2) = 0.30102999566398120. */
    if (precision < 1 || precision > 38) {
        return 0;
    }
    for (int32_t n = 1; n <= 16; n++) {
        if ((int32_t)((double)(8 * n - 1) * 0.30102999566398120) >= precision) {
            return n;
        }
    }
    return 16;
}

bool floe__value_fits(const struct ice_type *t, const struct ice_value *v)
{
    if (v->type != t->id) {
        return false;
    }
    if (v->is_null) {
        return true;
    }
    if (t->id == ICE_FIXED) {
        return v->v.bin.n == (size_t)t->length;
    }
    if (t->id == ICE_DECIMAL) {
        return v->scale == t->scale;
    }
    return true;
}

static bool name_char_ok(unsigned char c, bool first)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

static bool name_valid(const char *s)
{
    for (size_t i = 0; s[i]; i++) {
        if (!name_char_ok((unsigned char)s[i], i == 0)) {
            return false;
        }
    }
    return s[0] != '\0';
}

/* Java's AvroSchemaUtil.makeCompatibleName: a digit → "_" + digit, another invalid character →
 * "_x" + uppercase hex of its code point. A UTF-8 sequence counts as one code point; a byte
 * that does not start a valid sequence is encoded alone. */
static void put_compatible_name(struct floe__json *j, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    char buf[16];

    floe__json_raw(j, "\"");
    for (size_t i = 0; u[i];) {
        uint32_t cp = u[i];
        size_t n = 1;
        if (name_char_ok(u[i], i == 0)) {
            floe__json_bytes(j, (const char *)&u[i], 1);
            i++;
            continue;
        }
        if (u[i] >= '0' && u[i] <= '9') {
            buf[0] = '_';
            buf[1] = (char)u[i];
            floe__json_bytes(j, buf, 2);
            i++;
            continue;
        }
        if (u[i] >= 0xC2 && u[i] <= 0xF4) {
            size_t need = u[i] >= 0xF0 ? 4 : u[i] >= 0xE0 ? 3 : 2;
            uint32_t v = u[i] & (0x7Fu >> need);
            size_t k = 1;
            for (; k < need && (u[i + k] & 0xC0) == 0x80; k++) {
                v = (v << 6) | (u[i + k] & 0x3Fu);
            }
            if (k == need) {
                cp = v;
                n = need;
            }
        }
        snprintf(buf, sizeof buf, "_x%X", (unsigned)cp);
        floe__json_raw(j, buf);
        i += n;
    }
    floe__json_raw(j, "\"");
}

/* Whether fields[0..i) already defined the named Avro type that field i's type needs. */
static bool named_type_defined(const struct floe_manifest_spec *spec, uint32_t i)
{
    const struct ice_type *t = &spec->fields[i].type;
    for (uint32_t k = 0; k < i; k++) {
        const struct ice_type *o = &spec->fields[k].type;
        if (o->id != t->id) {
            continue;
        }
        if (t->id == ICE_UUID || (t->id == ICE_FIXED && o->length == t->length) ||
            (t->id == ICE_DECIMAL && o->precision == t->precision && o->scale == t->scale)) {
            return true;
        }
    }
    return false;
}

/* The Avro type of a partition value of type t (Appendix A). */
static int put_value_type(struct floe__json *j, const struct floe_manifest_spec *spec, uint32_t i)
{
    const struct ice_type *t = &spec->fields[i].type;
    bool defined = named_type_defined(spec, i);
    char name[48];

    switch (t->id) {
    case ICE_BOOLEAN:
        floe__json_raw(j, "\"boolean\"");
        return 0;
    case ICE_INT:
        floe__json_raw(j, "\"int\"");
        return 0;
    case ICE_LONG:
        floe__json_raw(j, "\"long\"");
        return 0;
    case ICE_FLOAT:
        floe__json_raw(j, "\"float\"");
        return 0;
    case ICE_DOUBLE:
        floe__json_raw(j, "\"double\"");
        return 0;
    case ICE_STRING:
        floe__json_raw(j, "\"string\"");
        return 0;
    case ICE_BINARY:
        floe__json_raw(j, "\"bytes\"");
        return 0;
    case ICE_DATE:
        floe__json_raw(j, "{\"type\":\"int\",\"logicalType\":\"date\"}");
        return 0;
    case ICE_TIME:
        floe__json_raw(j, "{\"type\":\"long\",\"logicalType\":\"time-micros\"}");
        return 0;
    case ICE_TIMESTAMP:
        floe__json_raw(j, "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\","
                          "\"adjust-to-utc\":false}");
        return 0;
    case ICE_TIMESTAMPTZ:
        floe__json_raw(j, "{\"type\":\"long\",\"logicalType\":\"timestamp-micros\","
                          "\"adjust-to-utc\":true}");
        return 0;
    case ICE_UUID:
        floe__json_raw(j, defined ? "\"uuid_fixed\""
                                  : "{\"type\":\"fixed\",\"name\":\"uuid_fixed\",\"size\":16,"
                                    "\"logicalType\":\"uuid\"}");
        return 0;
    case ICE_FIXED:
        if (t->length <= 0) {
            return -EINVAL;
        }
        snprintf(name, sizeof name, "fixed_%d", (int)t->length);
        if (defined) {
            floe__json_str(j, name);
            return 0;
        }
        floe__json_raw(j, "{\"type\":\"fixed\",\"name\":");
        floe__json_str(j, name);
        floe__json_raw(j, ",\"size\":");
        floe__json_int(j, t->length);
        floe__json_raw(j, "}");
        return 0;
    case ICE_DECIMAL:
        if (floe__decimal_bytes(t->precision) == 0 || t->scale < 0 || t->scale > t->precision) {
            return -EINVAL;
        }
        snprintf(name, sizeof name, "decimal_%d_%d", (int)t->precision, (int)t->scale);
        if (defined) {
            floe__json_str(j, name);
            return 0;
        }
        floe__json_raw(j, "{\"type\":\"fixed\",\"name\":");
        floe__json_str(j, name);
        floe__json_raw(j, ",\"size\":");
        floe__json_int(j, floe__decimal_bytes(t->precision));
        floe__json_raw(j, ",\"logicalType\":\"decimal\",\"precision\":");
        floe__json_int(j, t->precision);
        floe__json_raw(j, ",\"scale\":");
        floe__json_int(j, t->scale);
        floe__json_raw(j, "}");
        return 0;
    }
    return -EINVAL;
}

/* An optional int-keyed metrics map: field `name` (id) holding k<kid>_v<vid> records. */
static void put_map(struct floe__json *j, const char *name, int id, int kid, int vid,
                    const char *vtype)
{
    char buf[320];
    snprintf(buf, sizeof buf,
             "{\"name\":\"%s\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{\"type\":"
             "\"record\",\"name\":\"k%d_v%d\",\"fields\":[{\"name\":\"key\",\"type\":\"int\","
             "\"field-id\":%d},{\"name\":\"value\",\"type\":\"%s\",\"field-id\":%d}]},"
             "\"logicalType\":\"map\"}],\"default\":null,\"field-id\":%d}",
             name, kid, vid, kid, vtype, vid, id);
    floe__json_raw(j, buf);
}

int floe__manifest_avro_schema(const struct floe_manifest_spec *spec, struct floe__json *j)
{
    int rc;

    for (uint32_t i = 0; i < spec->nfields; i++) {
        if (!spec->fields[i].name || !spec->fields[i].name[0] || !spec->fields[i].transform) {
            return -EINVAL;
        }
        for (uint32_t k = 0; k < i; k++) {
            if (spec->fields[k].field_id == spec->fields[i].field_id) {
                return -EINVAL;
            }
        }
    }

    floe__json_raw(j, "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
                      "{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
                      "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],\"default\":null,"
                      "\"field-id\":1},"
                      "{\"name\":\"sequence_number\",\"type\":[\"null\",\"long\"],"
                      "\"default\":null,\"field-id\":3},"
                      "{\"name\":\"file_sequence_number\",\"type\":[\"null\",\"long\"],"
                      "\"default\":null,\"field-id\":4},"
                      "{\"name\":\"data_file\",\"type\":{\"type\":\"record\",\"name\":\"r2\","
                      "\"fields\":["
                      "{\"name\":\"content\",\"type\":\"int\",\"field-id\":134},"
                      "{\"name\":\"file_path\",\"type\":\"string\",\"field-id\":100},"
                      "{\"name\":\"file_format\",\"type\":\"string\",\"field-id\":101},"
                      "{\"name\":\"partition\",\"type\":{\"type\":\"record\",\"name\":\"r102\","
                      "\"fields\":[");
    for (uint32_t i = 0; i < spec->nfields; i++) {
        const struct floe_manifest_spec_field *f = &spec->fields[i];
        floe__json_raw(j, i ? ",{\"name\":" : "{\"name\":");
        put_compatible_name(j, f->name);
        floe__json_raw(j, ",\"type\":[\"null\",");
        rc = put_value_type(j, spec, i);
        if (rc < 0) {
            return rc;
        }
        floe__json_raw(j, "],\"default\":null,\"field-id\":");
        floe__json_int(j, f->field_id);
        if (!name_valid(f->name)) {
            floe__json_raw(j, ",\"iceberg-field-name\":");
            floe__json_str(j, f->name);
        }
        floe__json_raw(j, "}");
    }
    floe__json_raw(j, "]},"
                      "\"field-id\":102},"
                      "{\"name\":\"record_count\",\"type\":\"long\",\"field-id\":103},"
                      "{\"name\":\"file_size_in_bytes\",\"type\":\"long\",\"field-id\":104},");
    put_map(j, "column_sizes", 108, 117, 118, "long");
    floe__json_raw(j, ",");
    put_map(j, "value_counts", 109, 119, 120, "long");
    floe__json_raw(j, ",");
    put_map(j, "null_value_counts", 110, 121, 122, "long");
    floe__json_raw(j, ",");
    put_map(j, "nan_value_counts", 137, 138, 139, "long");
    floe__json_raw(j, ",");
    put_map(j, "lower_bounds", 125, 126, 127, "bytes");
    floe__json_raw(j, ",");
    put_map(j, "upper_bounds", 128, 129, 130, "bytes");
    floe__json_raw(j, ",{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],"
                      "\"default\":null,\"field-id\":131},"
                      "{\"name\":\"split_offsets\",\"type\":[\"null\",{\"type\":\"array\","
                      "\"items\":\"long\",\"element-id\":133}],\"default\":null,"
                      "\"field-id\":132},"
                      "{\"name\":\"equality_ids\",\"type\":[\"null\",{\"type\":\"array\","
                      "\"items\":\"int\",\"element-id\":136}],\"default\":null,"
                      "\"field-id\":135},"
                      "{\"name\":\"sort_order_id\",\"type\":[\"null\",\"int\"],"
                      "\"default\":null,\"field-id\":140}"
                      "]},\"field-id\":2}]}");
    return 0;
}

void floe__manifest_spec_json(const struct floe_manifest_spec *spec, struct floe__json *j)
{
    floe__json_raw(j, "[");
    for (uint32_t i = 0; i < spec->nfields; i++) {
        const struct floe_manifest_spec_field *f = &spec->fields[i];
        floe__json_raw(j, i ? ",{\"name\":" : "{\"name\":");
        floe__json_str(j, f->name);
        floe__json_raw(j, ",\"transform\":");
        floe__json_str(j, f->transform);
        floe__json_raw(j, ",\"source-id\":");
        floe__json_int(j, f->source_id);
        floe__json_raw(j, ",\"field-id\":");
        floe__json_int(j, f->field_id);
        floe__json_raw(j, "}");
    }
    floe__json_raw(j, "]");
}

void floe__mlist_avro_schema(struct floe__json *j)
{
    floe__json_raw(
        j,
        "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
        "{\"name\":\"manifest_path\",\"type\":\"string\",\"field-id\":500},"
        "{\"name\":\"manifest_length\",\"type\":\"long\",\"field-id\":501},"
        "{\"name\":\"partition_spec_id\",\"type\":\"int\","
        "\"field-id\":502},"
        "{\"name\":\"content\",\"type\":\"int\",\"field-id\":517},"
        "{\"name\":\"sequence_number\",\"type\":\"long\",\"field-id\":515},"
        "{\"name\":\"min_sequence_number\",\"type\":\"long\",\"field-id\":516},"
        "{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"field-id\":503},"
        "{\"name\":\"added_files_count\",\"type\":\"int\","
        "\"field-id\":504},"
        "{\"name\":\"existing_files_count\",\"type\":\"int\",\"field-id\":505},"
        "{\"name\":\"deleted_files_count\",\"type\":\"int\","
        "\"field-id\":506},"
        "{\"name\":\"added_rows_count\",\"type\":\"long\","
        "\"field-id\":512},"
        "{\"name\":\"existing_rows_count\",\"type\":\"long\",\"field-id\":513},"
        "{\"name\":\"deleted_rows_count\",\"type\":\"long\","
        "\"field-id\":514},"
        "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\",\"items\":{"
        "\"type\":\"record\",\"name\":\"r508\",\"fields\":["
        "{\"name\":\"contains_null\",\"type\":\"boolean\",\"field-id\":509},"
        "{\"name\":\"contains_nan\",\"type\":[\"null\",\"boolean\"],\"default\":null,\"field-id\":"
        "518},"
        "{\"name\":\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":510}"
        ","
        "{\"name\":\"upper_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":511}"
        "]},\"element-id\":508}],\"default\":null,"
        "\"field-id\":507},"
        "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],\"default\":null,\"field-id\":"
        "519}"
        "]}");
}
