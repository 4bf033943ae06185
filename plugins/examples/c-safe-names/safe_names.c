// A stream-name mapper plugin in C: makes a valid, stable Kinesis stream
// name of any table name. PostgreSQL allows quoted names such as
// "Order Items" or "café", which Debezium's default naming turns into stream
// names Kinesis refuses; this mapper replaces every character Kinesis does
// not accept, and shortens names over Kinesis' 128 characters with a hash of
// the full name, so two long names never meet.
//
// Settings (`spillway.mapper.config.<key>`):
//   prefix     put before the name, with the separator; default: the server
//              name (Debezium's topic.prefix); `none` for no prefix
//   separator  between prefix, schema and table; default `.`
//   lowercase  `true` (default) or `false`

//
// It uses no stdio (nor anything else that calls WASI), so the core module
// imports only the host interface and becomes a component without an adapter.

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mapper_plugin.h"

#define MAX_NAME 128
// Room for '-' and 8 hex digits of the hash at the end of a shortened name.
#define HASH_SUFFIX 9

typedef mapper_plugin_string_t string_t;

// The setting `key`, or `fallback` when it is not set (the caller frees
// `*owned` if set).
static void setting(const char *key, string_t *value, bool *owned, const char *fallback) {
    string_t name;
    mapper_plugin_string_set(&name, key);
    *owned = spillway_plugin_host_config(&name, value);
    if (!*owned) {
        mapper_plugin_string_set(value, fallback);
    }
}

static bool equals(const string_t *s, const char *text) {
    return s->len == strlen(text) && memcmp(s->ptr, text, s->len) == 0;
}

// Appends `part` to `out` (capacity `cap`, length `*len`), each byte Kinesis
// refuses in a stream name (a-z A-Z 0-9 _ . - are allowed) replaced by '_';
// a UTF-8 sequence counts as one character. Returns false when full.
static bool append(char *out, size_t cap, size_t *len, const string_t *part, bool lowercase) {
    for (size_t i = 0; i < part->len; i++) {
        uint8_t c = part->ptr[i];
        if ((c & 0xC0) == 0x80) {
            continue;  // a UTF-8 continuation byte: its character is already '_'
        }
        char safe;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-') {
            safe = (char)c;
        } else if (c >= 'A' && c <= 'Z') {
            safe = lowercase ? (char)(c - 'A' + 'a') : (char)c;
        } else {
            safe = '_';
        }
        if (*len + 1 >= cap) {
            return false;
        }
        out[(*len)++] = safe;
    }
    return true;
}

// FNV-1a, 32 bits: a stable short digest of the whole name.
static uint32_t fnv1a(const char *text, size_t len) {
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        hash ^= (uint8_t)text[i];
        hash *= 16777619u;
    }
    return hash;
}

bool exports_spillway_plugin_mapper_stream_name(exports_spillway_plugin_mapper_table_t *table,
                                                string_t *ret, string_t *err) {
    string_t prefix, separator, lowercase;
    bool own_prefix, own_separator, own_lowercase;
    setting("prefix", &prefix, &own_prefix, "");
    setting("separator", &separator, &own_separator, ".");
    setting("lowercase", &lowercase, &own_lowercase, "true");
    bool lower = !equals(&lowercase, "false");
    if (!own_prefix) {
        prefix = table->server;  // borrowed: not freed below
    }

    // The full name first (schema and table names are at most 63 bytes in
    // PostgreSQL; a prefix may be longer), then shortened if need be.
    char full[1024];
    size_t len = 0;
    bool fits = true;
    if (!equals(&prefix, "none") && prefix.len > 0) {
        fits = append(full, sizeof full, &len, &prefix, lower) &&
               append(full, sizeof full, &len, &separator, false);
    }
    fits = fits && append(full, sizeof full, &len, &table->schema, lower) &&
           append(full, sizeof full, &len, &separator, false) &&
           append(full, sizeof full, &len, &table->name, lower);

    if (own_prefix) mapper_plugin_string_free(&prefix);
    if (own_separator) mapper_plugin_string_free(&separator);
    if (own_lowercase) mapper_plugin_string_free(&lowercase);

    if (!fits) {
        exports_spillway_plugin_mapper_table_free(table);
        mapper_plugin_string_dup(err, "the stream name would be over 1 KB: shorten the prefix");
        return false;
    }
    if (len > MAX_NAME) {
        uint32_t hash = fnv1a(full, len);
        len = MAX_NAME - HASH_SUFFIX;
        full[len++] = '-';
        for (int shift = 28; shift >= 0; shift -= 4) {
            full[len++] = "0123456789abcdef"[(hash >> shift) & 0xF];
        }
    }
    full[len] = '\0';

    // The log line: "<schema>.<table> -> <stream>".
    char message[1200];
    size_t at = 0;
    const string_t arrow = {(uint8_t *)" -> ", 4};
    const string_t dot = {(uint8_t *)".", 1};
    const string_t stream = {(uint8_t *)full, len};
    const string_t *parts[] = {&table->schema, &dot, &table->name, &arrow, &stream};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t n = parts[i]->len < sizeof message - at ? parts[i]->len : sizeof message - at;
        memcpy(message + at, parts[i]->ptr, n);
        at += n;
    }
    string_t line = {(uint8_t *)message, at};
    spillway_plugin_host_log(SPILLWAY_PLUGIN_HOST_LEVEL_INFO, &line);

    // The arguments of an export belong to the callee.
    exports_spillway_plugin_mapper_table_free(table);
    mapper_plugin_string_dup(ret, full);
    return true;
}
