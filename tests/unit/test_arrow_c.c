/* Unit tests for the Arrow C Data Interface export (src/columnar/arrow_c.c): format strings,
 * names and flags of every type; batches of every type sealed, decoded (uncompressed = zero
 * copy into the message, compressed = memory the batch owns) and read back through the raw
 * exported buffers (validity bits, offsets, data), with null patterns, all-null and 0-row
 * batches and evolved schemas; hand-built views with NULL offsets/values; moving children
 * out and releasing parent and children in every order (the ASan build proves no leak or
 * double free), and that the batch and owner go exactly once, with the last release. */
#include "columnar/arrow_c_export.h"
#include "columnar/batch.h"
#include "columnar/ipc.h"
#include "common/buf.h"
#include "strom/arrow_c.h"
#include "test.h"

/* ---- a schema of every type ------------------------------------------------------------ */

typedef struct col_def {
    const char *name;
    strom_type type;
    bool nullable;
    const char *format; /* what the export must say, written out independently */
} col_def;

static const col_def cols[] = {
    {"b", {STROM_TYPE_BOOLEAN, 0, 0}, true, "b"},
    {"i8", {STROM_TYPE_TINYINT, 0, 0}, true, "c"},
    {"i16", {STROM_TYPE_SMALLINT, 0, 0}, true, "s"},
    {"i32", {STROM_TYPE_INT, 0, 0}, true, "i"},
    {"i64", {STROM_TYPE_BIGINT, 0, 0}, true, "l"},
    {"f32", {STROM_TYPE_FLOAT, 0, 0}, true, "f"},
    {"f64", {STROM_TYPE_DOUBLE, 0, 0}, true, "g"},
    {"dec", {STROM_TYPE_DECIMAL, 20, 3}, true, "d:20,3"},
    {"str", {STROM_TYPE_STRING, 0, 0}, true, "u"},
    {"bin", {STROM_TYPE_BYTES, 0, 0}, true, "z"},
    {"date", {STROM_TYPE_DATE, 0, 0}, true, "tdD"},
    {"time", {STROM_TYPE_TIME, 0, 0}, true, "ttu"},
    {"ts", {STROM_TYPE_TIMESTAMP, 0, 0}, true, "tsu:"},
    {"ts_ltz", {STROM_TYPE_TIMESTAMP_LTZ, 0, 0}, true, "tsu:UTC"},
    {"nn_dec38", {STROM_TYPE_DECIMAL, 38, 38}, false, "d:38,38"},
    {"nn_str", {STROM_TYPE_STRING, 0, 0}, false, "u"},
    {"nn_i32", {STROM_TYPE_INT, 0, 0}, false, "i"},
    {"all_null", {STROM_TYPE_BIGINT, 0, 0}, true, "l"},
};
#define NCOLS ((int)(sizeof cols / sizeof cols[0]))

static strom_schema *every_type(void)
{
    strom_schema *s = strom_schema_new(1);
    strom_error err;
    for (int c = 0; c < NCOLS; c++)
        CHECK_OK(strom_schema_add(s, cols[c].name, cols[c].type, cols[c].nullable, &err), &err);
    return s;
}

/* Row r of column c: nulls in a per-column pattern (column "all_null" is always null). */
static bool is_null(int c, int64_t r)
{
    if (!cols[c].nullable)
        return false;
    if (strcmp(cols[c].name, "all_null") == 0)
        return true;
    return (r + c) % (c % 4 + 2) == 0;
}

static strom_value value_for(int c, int64_t r, char *sbuf)
{
    strom_value v = {.type = cols[c].type.id};
    if (is_null(c, r)) {
        v.is_null = true;
        return v;
    }
    int64_t x = (r * 7919 + c * 104729) % 2001 - 1000;
    switch (cols[c].type.id) {
    case STROM_TYPE_BOOLEAN: v.u.b = (x & 1) != 0; break;
    case STROM_TYPE_TINYINT: v.u.i = x % 128; break;
    case STROM_TYPE_SMALLINT: v.u.i = x * 31; break;
    case STROM_TYPE_INT: v.u.i = x * 2000003; break;
    case STROM_TYPE_BIGINT: v.u.i = x * INT64_C(9000000000007); break;
    case STROM_TYPE_FLOAT: v.u.f = (double)(float)(x / 8.0); break;
    case STROM_TYPE_DOUBLE: v.u.f = x / 3.0; break;
    case STROM_TYPE_DECIMAL:
        /* fits DECIMAL(20,3) and DECIMAL(38,38); negative values test the sign extension */
        v.u.d = (strom_i128)x * INT64_C(10000000000007);
        break;
    case STROM_TYPE_STRING:
    case STROM_TYPE_BYTES:
        /* lengths 0 .. 12, some empty */
        v.u.s.len = (uint32_t)(r % 4 == 1 ? 0 : snprintf(sbuf, 32, "v%lld", (long long)(x * x)));
        v.u.s.ptr = (const uint8_t *)sbuf;
        break;
    case STROM_TYPE_DATE: v.u.i = x * 37; break;
    case STROM_TYPE_TIME: v.u.i = (x + 1000) * 1000000; break;
    default: v.u.i = x * 1000003; break; /* TIMESTAMP, TIMESTAMP_LTZ */
    }
    return v;
}

/* ---- reading the exported buffers, independently of strom_col_get ---------------------- */

static bool bit(const void *bits, int64_t i)
{
    return (((const uint8_t *)bits)[i >> 3] >> (i & 7)) & 1;
}

/* Checks one exported child against value_for; returns the number of mismatching rows. */
static int check_child(int c, const struct ArrowArray *a, int64_t rows)
{
    int bad = 0;
    strom_type t = cols[c].type;
    bool varlen = t.id == STROM_TYPE_STRING || t.id == STROM_TYPE_BYTES;
    int64_t nulls = 0;
    for (int64_t r = 0; r < rows; r++)
        nulls += is_null(c, r);
    CHECK_EQ(a->length, rows);
    CHECK_EQ(a->null_count, nulls);
    CHECK_EQ(a->offset, 0);
    CHECK_EQ(a->n_buffers, varlen ? 3 : 2);
    CHECK_EQ(a->n_children, 0);
    CHECK(a->dictionary == NULL);
    CHECK(a->release != NULL);
    if (a->n_buffers != (varlen ? 3 : 2) || a->length != rows)
        return 1;
    CHECK(nulls == 0 || a->buffers[0] != NULL);
    for (int k = 1; k < a->n_buffers; k++)
        CHECK(a->buffers[k] != NULL); /* only validity may be NULL */
    const int32_t *off = varlen ? a->buffers[1] : NULL;
    const uint8_t *data = a->buffers[varlen ? 2 : 1];
    if (varlen) {
        CHECK_EQ(off[0], 0);
        for (int64_t r = 0; r < rows; r++)
            if (off[r + 1] < off[r] && bad++ < 3)
                printf("  col %s: offset %lld decreases\n", cols[c].name, (long long)r + 1);
    }
    for (int64_t r = 0; r < rows; r++) {
        char sb[32];
        strom_value want = value_for(c, r, sb);
        bool valid = a->buffers[0] == NULL || bit(a->buffers[0], r);
        bool ok = valid == !want.is_null;
        if (ok && valid) {
            switch (t.id) {
            case STROM_TYPE_BOOLEAN: ok = bit(data, r) == want.u.b; break;
            case STROM_TYPE_TINYINT: ok = ((const int8_t *)(const void *)data)[r] == want.u.i; break;
            case STROM_TYPE_SMALLINT: {
                int16_t x;
                memcpy(&x, data + 2 * r, 2);
                ok = x == want.u.i;
                break;
            }
            case STROM_TYPE_INT:
            case STROM_TYPE_DATE: {
                int32_t x;
                memcpy(&x, data + 4 * r, 4);
                ok = x == want.u.i;
                break;
            }
            case STROM_TYPE_FLOAT: {
                float x;
                memcpy(&x, data + 4 * r, 4);
                ok = x == (float)want.u.f;
                break;
            }
            case STROM_TYPE_DOUBLE: {
                double x;
                memcpy(&x, data + 8 * r, 8);
                ok = x == want.u.f;
                break;
            }
            case STROM_TYPE_DECIMAL: {
                strom_i128 x;
                memcpy(&x, data + 16 * r, 16);
                ok = x == want.u.d;
                break;
            }
            case STROM_TYPE_STRING:
            case STROM_TYPE_BYTES:
                ok = (uint32_t)(off[r + 1] - off[r]) == want.u.s.len &&
                     memcmp(data + off[r], want.u.s.ptr, want.u.s.len) == 0;
                break;
            default: { /* BIGINT, TIME, TIMESTAMP, TIMESTAMP_LTZ */
                int64_t x;
                memcpy(&x, data + 8 * r, 8);
                ok = x == want.u.i;
                break;
            }
            }
        }
        if (!ok && bad++ < 3)
            printf("  col %s row %lld differs\n", cols[c].name, (long long)r);
    }
    return bad;
}

/* ---- building and decoding batches ----------------------------------------------------- */

/* The decoded batch of `rows` rows sealed with `codec`; *msg receives the message bytes. */
static strom_batch *make_batch(const strom_schema *s, int64_t rows, strom_codec codec,
                               strom_buf *msg)
{
    strom_batch_builder *bb = strom_bb_new(s);
    strom_error err;
    strom_value vals[NCOLS];
    char sb[NCOLS][32];
    for (int64_t r = 0; r < rows; r++) {
        for (int c = 0; c < NCOLS; c++)
            vals[c] = value_for(c, r, sb[c]);
        CHECK_OK(strom_bb_append_row(bb, vals, &err), &err);
    }
    strom_seal_opts o = {codec, 0};
    CHECK_OK(strom_bb_seal(bb, &o, msg, NULL, &err), &err);
    strom_bb_free(bb);
    strom_ipc_msg m;
    strom_batch *b = NULL;
    CHECK_OK(strom_ipc_read_msg(msg->data, msg->len, &m, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&m, s, s, NULL, &b, &err), &err);
    return b;
}

/* An owner that counts how often it was freed (and frees the message it keeps alive). */
typedef struct counted_owner {
    strom_buf msg;
    int *freed;
} counted_owner;

static void counted_owner_free(void *p)
{
    counted_owner *o = p;
    (*o->freed)++;
    strom_buf_free(&o->msg);
    free(o);
}

/* Exports a fresh batch of `rows` rows whose message is kept alive by a counted owner. */
static int export_fresh(const strom_schema *s, int64_t rows, strom_codec codec, int *freed,
                        struct ArrowArray *out, const uint8_t **msg_start, size_t *msg_len)
{
    counted_owner *o = calloc(1, sizeof *o);
    o->msg = (strom_buf)STROM_BUF_INIT;
    o->freed = freed;
    strom_batch *b = make_batch(s, rows, codec, &o->msg);
    if (msg_start) {
        *msg_start = o->msg.data;
        *msg_len = o->msg.len;
    }
    strom_error err;
    int rc = b ? strom_arrow_export_batch(b, o, counted_owner_free, out, &err) : STROM_EINVAL;
    CHECK_OK(rc, &err);
    if (rc != 0) {
        strom_batch_free(b);
        counted_owner_free(o);
    }
    return rc;
}

static bool inside(const void *p, const uint8_t *start, size_t len)
{
    return (const uint8_t *)p >= start && (const uint8_t *)p < start + len;
}

/* ---- tests ----------------------------------------------------------------------------- */

TEST(schema_formats_names_flags)
{
    strom_schema *s = every_type();
    struct ArrowSchema as;
    strom_error err;
    CHECK_OK(strom_arrow_export_schema(s, &as, &err), &err);
    CHECK_STR(as.format, "+s");
    CHECK(as.name != NULL && as.name[0] == '\0');
    CHECK(as.metadata == NULL);
    CHECK_EQ(as.flags, 0);
    CHECK_EQ(as.n_children, NCOLS);
    CHECK(as.dictionary == NULL);
    CHECK(as.release != NULL);
    for (int c = 0; c < NCOLS && c < as.n_children; c++) {
        const struct ArrowSchema *ch = as.children[c];
        CHECK_STR(ch->format, cols[c].format);
        CHECK_STR(ch->name, cols[c].name);
        CHECK(ch->metadata == NULL);
        CHECK_EQ(ch->flags, cols[c].nullable ? ARROW_FLAG_NULLABLE : 0);
        CHECK_EQ(ch->n_children, 0);
        CHECK(ch->children == NULL);
        CHECK(ch->dictionary == NULL);
        CHECK(ch->release != NULL);
    }
    as.release(&as);
    CHECK(as.release == NULL);
    /* an empty schema is a struct without children */
    strom_schema *e = strom_schema_new(2);
    CHECK_OK(strom_arrow_export_schema(e, &as, &err), &err);
    CHECK_STR(as.format, "+s");
    CHECK_EQ(as.n_children, 0);
    as.release(&as);
    CHECK(as.release == NULL);
    strom_schema_free(e);
    strom_schema_free(s);
}

TEST(schema_format_of_each_decimal_and_invalid_type)
{
    char buf[16];
    CHECK_EQ(strom_arrow_format(strom_type_decimal(1, 0), buf, sizeof buf), 0);
    CHECK_STR(buf, "d:1,0");
    CHECK_EQ(strom_arrow_format(strom_type_decimal(38, 10), buf, sizeof buf), 0);
    CHECK_STR(buf, "d:38,10");
    CHECK_EQ(strom_arrow_format(strom_type_decimal(5, 6), buf, sizeof buf), STROM_EINVAL);
    CHECK_EQ(strom_arrow_format((strom_type){(strom_type_id)99, 0, 0}, buf, sizeof buf),
             STROM_EINVAL);
    CHECK_EQ(strom_arrow_format(strom_type_decimal(38, 10), buf, 4), STROM_EINVAL);
}

TEST(schema_child_moved_out_outlives_parent_and_vice_versa)
{
    strom_schema *s = every_type();
    strom_error err;
    for (int order = 0; order < 2; order++) {
        struct ArrowSchema as, moved;
        CHECK_OK(strom_arrow_export_schema(s, &as, &err), &err);
        moved = *as.children[8]; /* move "str" out */
        as.children[8]->release = NULL;
        /* a consumer may also release a child in place */
        as.children[0]->release(as.children[0]);
        CHECK(as.children[0]->release == NULL);
        if (order == 0) {
            as.release(&as);
            CHECK(as.release == NULL);
            CHECK_STR(moved.name, "str"); /* still valid after the parent is gone */
            CHECK_STR(moved.format, "u");
            moved.release(&moved);
        } else {
            moved.release(&moved);
            CHECK_STR(as.children[9]->name, "bin");
            as.release(&as);
            CHECK(as.release == NULL);
        }
        CHECK(moved.release == NULL);
    }
    strom_schema_free(s);
}

TEST(batch_values_through_buffers_every_codec_and_size)
{
    strom_schema *s = every_type();
    static const int64_t sizes[] = {0, 1, 7, 8, 9, 100, 1000};
    static const strom_codec codecs[] = {STROM_CODEC_NONE, STROM_CODEC_LZ4_FRAME,
                                         STROM_CODEC_ZSTD};
    for (size_t k = 0; k < sizeof codecs / sizeof codecs[0]; k++)
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            int64_t rows = sizes[z];
            int freed = 0;
            struct ArrowArray a;
            const uint8_t *mstart;
            size_t mlen;
            if (export_fresh(s, rows, codecs[k], &freed, &a, &mstart, &mlen) != 0)
                continue;
            CHECK_EQ(a.length, rows);
            CHECK_EQ(a.null_count, 0);
            CHECK_EQ(a.offset, 0);
            CHECK_EQ(a.n_buffers, 1);
            CHECK(a.buffers[0] == NULL);
            CHECK_EQ(a.n_children, NCOLS);
            CHECK(a.dictionary == NULL);
            int bad = 0;
            for (int c = 0; c < NCOLS && c < a.n_children; c++)
                bad += check_child(c, a.children[c], rows);
            if (bad)
                printf("  %d bad (codec %d, %lld rows)\n", bad, (int)codecs[k], (long long)rows);
            CHECK_EQ(bad, 0);
            if (rows > 0) {
                /* uncompressed: views into the message itself; compressed: batch memory */
                const void *i64 = a.children[4]->buffers[1], *str = a.children[8]->buffers[2];
                bool want_inside = codecs[k] == STROM_CODEC_NONE;
                CHECK_EQ(inside(i64, mstart, mlen), want_inside);
                if (((const int32_t *)a.children[8]->buffers[1])[rows] > 0) /* has data */
                    CHECK_EQ(inside(str, mstart, mlen), want_inside);
                else
                    CHECK(str != NULL);
            }
            CHECK_EQ(freed, 0);
            a.release(&a);
            CHECK(a.release == NULL);
            CHECK_EQ(freed, 1);
        }
    strom_schema_free(s);
}

/* Moves child `c` of `a` out into *dst the way a consumer does. */
static void move_child(struct ArrowArray *a, int c, struct ArrowArray *dst)
{
    *dst = *a->children[c];
    a->children[c]->release = NULL;
}

TEST(moved_children_and_parent_release_in_any_order)
{
    strom_schema *s = every_type();
    const int64_t rows = 300;
    for (int codec = 0; codec < 3; codec += 2) { /* NONE (zero copy) and ZSTD */
        /* 1. parent first: the moved child must stay readable, the owner alive */
        int freed = 0;
        struct ArrowArray a, str, dec;
        if (export_fresh(s, rows, (strom_codec)codec, &freed, &a, NULL, NULL) != 0)
            continue;
        move_child(&a, 8, &str);
        move_child(&a, 7, &dec);
        a.children[0]->release(a.children[0]); /* released in place by the consumer */
        CHECK(a.children[0]->release == NULL);
        a.release(&a);
        CHECK(a.release == NULL);
        CHECK_EQ(freed, 0);
        CHECK_EQ(check_child(8, &str, rows), 0); /* ASan: no use after free */
        str.release(&str);
        CHECK(str.release == NULL);
        CHECK_EQ(freed, 0);
        CHECK_EQ(check_child(7, &dec, rows), 0);
        dec.release(&dec);
        CHECK(dec.release == NULL);
        CHECK_EQ(freed, 1);

        /* 2. child first */
        freed = 0;
        if (export_fresh(s, rows, (strom_codec)codec, &freed, &a, NULL, NULL) != 0)
            continue;
        move_child(&a, 3, &str);
        str.release(&str);
        CHECK(str.release == NULL);
        CHECK_EQ(freed, 0);
        CHECK_EQ(check_child(4, a.children[4], rows), 0);
        a.release(&a);
        CHECK_EQ(freed, 1);

        /* 3. every child moved out, parent released first, children in reverse order */
        freed = 0;
        struct ArrowArray all[NCOLS];
        if (export_fresh(s, rows, (strom_codec)codec, &freed, &a, NULL, NULL) != 0)
            continue;
        for (int c = 0; c < NCOLS; c++)
            move_child(&a, c, &all[c]);
        a.release(&a);
        for (int c = NCOLS - 1; c >= 0; c--) {
            CHECK_EQ(freed, 0);
            CHECK_EQ(check_child(c, &all[c], rows), 0);
            all[c].release(&all[c]);
            CHECK(all[c].release == NULL);
        }
        CHECK_EQ(freed, 1);
    }
    strom_schema_free(s);
}

TEST(owner_may_be_null)
{
    strom_schema *s = every_type();
    strom_buf msg = STROM_BUF_INIT;
    strom_batch *b = make_batch(s, 50, STROM_CODEC_ZSTD, &msg);
    strom_buf_free(&msg); /* compressed: the views own their memory, no owner needed */
    struct ArrowArray a;
    strom_error err;
    if (b) {
        CHECK_OK(strom_arrow_export_batch(b, NULL, NULL, &a, &err), &err);
        int bad = 0;
        for (int c = 0; c < NCOLS; c++)
            bad += check_child(c, a.children[c], 50);
        CHECK_EQ(bad, 0);
        a.release(&a);
        CHECK(a.release == NULL);
    }
    strom_schema_free(s);
}

TEST(evolved_schema_null_columns)
{
    /* 20 all-null rows written under the 14 columns of `older`, read under `late`, which
     * appends 3 nullable columns: the decoder makes those all null (memory the batch owns) */
    strom_schema *older = strom_schema_new(1), *late = strom_schema_new(2);
    strom_error err;
    for (int c = 0; c < 14; c++) {
        CHECK_OK(strom_schema_add(older, cols[c].name, cols[c].type, true, &err), &err);
        CHECK_OK(strom_schema_add(late, cols[c].name, cols[c].type, true, &err), &err);
    }
    CHECK_OK(strom_schema_add(late, "x_str", strom_type_of(STROM_TYPE_STRING), true, &err), &err);
    CHECK_OK(strom_schema_add(late, "x_dec", strom_type_decimal(9, 2), true, &err), &err);
    CHECK_OK(strom_schema_add(late, "x_bool", strom_type_of(STROM_TYPE_BOOLEAN), true, &err),
             &err);
    strom_batch_builder *bb = strom_bb_new(older);
    for (int64_t r = 0; r < 20; r++)
        for (int c = 0; c < 14; c++)
            CHECK_EQ(strom_bb_append_null(bb, c), 0);
    strom_buf msg = STROM_BUF_INIT;
    CHECK_OK(strom_bb_seal(bb, NULL, &msg, NULL, &err), &err);
    strom_bb_free(bb);
    strom_ipc_msg m;
    strom_batch *b = NULL;
    CHECK_OK(strom_ipc_read_msg(msg.data, msg.len, &m, &err), &err);
    CHECK_OK(strom_ipc_decode_batch(&m, older, late, NULL, &b, &err), &err);
    struct ArrowArray a;
    struct ArrowSchema as;
    CHECK_OK(strom_arrow_export_schema(late, &as, &err), &err);
    CHECK_EQ(as.n_children, 17);
    CHECK_STR(as.children[14]->format, "u");
    CHECK_STR(as.children[15]->format, "d:9,2");
    CHECK_STR(as.children[16]->name, "x_bool");
    as.release(&as);
    if (b && strom_arrow_export_batch(b, NULL, NULL, &a, &err) == 0) {
        CHECK_EQ(a.n_children, 17);
        for (int c = 0; c < a.n_children; c++) {
            const struct ArrowArray *ch = a.children[c];
            CHECK_EQ(ch->length, 20);
            CHECK_EQ(ch->null_count, 20);
            CHECK(ch->buffers[0] != NULL);
            for (int64_t r = 0; r < 20 && ch->buffers[0]; r++)
                CHECK(!bit(ch->buffers[0], r));
            for (int k = 1; k < ch->n_buffers; k++)
                CHECK(ch->buffers[k] != NULL);
        }
        const int32_t *off = a.children[14]->buffers[1];
        CHECK_EQ(a.children[14]->n_buffers, 3);
        CHECK_EQ(off[0], 0);
        CHECK_EQ(off[20], 0);
        a.release(&a);
    } else {
        CHECK(0);
        strom_batch_free(b);
    }
    strom_buf_free(&msg);
    strom_schema_free(late);
    strom_schema_free(older);
}

/* Stands in for a consumer's garbage in *out, to see that a failed export clears it. */
static void release_sentinel(struct ArrowArray *a)
{
    (void)a;
    CHECK(0);
}

/* A batch put together by hand (views from somewhere other than the decoder). */
static strom_batch *hand_batch(const strom_schema *s, int64_t rows, const strom_col_view *v)
{
    strom_batch *b = calloc(1, sizeof *b);
    b->schema = s;
    b->rows = rows;
    b->ncols = strom_schema_ncols(s);
    b->cols = calloc((size_t)b->ncols, sizeof *b->cols);
    memcpy(b->cols, v, sizeof *v * (size_t)b->ncols);
    return b;
}

TEST(hand_built_views_null_offsets_and_values)
{
    strom_schema *s = strom_schema_new(3);
    strom_error err;
    CHECK_OK(strom_schema_add(s, "s", strom_type_of(STROM_TYPE_STRING), true, &err), &err);
    CHECK_OK(strom_schema_add(s, "z", strom_type_of(STROM_TYPE_BYTES), false, &err), &err);
    CHECK_OK(strom_schema_add(s, "i", strom_type_of(STROM_TYPE_INT), true, &err), &err);
    CHECK_OK(strom_schema_add(s, "b", strom_type_of(STROM_TYPE_BOOLEAN), true, &err), &err);
    struct ArrowArray a;
    int freed = 0;

    /* 0 rows, no pointers at all: a valid 1-entry offsets buffer and non-NULL data */
    strom_col_view empty[4] = {{0}};
    strom_batch *b = hand_batch(s, 0, empty);
    CHECK_OK(strom_arrow_export_batch(b, &freed, NULL, &a, &err), &err);
    for (int c = 0; c < 4; c++) {
        const struct ArrowArray *ch = a.children[c];
        CHECK_EQ(ch->length, 0);
        CHECK_EQ(ch->null_count, 0);
        CHECK(ch->buffers[0] == NULL);
        for (int k = 1; k < ch->n_buffers; k++)
            CHECK(ch->buffers[k] != NULL);
        if (c < 2)
            CHECK_EQ(((const int32_t *)ch->buffers[1])[0], 0);
    }
    a.release(&a);

    /* 3 rows of empty strings with no data pointer, one null */
    static const int32_t zeros[4] = {0, 0, 0, 0};
    static const int32_t ints[3] = {5, -6, 7};
    static const uint8_t valid_101 = 0x5, bools = 0x6;
    strom_col_view three[4] = {
        {3, 1, &valid_101, NULL, zeros, 0},
        {3, 0, NULL, NULL, zeros, 0},
        {3, 0, NULL, (const uint8_t *)ints, NULL, 12},
        {3, 0, NULL, &bools, NULL, 1},
    };
    b = hand_batch(s, 3, three);
    CHECK_OK(strom_arrow_export_batch(b, NULL, NULL, &a, &err), &err);
    CHECK_EQ(a.children[0]->null_count, 1);
    CHECK(a.children[0]->buffers[0] == &valid_101);
    CHECK(a.children[0]->buffers[1] == zeros);
    CHECK(a.children[0]->buffers[2] != NULL);
    CHECK(a.children[1]->buffers[2] != NULL);
    CHECK(a.children[2]->buffers[1] == ints);
    CHECK(a.children[3]->buffers[1] == &bools);
    a.release(&a);

    /* inconsistent views are refused and nothing is taken (ASan: no double free) */
    strom_col_view broken[5][4];
    for (int k = 0; k < 5; k++)
        memcpy(broken[k], three, sizeof three);
    broken[0][0].offsets = NULL;        /* rows but no offsets */
    broken[1][2].values = NULL;         /* fixed width without values */
    broken[2][0].validity = NULL;       /* nulls without a bitmap */
    broken[3][0].null_count = 2;        /* bitmap disagrees with the count */
    broken[4][3].length = 2;            /* column shorter than the batch */
    static const char *const why[] = {"offsets", "values", "bitmap", "disagree", "rows"};
    for (int k = 0; k < 5; k++) {
        b = hand_batch(s, 3, broken[k]);
        a.release = release_sentinel;
        int rc = strom_arrow_export_batch(b, &freed, NULL, &a, &err);
        CHECK_EQ(rc, STROM_EINVAL);
        CHECK(a.release == NULL);
        if (rc != STROM_EINVAL)
            printf("  case %s accepted\n", why[k]);
        if (rc == 0)
            a.release(&a);
        else
            strom_batch_free(b);
    }
    static const int32_t bad_off[4] = {0, 2, 1, 3};
    strom_col_view dec[4];
    memcpy(dec, three, sizeof three);
    dec[1].offsets = bad_off;
    dec[1].values = (const uint8_t *)"abc";
    dec[1].values_len = 3;
    b = hand_batch(s, 3, dec);
    CHECK_EQ(strom_arrow_export_batch(b, NULL, NULL, &a, &err), STROM_EINVAL);
    strom_batch_free(b);
    dec[1].offsets = zeros + 0;
    dec[1].values_len = 0;
    static const int32_t long_off[4] = {0, 1, 2, 4};
    dec[1].offsets = long_off; /* 4 bytes of data needed, 3 present */
    dec[1].values_len = 3;
    b = hand_batch(s, 3, dec);
    CHECK_EQ(strom_arrow_export_batch(b, NULL, NULL, &a, &err), STROM_EINVAL);
    strom_batch_free(b);
    strom_schema_free(s);
}

int main(void)
{
    RUN_TEST(schema_formats_names_flags);
    RUN_TEST(schema_format_of_each_decimal_and_invalid_type);
    RUN_TEST(schema_child_moved_out_outlives_parent_and_vice_versa);
    RUN_TEST(batch_values_through_buffers_every_codec_and_size);
    RUN_TEST(moved_children_and_parent_release_in_any_order);
    RUN_TEST(owner_may_be_null);
    RUN_TEST(evolved_schema_null_columns);
    RUN_TEST(hand_built_views_null_offsets_and_values);
    return TEST_EXIT();
}
