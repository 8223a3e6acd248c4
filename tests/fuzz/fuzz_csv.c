/*
 * fuzz_csv.c - libFuzzer target for the input path: CSV reader, header
 * schema, record decoder and cleaner.  Any input must be handled without a
 * crash, a sanitizer report or a broken accounting identity.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clean/clean.h"
#include "input/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    fw_source *s = fw_source_open_mem((const char *)data, size, "fuzz", err, sizeof err);
    if (!s)
        return 0;
    fw_cleaner c;
    fw_cleaner_init(&c, NULL, NULL);
    fw_record rec;
    while (fw_source_next(s, &rec, err, sizeof err) == 1)
        fw_clean(&c, &rec.flow, rec.faults, rec.raw, rec.raw_n, rec.line);
    if (c.st.rows_read != c.st.accepted + c.st.quarantined + c.st.duplicates + c.st.late)
        abort();
    fw_cleaner_destroy(&c);
    fw_source_close(s);
    return 0;
}
