/*
 * main.c - floodwatch entry point: dispatches to a subcommand through a table.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/version.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand subcommands[] = {
    {"generate", fw_cli_generate, "write synthetic traffic in the seed CSV format"},
    {"batch", fw_cli_batch, "clean and analyse a whole file; write SQLite + summary"},
    {"stream", fw_cli_stream, "detect attacks in event time; emit incidents as they happen"},
    {"eval", fw_cli_eval, "score incidents against the labels of a traffic log"},
    {"query", fw_cli_query, "ask the store: top talkers, incidents, timeline, summary"},
    {"report", fw_cli_report, "write the analyst's report of a run: HTML with charts, or Markdown"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: floodwatch <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(out, "\n'floodwatch <command> --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("floodwatch %s\n", FW_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "floodwatch: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
