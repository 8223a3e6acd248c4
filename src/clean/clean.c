/* clean.c - verdict, deduplication and accounting (see clean.h). */
#include <string.h>
#include <xxhash.h>

#include "clean/clean.h"

void fw_cleaner_init(fw_cleaner *c, fw_quarantine_fn on_quarantine, void *ctx)
{
    memset(c, 0, sizeof *c);
    fw_dedup_init(&c->dedup);
    c->qmask = fw_quarantine_mask();
    c->on_quarantine = on_quarantine;
    c->ctx = ctx;
}

void fw_cleaner_destroy(fw_cleaner *c) { fw_dedup_destroy(&c->dedup); }

static void count_bits(fw_clean_stats *st, fw_faults f)
{
    while (f) {
        unsigned r = (unsigned)__builtin_ctz(f);
        st->by_reason[r]++;
        f &= f - 1;
    }
}

uint64_t fw_record_hash(const char *raw, size_t raw_n) { return XXH3_64bits(raw, raw_n); }

enum fw_verdict fw_clean(fw_cleaner *c, const fw_flow *flow, fw_faults faults, const char *raw,
                         size_t raw_n, uint64_t line)
{
    uint64_t h = faults & c->qmask ? 0 : fw_record_hash(raw, raw_n);
    return fw_clean_hashed(c, flow, faults, h, raw, raw_n, line);
}

enum fw_verdict fw_clean_hashed(fw_cleaner *c, const fw_flow *flow, fw_faults faults,
                                uint64_t hash, const char *raw, size_t raw_n, uint64_t line)
{
    c->st.rows_read++;
    if (faults & c->qmask) {
        fw_faults q = faults & c->qmask;
        c->st.quarantined++;
        count_bits(&c->st, q);
        if (c->on_quarantine)
            c->on_quarantine(c->ctx, line, q, raw, raw_n);
        return FW_QUARANTINE;
    }
    int seen = fw_dedup_check(&c->dedup, flow->ts_us, hash);
    if (seen < 0) {
        c->st.late++;
        return FW_LATE;
    }
    if (seen) {
        c->st.duplicates++;
        return FW_DUPLICATE;
    }
    c->st.accepted++;
    count_bits(&c->st, faults);
    return FW_ACCEPT;
}

void fw_cleaner_advance(fw_cleaner *c, int64_t watermark_us)
{
    fw_dedup_advance(&c->dedup, watermark_us);
}
