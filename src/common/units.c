/*
 * units.c: sizes and durations (units.h).
 */
#include "common/units.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool strom_parse_scaled(const char *s, bool duration, int64_t *out)
{
    static const struct {
        const char *suffix;
        bool duration;
        int64_t mul;
    } units[] = {
        {"", true, 1},           {"ms", true, 1},           {"s", true, 1000},
        {"m", true, 60000},      {"h", true, 3600000},      {"d", true, 86400000},
        {"", false, 1},          {"k", false, 1 << 10},     {"kb", false, 1 << 10},
        {"kib", false, 1 << 10}, {"m", false, 1 << 20},     {"mb", false, 1 << 20},
        {"mib", false, 1 << 20}, {"g", false, 1ll << 30},   {"gb", false, 1ll << 30},
        {"gib", false, 1ll << 30},
    };
    errno = 0;
    char *end;
    long long n = strtoll(s, &end, 10);
    if (end == s || errno || n < 0)
        return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (units[i].duration != duration ||
            (duration ? strcmp(end, units[i].suffix) : strcasecmp(end, units[i].suffix)) != 0)
            continue;
        if (n > INT64_MAX / units[i].mul)
            return false;
        *out = n * units[i].mul;
        return true;
    }
    return false;
}
