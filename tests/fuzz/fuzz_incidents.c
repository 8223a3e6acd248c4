/*
 * fuzz_incidents.c - libFuzzer target for eval's reader of incident JSON
 * lines (jansson, then every field check).  Any input must be read or
 * refused with a message naming the line, never crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size ? size : 1, "r");
    if (!f)
        return 0;
    if (!size) {
        fclose(f);
        return 0;
    }
    fw_eval_incidents inc;
    char err[512];
    if (fw_eval_incidents_read(&inc, f, "fuzz.jsonl", err, sizeof err) == 0)
        fw_eval_incidents_destroy(&inc);
    else if (!strstr(err, "fuzz.jsonl"))
        abort();
    fclose(f);
    return 0;
}
