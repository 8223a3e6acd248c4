/* reasons.c - names and kinds of data-quality faults (see reasons.h). */
#include <stdio.h>
#include <string.h>

#include "clean/reasons.h"

static const char *const names[FW_R_COUNT] = {
#define X(id, name, kind) name,
    FW_REASON_LIST(X)
#undef X
};

static const unsigned char kinds[FW_R_COUNT] = {
#define X(id, name, kind) FW_KIND_##kind,
    FW_REASON_LIST(X)
#undef X
};

_Static_assert(FW_R_COUNT <= 32, "fw_faults holds 32 reasons");

const char *fw_reason_name(enum fw_reason r) { return (unsigned)r < FW_R_COUNT ? names[r] : "?"; }

enum fw_reason_kind fw_reason_kind(enum fw_reason r) { return (enum fw_reason_kind)kinds[r]; }

fw_faults fw_quarantine_mask(void)
{
    fw_faults m = 0;
    for (unsigned r = 0; r < FW_R_COUNT; r++)
        if (kinds[r] == FW_KIND_QUARANTINE)
            m |= FW_BIT(r);
    return m;
}

void fw_faults_format(fw_faults f, char *buf, unsigned n)
{
    unsigned o = 0;
    buf[0] = 0;
    for (unsigned r = 0; r < FW_R_COUNT && o < n; r++) {
        if (!(f & FW_BIT(r)))
            continue;
        int w = snprintf(buf + o, n - o, "%s%s", o ? "," : "", names[r]);
        if (w < 0)
            break;
        o += (unsigned)w;
    }
}
