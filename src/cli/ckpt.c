/*
 * ckpt.c -- `spate checkpoint inspect|check DIR`: a client of
 * include/spate.h only (spate_checkpoint_inspect, spate_checkpoint_check).
 *
 * Exit status: inspect 0, or 1 when the directory cannot be read; check 0
 * when a restart will recover, 1 when it will not (or the directory is not
 * a checkpoint); 2 bad usage.
 */
#define _GNU_SOURCE
#include "spate.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_checkpoint(int argc, char **argv);

static const char usage_ckpt[] =
    "usage: spate checkpoint inspect DIR [--json] [--batches N]\n"
    "       spate checkpoint check DIR\n"
    "\n"
    "Tools for a checkpoint directory (the --checkpoint of 'spate run', one\n"
    "subdirectory per query) or one query's directory in it. They only "
    "read.\n"
    "\n"
    "  inspect   batches, offsets and watermarks, source logs, state "
    "versions\n"
    "            and sizes, as a table or --json\n"
    "  check     validates every file; exit 0 if a restart will recover, 1 "
    "if\n"
    "            not\n"
    "\n"
    "Run 'spate checkpoint inspect --help' or 'spate checkpoint check "
    "--help'\n"
    "for details. The layout and formats are described in "
    "docs/checkpoint.md.\n";

static const char usage_inspect[] =
    "usage: spate checkpoint inspect DIR [--json] [--batches N]\n"
    "\n"
    "Describes each query of the checkpoint DIR (or the one query whose\n"
    "directory DIR is): its id and name; the batches, whether the newest is\n"
    "committed, and what a restart does; for the newest N batches every\n"
    "input's offsets [start, end), the batch's watermark and the next\n"
    "batch's; the source logs (files taken per batch); the state of each\n"
    "stateful operator per partition: delta and snapshot versions, bytes,\n"
    "and keys at the version a restart loads; the total size.\n"
    "\n"
    "Options:\n"
    "  --json        one JSON document instead of the table\n"
    "  --batches N   how many recent batches to list (default 5)\n"
    "  -h, --help    this text\n"
    "\n"
    "Exit status: 0, or 1 when DIR is not a readable checkpoint.\n";

static const char usage_check[] =
    "usage: spate checkpoint check DIR\n"
    "\n"
    "Validates every file of the checkpoint DIR (or of one query's\n"
    "directory): the header, format version and checksum of metadata,\n"
    "offsets/N, commits/N and the source logs; the continuity of the logs\n"
    "(a commit without its offsets, offsets without the commits of earlier\n"
    "batches, a file-source log with a hole); every state delta and "
    "snapshot,\n"
    "and every state partition opened at the version a restart loads.\n"
    "\n"
    "Each problem is printed with the file, whether recovery needs it, and\n"
    "what to do; temporary files left by a crash are counted (harmless).\n"
    "The last line is a summary. A file-sink's manifest (<sink "
    "path>/_spate_log)\n"
    "is not part of the checkpoint and is not checked.\n"
    "\n"
    "Exit status: 0 a restart will recover (warnings may remain), 1 it will\n"
    "not (a damaged or missing file that recovery needs; or DIR is not a\n"
    "checkpoint), 2 bad usage.\n";

static int cmd_inspect(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, 0, 'j'},
        {"batches", required_argument, 0, 'b'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int json = 0, last = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = 1;
            break;
        case 'b':
            last = atoi(optarg);
            if (last < 1) {
                fprintf(stderr,
                        "spate checkpoint inspect: --batches needs a number "
                        ">= 1, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'h':
            fputs(usage_inspect, stdout);
            return 0;
        default:
            fputs(usage_inspect, stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr,
                "spate checkpoint inspect: expected one directory\n\n%s",
                usage_inspect);
        return 2;
    }
    spate_error_t err;
    if (spate_checkpoint_inspect(argv[optind], json, last, stdout, &err)) {
        spate_error_print(&err, NULL, 0, stderr);
        return 1;
    }
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage_check, stdout);
            return 0;
        }
        fputs(usage_check, stderr);
        return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "spate checkpoint check: expected one directory\n\n%s",
                usage_check);
        return 2;
    }
    spate_error_t err;
    int problems = 0;
    if (spate_checkpoint_check(argv[optind], stdout, &problems, &err)) {
        spate_error_print(&err, NULL, 0, stderr);
        return 1;
    }
    return problems ? 1 : 0;
}

int cmd_checkpoint(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_ckpt, stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "inspect")) return cmd_inspect(argc - 1, argv + 1);
    if (!strcmp(sub, "check")) return cmd_check(argc - 1, argv + 1);
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(usage_ckpt, stdout);
        return 0;
    }
    fprintf(stderr, "spate checkpoint: unknown command '%s'\n\n%s", sub,
            usage_ckpt);
    return 2;
}
