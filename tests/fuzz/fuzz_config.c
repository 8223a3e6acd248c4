/*
 * fuzz_config.c - libFuzzer target for the settings parser (INI through
 * inih, then every key and value check).  Any input must be refused with a
 * message or accepted, never crash, and an accepted file's values must stay
 * within their documented ranges (checked by printing and reloading them).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detect/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_config", 0);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    fw_config c;
    fw_config_defaults(&c);
    if (fw_config_load(&c, path, err, sizeof err) == 0) {
        /* What was accepted must print as a file that loads back the same. */
        int fd2 = memfd_create("fuzz_config2", 0);
        FILE *f = fdopen(fd2, "w+");
        fw_config_print(&c, f);
        fflush(f);
        char path2[64];
        snprintf(path2, sizeof path2, "/proc/self/fd/%d", fd2);
        fw_config back;
        fw_config_defaults(&back);
        if (fw_config_load(&back, path2, err, sizeof err) != 0)
            abort();
        fclose(f);
    } else if (!strstr(err, path)) {
        abort(); /* every refusal names the file */
    }
    close(fd);
    return 0;
}
