/*
 * cmd_gen.c: `strom gen`: writes the demo table (gen.c) as an Arrow IPC stream or file.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"

static void gen_usage(FILE *f)
{
    fprintf(f,
            "usage: strom gen [options] [-o FILE]\n"
            "\n"
            "Writes a demo table with one column of every strom type as an Arrow IPC stream\n"
            "(default) or file. Values depend only on the seed, the row and the column, so the\n"
            "same seed gives the same table at any batch size.\n"
            "\n"
            "options:\n"
            "  -o, --output FILE     where to write (default: stdout, not a terminal)\n"
            "  -n, --rows N          rows in the table (default 1000)\n"
            "  -b, --batch-rows N    rows per record batch (default 1000)\n"
            "  -c, --codec C         body compression: none, lz4, zstd (default none)\n"
            "  -l, --level N         compression level, 0 = the codec's default\n"
            "      --nulls RATIO     share of nulls in nullable columns, 0..1 (default 0.1)\n"
            "      --seed N          random seed (default 1)\n"
            "  -f, --format F        stream or file (default: file if FILE ends in .arrow)\n"
            "      --schema          print the schema and exit\n"
            "  -h, --help            this help\n"
            "\n"
            "example: strom gen -n 100000 -b 10000 -c zstd -o trades.arrows\n");
}

static void gen_print_schema(const strom_schema *s)
{
    for (int c = 0; c < strom_schema_ncols(s); c++) {
        char t[32];
        printf("%-8s %s%s\n", strom_schema_col_name(s, c),
               strom_type_format(strom_schema_col_type(s, c), t, sizeof t),
               strom_schema_col_nullable(s, c) ? "" : " NOT NULL");
    }
}

static bool gen_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int cli_cmd_gen(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {"rows", required_argument, NULL, 'n'},
        {"batch-rows", required_argument, NULL, 'b'}, {"codec", required_argument, NULL, 'c'},
        {"level", required_argument, NULL, 'l'}, {"nulls", required_argument, NULL, 'N'},
        {"seed", required_argument, NULL, 'S'}, {"format", required_argument, NULL, 'f'},
        {"schema", no_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_gen_opts o = {.rows = 1000, .batch_rows = 1000, .null_ratio = 0.1, .seed = 1};
    const char *output = "-", *format = NULL;
    bool schema_only = false;
    int64_t v;
    int opt;

    optind = 1;
    while ((opt = getopt_long(argc, argv, "o:n:b:c:l:f:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o': output = optarg; break;
        case 'n':
            if (!cli_parse_i64(optarg, 0, 1000000000, &o.rows))
                return fprintf(stderr, "strom gen: --rows: '%s' is not 0..1e9\n", optarg), 2;
            break;
        case 'b':
            if (!cli_parse_i64(optarg, 1, 100000000, &o.batch_rows))
                return fprintf(stderr, "strom gen: --batch-rows: '%s' is not 1..1e8\n", optarg), 2;
            break;
        case 'c':
            if (strom_codec_parse(optarg, &o.seal.codec) < 0)
                return fprintf(stderr, "strom gen: --codec: '%s' is not none, lz4 or zstd\n", optarg), 2;
            break;
        case 'l':
            if (!cli_parse_i64(optarg, -100, 22, &v))
                return fprintf(stderr, "strom gen: --level: '%s' is not -100..22\n", optarg), 2;
            o.seal.level = (int)v;
            break;
        case 'N':
            if (!cli_parse_double(optarg, 0, 1, &o.null_ratio))
                return fprintf(stderr, "strom gen: --nulls: '%s' is not a ratio 0..1\n", optarg), 2;
            break;
        case 'S':
            if (!cli_parse_i64(optarg, 0, INT64_MAX, &v))
                return fprintf(stderr, "strom gen: --seed: '%s' is not a number >= 0\n", optarg), 2;
            o.seed = (uint64_t)v;
            break;
        case 'f':
            if (strcmp(optarg, "stream") != 0 && strcmp(optarg, "file") != 0)
                return fprintf(stderr, "strom gen: --format: '%s' is not stream or file\n", optarg), 2;
            format = optarg;
            break;
        case 's': schema_only = true; break;
        case 'h': gen_usage(stdout); return 0;
        default: gen_usage(stderr); return 2;
        }
    }
    if (optind < argc)
        return fprintf(stderr, "strom gen: unexpected argument '%s' (output goes to -o FILE)\n",
                       argv[optind]), 2;

    strom_schema *s = cli_gen_schema();
    strom_buf out = STROM_BUF_INIT;
    strom_error err = {0};
    int rc = 1;
    if (!s)
        return cli_fail("gen", NULL, "out of memory");
    if (schema_only) {
        gen_print_schema(s);
        rc = 0;
        goto cleanup;
    }
    if (strcmp(output, "-") == 0 && isatty(STDOUT_FILENO)) {
        cli_fail("gen", NULL, "refusing to write binary Arrow data to a terminal; use -o FILE");
        rc = 2;
        goto cleanup;
    }
    bool file_format = format ? strcmp(format, "file") == 0 : gen_ends_with(output, ".arrow");
    if (cli_gen_table(s, &o, file_format, &out, &err) < 0) {
        cli_fail("gen", &err, "encoding the table");
        goto cleanup;
    }
    if (cli_write_file(output, out.data, out.len, &err) < 0) {
        cli_fail("gen", &err, "writing");
        goto cleanup;
    }
    rc = 0;
cleanup:
    strom_buf_free(&out);
    strom_schema_free(s);
    return rc;
}
