/*
 * cli.h - the floodwatch subcommands.
 *
 * Each subcommand is one function taking the arguments after its name
 * (argv[0] is the subcommand name) and returning the process exit status:
 * 0 on success, 1 on a runtime failure (bad input, I/O), 2 on a usage error.
 * main.c dispatches through a table of these; nothing else lives there.
 */
#ifndef FW_CLI_H
#define FW_CLI_H

int fw_cli_generate(int argc, char **argv);
int fw_cli_batch(int argc, char **argv);
int fw_cli_stream(int argc, char **argv);
int fw_cli_eval(int argc, char **argv);
int fw_cli_query(int argc, char **argv);
int fw_cli_report(int argc, char **argv);

/* Shared by the subcommands: the default number of decoding threads (the
 * CPUs online, at most 8), and parsing --threads (1 to 64).  0 or -1. */
unsigned fw_default_threads(void);
int fw_parse_threads(const char *s, unsigned *out);

#endif
