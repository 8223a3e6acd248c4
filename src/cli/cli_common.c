/* cli_common.c - helpers shared by the subcommands (see cli.h). */
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"

unsigned fw_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 8 ? 8 : (unsigned)n;
}

int fw_parse_threads(const char *s, unsigned *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 64)
        return -1;
    *out = (unsigned)v;
    return 0;
}
