/* config.c - detection settings and their INI parser (see config.h). */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/config.h"

static const struct setting {
    const char *section, *key, *help;
    size_t offset;
    double def, lo, hi;
} settings[] = {
#define X(sec, k, field, d, l, h, hp) {sec, k, hp, offsetof(fw_config, field), d, l, h},
    FW_CONFIG_LIST(X)
#undef X
};
#define NSETTINGS (sizeof settings / sizeof settings[0])

void fw_config_defaults(fw_config *c)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        *(double *)((char *)c + settings[i].offset) = settings[i].def;
}

static const struct setting *find(const char *section, const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (!strcmp(settings[i].section, section) && !strcmp(settings[i].key, key))
            return &settings[i];
    return NULL;
}

static bool known_section(const char *section)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (!strcmp(settings[i].section, section))
            return true;
    return false;
}

/* Set section.key from text; writes a message (without location) on error. */
static int set_value(fw_config *c, const char *section, const char *key, const char *value,
                     char *why, size_t whyn)
{
    const struct setting *s = find(section, key);
    if (!s) {
        snprintf(why, whyn, known_section(section) ? "unknown key '%s' in [%s]"
                                                   : "unknown section [%s%s]",
                 known_section(section) ? key : section, known_section(section) ? section : "");
        return -1;
    }
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (!*value || *end || errno || !isfinite(v)) {
        snprintf(why, whyn, "%s.%s: '%s' is not a number", section, key, value);
        return -1;
    }
    if (v < s->lo || v > s->hi) {
        snprintf(why, whyn, "%s.%s: %g is out of range [%g, %g]", section, key, v, s->lo, s->hi);
        return -1;
    }
    *(double *)((char *)c + s->offset) = v;
    return 0;
}

struct load_ctx {
    fw_config *c;
    char why[256];
};

static int on_ini(void *user, const char *section, const char *key, const char *value)
{
    struct load_ctx *l = user;
    return set_value(l->c, section, key, value, l->why, sizeof l->why) ? 0 : 1;
}

int fw_config_load(fw_config *c, const char *path, char *err, size_t errn)
{
    struct load_ctx l = {c, ""};
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errn, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    int line = ini_parse_file(f, on_ini, &l);
    fclose(f);
    if (line > 0) {
        snprintf(err, errn, "%s:%d: %s", path, line, l.why[0] ? l.why : "syntax error");
        return -1;
    }
    if (line < 0) {
        snprintf(err, errn, "%s: cannot read", path);
        return -1;
    }
    return 0;
}

int fw_config_set(fw_config *c, const char *a, char *err, size_t errn)
{
    const char *dot = strchr(a, '.'), *eq = strchr(a, '=');
    if (!dot || !eq || dot > eq) {
        snprintf(err, errn, "--set '%s': expected section.key=value", a);
        return -1;
    }
    char section[64], key[64];
    snprintf(section, sizeof section, "%.*s", (int)(dot - a), a);
    snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
    char why[256];
    if (set_value(c, section, key, eq + 1, why, sizeof why)) {
        snprintf(err, errn, "--set '%s': %s", a, why);
        return -1;
    }
    return 0;
}

void fw_config_print(const fw_config *c, FILE *out)
{
    const char *last = "";
    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        if (strcmp(last, s->section))
            fprintf(out, "%s[%s]\n", i ? "\n" : "", s->section);
        last = s->section;
        fprintf(out, "# %s (default %g, range %g..%g)\n%s = %g\n", s->help, s->def, s->lo, s->hi,
                s->key, *(const double *)((const char *)c + s->offset));
    }
}
