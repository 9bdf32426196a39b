/*
 * time.c -- timestamps and intervals: civil-date arithmetic, parsing and
 * formatting of TIMESTAMP (int64 microseconds since 1970-01-01 UTC) and
 * INTERVAL (int64 microseconds) values.
 *
 * Layer: core. Used by casts (src/expr/cast.c), the datetime functions,
 * record readers (JSON/CSV timestamps) and every writer.
 *
 * Algorithms: the civil conversions are Howard Hinnant's days_from_civil /
 * civil_from_days (proleptic Gregorian, exact for any int64 day count that
 * fits). Negative timestamps (before 1970) are split into days and
 * time-of-day with floor division, so 1969-12-31 23:59:59.5 is -500000 us.
 *
 * Spark conventions kept here:
 *   - CAST(ts AS STRING) drops trailing zeros of the fraction
 *     ("2024-01-31 10:00:00.1", not ".100").
 *   - An interval has no months: '1 month' is 31 days and '1 year' is 12
 *     months (372 days), as Spark's window() does with calendar intervals.
 *   - Intervals print as ANSI day-time intervals:
 *     INTERVAL '0 00:00:10' DAY TO SECOND.
 */
#include "core/core.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------------
 * Civil calendar
 * ---------------------------------------------------------------------- */

int64_t sp_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void sp_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    const unsigned dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    const unsigned mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (mm <= 2);
    *m = mm;
    *d = dd;
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2) {
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return leap ? 29 : 28;
    }
    return dim[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
    return q;
}

/* ------------------------------------------------------------------------
 * Timestamp parsing
 * ---------------------------------------------------------------------- */

/* Reads 1..max digits at s[*i]; returns the count read (0 = none). */
static int read_digits(const char *s, size_t n, size_t *i, int max,
                       int64_t *out)
{
    int cnt = 0;
    int64_t v = 0;
    while (*i < n && cnt < max && isdigit((unsigned char)s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        cnt++;
    }
    *out = v;
    return cnt;
}

/* Parses an optional zone suffix at s[*i]: Z, UTC, GMT, +hh, +hh:mm,
 * +hhmm (also after "UTC"/"GMT"). Sets *off_us (to subtract from local
 * time). Returns 0 or -1. */
static int parse_zone(const char *s, size_t n, size_t *i, int64_t *off_us)
{
    *off_us = 0;
    if (*i >= n) return 0;
    if (s[*i] == 'Z' || s[*i] == 'z') {
        (*i)++;
        return 0;
    }
    if (n - *i >= 3 && (strncasecmp(s + *i, "UTC", 3) == 0 ||
                        strncasecmp(s + *i, "GMT", 3) == 0)) {
        *i += 3;
        if (*i >= n || (s[*i] != '+' && s[*i] != '-')) return 0;
    }
    if (s[*i] != '+' && s[*i] != '-') return -1;
    int sign = s[*i] == '-' ? -1 : 1;
    (*i)++;
    int64_t hh = 0, mm = 0;
    int nd = read_digits(s, n, i, 2, &hh);
    if (nd == 0) return -1;
    if (*i < n && s[*i] == ':') {
        (*i)++;
        if (read_digits(s, n, i, 2, &mm) != 2) return -1;
    } else if (nd == 2 && *i < n && isdigit((unsigned char)s[*i])) {
        if (read_digits(s, n, i, 2, &mm) != 2) return -1;
    }
    if (hh > 18 || mm > 59) return -1;
    *off_us = sign * (hh * 3600 + mm * 60) * SP_USEC_PER_SEC;
    return 0;
}

int sp_ts_parse(const char *s, size_t n, int64_t *out_us)
{
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i])) i++;
    while (n > i && isspace((unsigned char)s[n - 1])) n--;
    if (i >= n) return -1;

    int64_t y, mo = 1, d = 1, hh = 0, mi = 0, ss = 0, frac = 0;
    if (read_digits(s, n, &i, 6, &y) == 0) return -1;
    if (i < n && s[i] == '-') {
        i++;
        if (read_digits(s, n, &i, 2, &mo) == 0) return -1;
        if (i < n && s[i] == '-') {
            i++;
            if (read_digits(s, n, &i, 2, &d) == 0) return -1;
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo))
        return -1;

    int64_t off = 0;
    if (i < n && (s[i] == ' ' || s[i] == 'T' || s[i] == 't')) {
        i++;
        while (i < n && s[i] == ' ') i++;
        if (i < n && isdigit((unsigned char)s[i])) {
            if (read_digits(s, n, &i, 2, &hh) == 0) return -1;
            if (i >= n || s[i] != ':') return -1;
            i++;
            if (read_digits(s, n, &i, 2, &mi) == 0) return -1;
            if (i < n && s[i] == ':') {
                i++;
                if (read_digits(s, n, &i, 2, &ss) == 0) return -1;
                if (i < n && s[i] == '.') {
                    i++;
                    int64_t f = 0;
                    int nd = read_digits(s, n, &i, 9, &f);
                    if (nd == 0) return -1;
                    /* Extra digits beyond 9 are ignored (truncated). */
                    while (i < n && isdigit((unsigned char)s[i])) i++;
                    while (nd < 6) {
                        f *= 10;
                        nd++;
                    }
                    while (nd > 6) {
                        f /= 10;
                        nd--;
                    }
                    frac = f;
                }
            }
            if (hh > 23 || mi > 59 || ss > 59) return -1;
        }
        while (i < n && s[i] == ' ') i++;
    }
    if (parse_zone(s, n, &i, &off) != 0) return -1;
    if (i != n) return -1;

    int64_t days = sp_days_from_civil(y, (unsigned)mo, (unsigned)d);
    *out_us = days * SP_USEC_PER_DAY +
              (hh * 3600 + mi * 60 + ss) * SP_USEC_PER_SEC + frac - off;
    return 0;
}

/* ------------------------------------------------------------------------
 * Timestamp formatting
 * ---------------------------------------------------------------------- */

/* Splits a timestamp into civil fields; *us_of_sec in [0, 1e6). */
static void ts_split(int64_t us, int64_t *y, unsigned *mo, unsigned *d, int *hh,
                     int *mi, int *ss, int64_t *us_of_sec)
{
    int64_t days = floor_div(us, SP_USEC_PER_DAY);
    int64_t rem = us - days * SP_USEC_PER_DAY;
    sp_civil_from_days(days, y, mo, d);
    int64_t secs = rem / SP_USEC_PER_SEC;
    *us_of_sec = rem % SP_USEC_PER_SEC;
    *hh = (int)(secs / 3600);
    *mi = (int)(secs / 60 % 60);
    *ss = (int)(secs % 60);
}

static char *put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* Writes "yyyy-MM-dd?HH:mm:ss" with separator `sep`; returns the end. */
static char *put_datetime(char *p, int64_t y, unsigned mo, unsigned d, char sep,
                          int hh, int mi, int ss)
{
    if (y >= 0 && y <= 9999) {
        p[0] = (char)('0' + y / 1000);
        p[1] = (char)('0' + y / 100 % 10);
        p[2] = (char)('0' + y / 10 % 10);
        p[3] = (char)('0' + y % 10);
        p += 4;
    } else {
        p += sprintf(p, y > 9999 ? "+%lld" : "%05lld", (long long)y);
    }
    *p++ = '-';
    p = put2(p, (int)mo);
    *p++ = '-';
    p = put2(p, (int)d);
    *p++ = sep;
    p = put2(p, hh);
    *p++ = ':';
    p = put2(p, mi);
    *p++ = ':';
    p = put2(p, ss);
    return p;
}

int sp_ts_format(int64_t us, char *buf)
{
    int64_t y, frac;
    unsigned mo, d;
    int hh, mi, ss;
    ts_split(us, &y, &mo, &d, &hh, &mi, &ss, &frac);
    char *p = put_datetime(buf, y, mo, d, ' ', hh, mi, ss);
    if (frac) {
        char f[7];
        for (int k = 5; k >= 0; k--) {
            f[k] = (char)('0' + frac % 10);
            frac /= 10;
        }
        int nd = 6;
        while (f[nd - 1] == '0') nd--;
        *p++ = '.';
        memcpy(p, f, (size_t)nd);
        p += nd;
    }
    *p = '\0';
    return (int)(p - buf);
}

int sp_ts_format_iso(int64_t us, char *buf)
{
    int64_t y, frac;
    unsigned mo, d;
    int hh, mi, ss;
    ts_split(us, &y, &mo, &d, &hh, &mi, &ss, &frac);
    char *p = put_datetime(buf, y, mo, d, 'T', hh, mi, ss);
    if (frac % 1000)
        p += sprintf(p, ".%06lldZ", (long long)frac);
    else
        p += sprintf(p, ".%03lldZ", (long long)(frac / 1000));
    return (int)(p - buf);
}

/* ------------------------------------------------------------------------
 * Intervals
 * ---------------------------------------------------------------------- */

typedef struct unit_def {
    const char *name;
    int64_t us;
} unit_def;

/* Names are matched case-insensitively, whole word; plural 's' optional
 * for the long names (listed once, singular). */
static const unit_def k_units[] = {
    {"microsecond", 1},
    {"us", 1},
    {"usec", 1},
    {"millisecond", 1000},
    {"ms", 1000},
    {"msec", 1000},
    {"second", SP_USEC_PER_SEC},
    {"sec", SP_USEC_PER_SEC},
    {"s", SP_USEC_PER_SEC},
    {"minute", 60 * SP_USEC_PER_SEC},
    {"min", 60 * SP_USEC_PER_SEC},
    {"m", 60 * SP_USEC_PER_SEC},
    {"hour", 3600 * SP_USEC_PER_SEC},
    {"hr", 3600 * SP_USEC_PER_SEC},
    {"h", 3600 * SP_USEC_PER_SEC},
    {"day", SP_USEC_PER_DAY},
    {"d", SP_USEC_PER_DAY},
    {"week", 7 * SP_USEC_PER_DAY},
    {"w", 7 * SP_USEC_PER_DAY},
    {"month", 31 * SP_USEC_PER_DAY},
    {"mon", 31 * SP_USEC_PER_DAY},
    {"year", 12 * 31 * SP_USEC_PER_DAY},
    {"yr", 12 * 31 * SP_USEC_PER_DAY},
    {"y", 12 * 31 * SP_USEC_PER_DAY},
};

static int unit_lookup(const char *w, size_t len, int64_t *us)
{
    for (size_t k = 0; k < SP_ARRAY_LEN(k_units); k++) {
        size_t nl = strlen(k_units[k].name);
        if (len == nl && strncasecmp(w, k_units[k].name, nl) == 0) {
            *us = k_units[k].us;
            return 0;
        }
        /* Plurals: "seconds", "mins", "hrs", "secs", "msecs". */
        if (nl > 1 && len == nl + 1 && (w[nl] == 's' || w[nl] == 'S') &&
            strncasecmp(w, k_units[k].name, nl) == 0) {
            *us = k_units[k].us;
            return 0;
        }
    }
    return -1;
}

static bool is_word_char(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

/* Parses "[-]d hh:mm:ss[.ffffff]" or "[-]hh:mm:ss[.f]" (the inside of an
 * ANSI day-time interval literal). */
static int parse_daytime(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int sign = 1;
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        sign = s[i] == '-' ? -1 : 1;
        i++;
    }
    int64_t days = 0, hh = 0, mi = 0, ss = 0, frac = 0, v;
    if (read_digits(s, n, &i, 18, &v) == 0) return -1;
    if (i < n && s[i] == ' ') {
        days = v;
        while (i < n && s[i] == ' ') i++;
        if (read_digits(s, n, &i, 2, &hh) == 0) return -1;
    } else {
        hh = v;
    }
    if (i >= n || s[i] != ':') return -1;
    i++;
    if (read_digits(s, n, &i, 2, &mi) == 0) return -1;
    if (i < n && s[i] == ':') {
        i++;
        if (read_digits(s, n, &i, 2, &ss) == 0) return -1;
        if (i < n && s[i] == '.') {
            i++;
            int nd = read_digits(s, n, &i, 6, &frac);
            if (nd == 0) return -1;
            while (nd++ < 6) frac *= 10;
        }
    }
    if (i != n || mi > 59 || ss > 59 || days > 106751991) return -1;
    *out = sign * (days * SP_USEC_PER_DAY +
                   (hh * 3600 + mi * 60 + ss) * SP_USEC_PER_SEC + frac);
    return 0;
}

int sp_interval_parse(const char *s, size_t n, int64_t *out_us,
                      const char **why)
{
    const char *dummy;
    if (!why) why = &dummy;
    size_t i = 0;
    while (i < n && isspace((unsigned char)s[i])) i++;
    if (n - i >= 8 && strncasecmp(s + i, "interval", 8) == 0 &&
        (n - i == 8 || !is_word_char(s[i + 8]))) {
        i += 8;
    }
    int64_t total = 0;
    int terms = 0;
    for (;;) {
        while (i < n && isspace((unsigned char)s[i])) i++;
        if (i >= n) break;
        /* A quoted part: 'd hh:mm:ss' [DAY TO SECOND] or '10' unit. */
        const char *num = s + i;
        size_t num_len;
        bool quoted = s[i] == '\'';
        if (quoted) {
            size_t j = i + 1;
            while (j < n && s[j] != '\'') j++;
            if (j >= n) {
                *why = "unterminated quote";
                return -1;
            }
            num = s + i + 1;
            num_len = j - i - 1;
            i = j + 1;
            if (memchr(num, ':', num_len)) {
                int64_t v;
                if (parse_daytime(num, num_len, &v) != 0) {
                    *why = "expected 'd hh:mm:ss' inside the quotes";
                    return -1;
                }
                /* Skip an optional "DAY TO SECOND" style qualifier. */
                while (i < n) {
                    while (i < n && isspace((unsigned char)s[i])) i++;
                    size_t w = i;
                    while (i < n && is_word_char(s[i])) i++;
                    if (w == i) break;
                }
                if (__builtin_add_overflow(total, v, &total)) {
                    *why = "interval is too large";
                    return -1;
                }
                terms++;
                continue;
            }
        } else {
            size_t j = i;
            if (j < n && (s[j] == '-' || s[j] == '+')) j++;
            while (j < n && (isdigit((unsigned char)s[j]) || s[j] == '.')) j++;
            num_len = j - i;
            i = j;
        }
        /* Parse the number: [+-]digits[.digits]. */
        size_t k = 0;
        int sign = 1;
        while (k < num_len && num[k] == ' ') k++;
        if (k < num_len && (num[k] == '-' || num[k] == '+')) {
            sign = num[k] == '-' ? -1 : 1;
            k++;
        }
        int64_t ip = 0, fp = 0, fscale = 1;
        int nd = 0;
        while (k < num_len && isdigit((unsigned char)num[k])) {
            if (__builtin_mul_overflow(ip, 10, &ip) ||
                __builtin_add_overflow(ip, num[k] - '0', &ip)) {
                *why = "number is too large";
                return -1;
            }
            k++;
            nd++;
        }
        if (k < num_len && num[k] == '.') {
            k++;
            while (k < num_len && isdigit((unsigned char)num[k])) {
                if (fscale < 1000000000000LL) {
                    fp = fp * 10 + (num[k] - '0');
                    fscale *= 10;
                }
                k++;
                nd++;
            }
        }
        while (k < num_len && num[k] == ' ') k++;
        if (nd == 0 || k != num_len) {
            *why = "expected a number followed by a unit, such as "
                   "'10 seconds'";
            return -1;
        }
        /* The unit word (may directly follow the number: "500ms"). */
        while (i < n && isspace((unsigned char)s[i])) i++;
        size_t w = i;
        while (i < n && is_word_char(s[i])) i++;
        if (w == i) {
            *why = "missing unit after the number (for example "
                   "'10 seconds')";
            return -1;
        }
        int64_t unit;
        if (unit_lookup(s + w, i - w, &unit) != 0) {
            *why = "unknown interval unit (use microsecond, millisecond, "
                   "second, minute, hour, day, week, month or year)";
            return -1;
        }
        int64_t v;
        if (__builtin_mul_overflow(ip, unit, &v)) {
            *why = "interval is too large";
            return -1;
        }
        /* Fraction: fp/fscale of a unit, rounded to the microsecond. */
        if (fp) {
            __int128 f = (__int128)fp * unit;
            v += (int64_t)((f + fscale / 2) / fscale);
        }
        if (__builtin_add_overflow(total, sign * v, &total)) {
            *why = "interval is too large";
            return -1;
        }
        terms++;
    }
    if (terms == 0) {
        *why = "expected a number followed by a unit, such as '10 seconds'";
        return -1;
    }
    *out_us = total;
    return 0;
}

int sp_interval_format(int64_t us, char *buf)
{
    const char *sign = "";
    uint64_t a = (uint64_t)us;
    if (us < 0) {
        sign = "-";
        a = (uint64_t)0 - (uint64_t)us;
    }
    uint64_t days = a / (uint64_t)SP_USEC_PER_DAY;
    uint64_t rem = a % (uint64_t)SP_USEC_PER_DAY;
    uint64_t secs = rem / SP_USEC_PER_SEC, frac = rem % SP_USEC_PER_SEC;
    char *p = buf;
    p += sprintf(p, "INTERVAL '%s%llu %02u:%02u:%02u", sign,
                 (unsigned long long)days, (unsigned)(secs / 3600),
                 (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
    if (frac) {
        char f[8];
        snprintf(f, sizeof f, "%06u", (unsigned)frac);
        int nd = 6;
        while (f[nd - 1] == '0') nd--;
        f[nd] = '\0';
        p += sprintf(p, ".%s", f);
    }
    p += sprintf(p, "' DAY TO SECOND");
    return (int)(p - buf);
}
