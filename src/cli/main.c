/*
 * main.c -- the `spate` command: run, demo, explain, version.
 *
 * A client of include/spate.h only. Exit status: 0 done, 1 the pipeline
 * failed (the error is printed with its position and a hint), 2 bad usage,
 * 130 interrupted twice.
 */
#define _GNU_SOURCE
#include "spate.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static spate_pipeline_t *volatile g_running;
static volatile sig_atomic_t g_signals;

static void on_signal(int sig)
{
    (void)sig;
    if (g_signals++ > 0) {
        static const char m[] = "\nspate: interrupted again, exiting now\n";
        if (write(2, m, sizeof m - 1) < 0) { /* nothing to do */
        }
        _exit(130);
    }
    static const char m[] =
        "\nspate: stopping after the batch in flight (Ctrl-C again to "
        "exit at once)\n";
    if (write(2, m, sizeof m - 1) < 0) { /* nothing to do */
    }
    if (g_running) spate_pipeline_stop(g_running);
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    if (f != stdin) fclose(f);
    if (buf) buf[n] = 0;
    *len = n;
    return buf;
}

/* ---- help texts ---------------------------------------------------------- */

static const char usage_main[] =
    "usage: spate <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run FILE.sql      run the streaming pipeline a SQL script defines\n"
    "  demo              run the built-in page-view demo\n"
    "  explain FILE.sql  print the physical plan of each query\n"
    "  checkpoint ...    inspect or check a checkpoint directory\n"
    "  version           print the version\n"
    "  help [COMMAND]    this text, or a command's\n"
    "\n"
    "Run 'spate <command> --help' for a command's options. The SQL dialect\n"
    "is described in docs/sql.md.\n";

static const char usage_run[] =
    "usage: spate run FILE.sql [options]\n"
    "\n"
    "Runs every CREATE SINK query of the script, batch after batch, until its\n"
    "trigger ends it (once, available_now) or Ctrl-C, which stops cleanly\n"
    "after the batch in flight. FILE.sql may be '-' for standard input.\n"
    "\n"
    "Options:\n"
    "  --checkpoint DIR     keep offsets, commits and source logs in DIR, so "
    "a\n"
    "                       restart continues where the last run stopped\n"
    "                       (default: SET checkpoint_location, else a\n"
    "                       temporary directory removed at exit)\n"
    "  --threads N          worker threads (default: one per core)\n"
    "  --progress FILE      append one JSON progress record per batch to FILE\n"
    "                       ('-' for standard error)\n"
    "  --trigger T          override the script's trigger: once,\n"
    "                       available_now, or an interval such as '1 second'\n"
    "  --duration SECONDS   stop after this long\n"
    "  --no-status          no status line on a terminal\n"
    "  --reset-checkpoint   delete the queries' checkpoint directories and\n"
    "                       start over (offsets, commits, state)\n"
    "  --conf KEY=VALUE     a setting, as 'SET KEY = VALUE;' at the end of "
    "the\n"
    "                       script would (repeatable), e.g.\n"
    "                       --conf spate.task.maxFailures=8\n"
    "  -h, --help           this text\n"
    "\n"
    "Task retries and speculation (SET in the script, or --conf):\n"
    "  spate.task.maxFailures=N      attempts of a task before its batch\n"
    "                                fails and the query stops (default 4)\n"
    "  spate.speculation=true        run a copy of a straggling task; the\n"
    "                                first to finish wins (default false)\n"
    "  spate.speculation.multiplier=X      a straggler runs X times longer\n"
    "                                      than the median task (1.5) ...\n"
    "  spate.speculation.quantile=Q        ... once Q of the tasks finished\n"
    "                                      (0.75) ...\n"
    "  spate.speculation.minTaskRuntime=T  ... and for at least T (100ms)\n"
    "Spark's names (spark.task.maxFailures, spark.speculation, ...) work "
    "too.\n";

static const char usage_demo[] =
    "usage: spate demo [options]\n"
    "\n"
    "Streams generated page views through a query and prints each batch:\n"
    "clicks and purchases on product pages. Runs until Ctrl-C.\n"
    "\n"
    "Options:\n"
    "  --duration SECONDS   stop after this long\n"
    "  --rate N             page views per second (default 2000)\n"
    "  --threads N          worker threads (default: one per core)\n"
    "  --print-sql          print the demo's SQL and exit\n"
    "  -h, --help           this text\n";

static const char usage_explain[] =
    "usage: spate explain FILE.sql\n"
    "\n"
    "Checks the script and prints each query's physical plan as a tree,\n"
    "from the sink down to the scan, with the columns the scan reads.\n";

static const char demo_sql_fmt[] =
    "-- spate demo: generated page views, clicks and purchases on products\n"
    "CREATE SOURCE page_views (\n"
    "    ts TIMESTAMP, user_id VARCHAR, url VARCHAR, referrer VARCHAR,\n"
    "    event_type VARCHAR,\n"
    "    WATERMARK FOR ts AS ts - INTERVAL '5' SECOND\n"
    ") WITH (connector = 'generator', rows_per_second = %ld);\n"
    "\n"
    "CREATE SINK product_actions WITH (connector = 'console', num_rows = 10,\n"
    "                                  truncate = false)\n"
    "AS SELECT ts, user_id, upper(event_type) AS action, url, referrer\n"
    "   FROM page_views\n"
    "   WHERE event_type <> 'view' AND url LIKE '/products%%';\n"
    "\n"
    "SET trigger = processing_time '1 second';\n";

/* ---- commands ------------------------------------------------------------ */

static int load(const char *text, size_t len, const char *file,
                const spate_options_t *opt, spate_pipeline_t **p)
{
    spate_error_t err;
    if (spate_pipeline_load(text, len, file, opt, p, &err) != 0) {
        spate_error_print(&err, text, len, stderr);
        return 1;
    }
    return 0;
}

static int run_loaded(spate_pipeline_t *p, const char *text, size_t len)
{
    spate_error_t err;
    install_signals();
    g_running = p;
    int rc = spate_pipeline_run(p, &err);
    g_running = NULL;
    if (rc != 0) {
        /* errors of data files carry their own file name; SQL errors the
         * script's */
        spate_error_print(&err, text, len, stderr);
        return 1;
    }
    return 0;
}

static int parse_trigger(const char *s, spate_options_t *opt)
{
    if (strcmp(s, "once") == 0) {
        opt->trigger = SPATE_TRIGGER_ONCE;
        return 0;
    }
    if (strcmp(s, "available_now") == 0 || strcmp(s, "availablenow") == 0) {
        opt->trigger = SPATE_TRIGGER_AVAILABLE_NOW;
        return 0;
    }
    /* an interval: "500 ms", "1 second", "0" */
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0) return -1;
    while (*end == ' ') end++;
    double ms;
    if (!*end || !strncmp(end, "s", 1) || !strncmp(end, "sec", 3))
        ms = v * 1000;
    else if (!strncmp(end, "ms", 2) || !strncmp(end, "milli", 5))
        ms = v;
    else if (!strncmp(end, "m", 1))
        ms = v * 60000;
    else
        return -1;
    opt->trigger = SPATE_TRIGGER_PROCESSING_TIME;
    opt->trigger_interval_ms = (int64_t)ms;
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"checkpoint", required_argument, 0, 'c'},
        {"threads", required_argument, 0, 't'},
        {"progress", required_argument, 0, 'p'},
        {"trigger", required_argument, 0, 'T'},
        {"duration", required_argument, 0, 'd'},
        {"no-status", no_argument, 0, 'n'},
        {"reset-checkpoint", no_argument, 0, 'R'},
        {"conf", required_argument, 0, 'C'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    spate_options_t opt;
    spate_options_init(&opt);
    const char *progress = NULL;
    static const char *conf[64]; /* --conf settings (borrowed from argv) */
    opt.conf = conf;
    bool status = true;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            opt.checkpoint = optarg;
            break;
        case 't':
            opt.threads = atoi(optarg);
            if (opt.threads < 1) {
                fprintf(stderr,
                        "spate run: --threads needs a number >= 1, "
                        "got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'p':
            progress = optarg;
            break;
        case 'T':
            if (parse_trigger(optarg, &opt) != 0) {
                fprintf(stderr,
                        "spate run: bad --trigger '%s': use once, "
                        "available_now or an interval such as '1s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'd':
            opt.duration_ms = (int64_t)(atof(optarg) * 1000);
            break;
        case 'n':
            status = false;
            break;
        case 'R':
            opt.reset_checkpoint = 1;
            break;
        case 'C':
            if (!strchr(optarg, '=') || optarg[0] == '=') {
                fprintf(stderr,
                        "spate run: --conf needs KEY=VALUE, got '%s' (e.g. "
                        "--conf spate.task.maxFailures=8)\n",
                        optarg);
                return 2;
            }
            if (opt.n_conf == (int)(sizeof conf / sizeof conf[0])) {
                fprintf(stderr, "spate run: more than 64 --conf settings\n");
                return 2;
            }
            conf[opt.n_conf++] = optarg;
            break;
        case 'h':
            fputs(usage_run, stdout);
            return 0;
        default:
            fputs(usage_run, stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "spate run: expected one SQL file\n\n%s", usage_run);
        return 2;
    }
    const char *file = argv[optind];
    size_t len;
    char *text = read_all(file, &len);
    if (!text) {
        fprintf(stderr, "spate run: cannot read %s: %s\n", file,
                strerror(errno));
        return 1;
    }
    FILE *pf = NULL;
    if (progress) {
        pf = strcmp(progress, "-") == 0 ? stderr : fopen(progress, "a");
        if (!pf) {
            fprintf(stderr, "spate run: cannot open %s: %s\n", progress,
                    strerror(errno));
            free(text);
            return 1;
        }
        opt.progress = pf;
    }
    opt.status_line = status && isatty(2);
    spate_pipeline_t *p;
    int rc = load(text, len, file, &opt, &p);
    if (rc == 0) {
        rc = run_loaded(p, text, len);
        spate_pipeline_destroy(p);
    }
    if (pf && pf != stderr) fclose(pf);
    free(text);
    return rc;
}

static int cmd_demo(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"duration", required_argument, 0, 'd'},
        {"rate", required_argument, 0, 'r'},
        {"threads", required_argument, 0, 't'},
        {"print-sql", no_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    spate_options_t opt;
    spate_options_init(&opt);
    long rate = 2000;
    bool print_sql = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            opt.duration_ms = (int64_t)(atof(optarg) * 1000);
            break;
        case 'r':
            rate = atol(optarg);
            if (rate < 1) {
                fprintf(stderr, "spate demo: --rate needs a number >= 1\n");
                return 2;
            }
            break;
        case 't':
            opt.threads = atoi(optarg);
            break;
        case 'P':
            print_sql = true;
            break;
        case 'h':
            fputs(usage_demo, stdout);
            return 0;
        default:
            fputs(usage_demo, stderr);
            return 2;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "spate demo: unexpected argument '%s'\n\n%s",
                argv[optind], usage_demo);
        return 2;
    }
    char sql[2048];
    int len = snprintf(sql, sizeof sql, demo_sql_fmt, rate);
    if (print_sql) {
        fputs(sql, stdout);
        return 0;
    }
    fprintf(stderr,
            "spate demo: %ld page views per second from the built-in "
            "generator; every second a batch of clicks and purchases on "
            "product pages.\n"
            "            'spate demo --print-sql' shows the query. Ctrl-C "
            "stops.\n\n",
            rate);
    opt.status_line = 0;
    spate_pipeline_t *p;
    int rc = load(sql, (size_t)len, "<demo>", &opt, &p);
    if (rc == 0) {
        rc = run_loaded(p, sql, (size_t)len);
        spate_pipeline_destroy(p);
    }
    return rc;
}

static int cmd_explain(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage_explain, stdout);
        return 0;
    }
    if (argc != 2) {
        fprintf(stderr, "spate explain: expected one SQL file\n\n%s",
                usage_explain);
        return 2;
    }
    size_t len;
    char *text = read_all(argv[1], &len);
    if (!text) {
        fprintf(stderr, "spate explain: cannot read %s: %s\n", argv[1],
                strerror(errno));
        return 1;
    }
    spate_pipeline_t *p;
    int rc = load(text, len, argv[1], NULL, &p);
    if (rc == 0) {
        spate_pipeline_explain(p, stdout);
        spate_pipeline_destroy(p);
    }
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "demo")) return cmd_demo(argc - 1, argv + 1);
    if (!strcmp(cmd, "explain")) return cmd_explain(argc - 1, argv + 1);
    int cmd_checkpoint(int argc, char **argv); /* src/cli/ckpt.c */
    if (!strcmp(cmd, "checkpoint")) return cmd_checkpoint(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        if (argc > 2) {
            fputs("usage: spate version\n\nPrints the version of spate.\n",
                  !strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")
                      ? stdout
                      : stderr);
            return !strcmp(argv[2], "--help") || !strcmp(argv[2], "-h") ? 0 : 2;
        }
        printf("spate %s\n", spate_version());
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        if (argc > 2 && !strcmp(argv[2], "run"))
            fputs(usage_run, stdout);
        else if (argc > 2 && !strcmp(argv[2], "demo"))
            fputs(usage_demo, stdout);
        else if (argc > 2 && !strcmp(argv[2], "checkpoint"))
            return cmd_checkpoint(2, (char *[]){"checkpoint", "--help", NULL});
        else if (argc > 2 && !strcmp(argv[2], "explain"))
            fputs(usage_explain, stdout);
        else
            fputs(usage_main, stdout);
        return 0;
    }
    fprintf(stderr, "spate: unknown command '%s'\n\n%s", cmd, usage_main);
    return 2;
}
