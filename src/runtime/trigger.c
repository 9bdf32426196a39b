/*
 * trigger.c -- parsing the trigger setting.
 */
#include "runtime/runtime.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Matches a keyword at *p (case-insensitive, '_' optional) and advances. */
static bool word(const char **p, const char *w)
{
    const char *s = *p;
    while (*w) {
        if (*w == '_' && *s != '_') {
            w++;
            continue;
        }
        if (tolower((unsigned char)*s) != *w) return false;
        s++;
        w++;
    }
    if (isalnum((unsigned char)*s) || *s == '_') return false;
    *p = s;
    return true;
}

int sp_trigger_parse(const char *text, sp_trigger *out, const char **why)
{
    const char *p = text;
    while (isspace((unsigned char)*p)) p++;
    out->interval_us = 0;
    if (word(&p, "once")) {
        out->kind = SP_TRIGGER_ONCE;
    } else if (word(&p, "available_now")) {
        out->kind = SP_TRIGGER_AVAILABLE_NOW;
    } else if (word(&p, "processing_time")) {
        out->kind = SP_TRIGGER_PROCESSING_TIME;
        while (isspace((unsigned char)*p)) p++;
        char q = *p;
        if (q != '\'' && q != '"') {
            *why = "processing_time needs an interval in quotes";
            return -1;
        }
        const char *end = strchr(p + 1, q);
        if (!end) {
            *why = "unterminated interval";
            return -1;
        }
        if (sp_interval_parse(p + 1, (size_t)(end - p - 1), &out->interval_us,
                              NULL) != 0 ||
            out->interval_us < 0) {
            *why = "the interval is not valid, write e.g. '1 second'";
            return -1;
        }
        p = end + 1;
    } else if (word(&p, "continuous")) {
        *why = "continuous processing is not supported yet";
        return -1;
    } else {
        *why = "expected processing_time '<interval>', once or available_now";
        return -1;
    }
    while (isspace((unsigned char)*p)) p++;
    if (*p) {
        *why = "unexpected text after the trigger";
        return -1;
    }
    return 0;
}
