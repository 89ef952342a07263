/*
 * log_view.c: reads with projection and predicate pushdown (strom_log_read_view, log.h).
 *
 * A view without columns or predicate is strom_log_read's ranges as they are. Otherwise the
 * view walks the segments itself, outside the log's mutex (strom_log_span), and reads of each
 * record only the front (header, stats, change types, Arrow metadata; a record not read since
 * open is CRC-checked whole first): the statistics decide NONE / ALL / SOME;
 * ALL with a projection becomes a PROJECTED record whose body is a list of byte ranges of the
 * segment file; SOME reads the record, decodes, filters and re-encodes it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "columnar/ipc.h"
#include "columnar/predicate.h"
#include "common/common.h"
#include "log/log_internal.h"

void strom_log_view_release(strom_log_view *v)
{
    free(v->parts);
    strom_buf_free(&v->mem);
    strom_log_slice_release(&v->held);
    memset(v, 0, sizeof *v);
}

static int add_part(strom_log_view *v, size_t mem_off, int fd, uint64_t pos, uint64_t len)
{
    strom_log_part *prev = v->nparts ? &v->parts[v->nparts - 1] : NULL;
    if (prev && ((mem_off == SIZE_MAX && prev->mem_off == SIZE_MAX && prev->fd == fd &&
                  prev->pos + prev->len == pos) ||
                 (mem_off != SIZE_MAX && prev->mem_off != SIZE_MAX &&
                  prev->mem_off + prev->len == mem_off))) {
        prev->len += len;
    } else {
        if (strom_array_grow(&v->parts, v->nparts, &v->cap, sizeof *v->parts, 8) != 0)
            return STROM_ENOMEM;
        v->parts[v->nparts++] = (strom_log_part){mem_off, fd, pos, len};
    }
    v->bytes_out += len;
    return 0;
}

/* Appends the record just written to v->mem from `at` as a memory part. */
static int add_mem(strom_log_view *v, size_t at)
{
    return add_part(v, at, -1, 0, v->mem.len - at);
}

/* What a view reads stored records through (log_internal.h: small records many at a time,
 * their fronts, and the bodies a projection copies or a filter decodes, then in memory), and
 * what it reuses from record to record: the statistics decoded, and the projected ones
 * (their arrays' sizes in the caps). */
typedef struct view_window {
    strom_log_window win;
    strom_batch_stats st, ps;
    int st_cols, st_crcs, ps_cols, ps_crcs;
    /* A filtered read of some columns needs only those and the predicate's (ascending;
     * ncols 0: every column, records are read whole), under `need_s` (the read schema
     * projected onto them); `msg` holds such a part of a record. */
    int *need, nneed;
    strom_schema *need_s;
    strom_buf msg;
} view_window;

/* Reads the front of the record of len bytes at pos of fd (through the Arrow metadata; avail:
 * the bytes from pos the window may read ahead) with one pread of *guess bytes, or two when
 * the front is longer (none when the window has it: the walk has just read its header with
 * *guess bytes). The records of a read are alike, so the guess follows the fronts seen (a
 * quarter more, at least 1 KiB): a projected read of a 20-column table reads ~3 KiB per
 * record instead of 8. */
#define FRONT_GUESS 8192

static int read_front(view_window *w, int fd, uint64_t pos, uint32_t len, uint64_t avail,
                      size_t *guess, strom_record *r, uint64_t *front, strom_error *err)
{
    size_t first = avail < *guess ? (size_t)avail : *guess;
    const uint8_t *head = strom_log_window_get(&w->win, fd, pos, first, avail);
    if (!head)
        return strom_error_set(err, STROM_EIO, "view: record at %llu unreadable",
                               (unsigned long long)pos);
    if (first > len)
        first = len;
    uint64_t at = strom_align_up((uint64_t)STROM_RECORD_HEADER + strom_ld32(head + 55) +
                                 strom_ld32(head + 59), 8);
    uint8_t pre[8];
    const uint8_t *q;
    if (at + 8 > len)
        return strom_error_set(err, STROM_ECORRUPT, "record at %llu: no Arrow message",
                               (unsigned long long)pos);
    if (at + 8 <= first)
        memcpy(pre, head + at, 8);
    else if ((q = strom_log_window_get(&w->win, fd, pos + at, 8, avail - at)) != NULL)
        memcpy(pre, q, 8);
    else
        return strom_error_set(err, STROM_EIO, "read record at %llu", (unsigned long long)pos);
    uint64_t head_len = strom_ld32(pre) == 0xFFFFFFFFu ? 8 + (uint64_t)strom_ld32(pre + 4)
                                                       : 4 + (uint64_t)strom_ld32(pre);
    *front = at + head_len;
    if (*front > len)
        return strom_error_set(err, STROM_ECORRUPT, "record at %llu: Arrow metadata too long",
                               (unsigned long long)pos);
    const uint8_t *p = strom_log_window_get(&w->win, fd, pos, (size_t)*front, avail); /* held */
    if (!p)
        return strom_error_set(err, STROM_EIO, "read record at %llu", (unsigned long long)pos);
    size_t next = (size_t)strom_align_up(*front + *front / 4, 256);
    *guess = next < 1024 ? 1024 : next > (1u << 20) ? 1u << 20 : next;
    return strom_record_parse_front(p, (size_t)*front, r, err);
}

/* Statistics of the kept columns, with the CRCs of the kept buffers. */
static int project_stats(const strom_batch_stats *st, const strom_log_view_opts *o,
                         const strom_ipc_projection *pj, strom_batch_stats *out, int *cols_cap,
                         int *crc_cap)
{
    out->rows = st->rows;
    out->ncols = out->nbuffers = 0;
    if (strom_batch_stats_reserve(out, o->ncols, pj->nbuffers, cols_cap, crc_cap) != 0)
        return STROM_ENOMEM;
    out->ncols = o->ncols;
    out->nbuffers = pj->nbuffers;
    for (int i = 0; i < o->ncols; i++) {
        if (o->cols[i] >= st->ncols)
            return STROM_ECORRUPT;
        out->cols[i] = st->cols[o->cols[i]];
        strom_col_stats_fix(&out->cols[i]);
    }
    for (int k = 0; k < pj->nbuffers; k++) {
        if (pj->buffer_src[k] >= st->nbuffers)
            return STROM_ECORRUPT;
        out->buffer_crc[k] = st->buffer_crc[pj->buffer_src[k]];
    }
    return 0;
}

/* Extends the statistics of a record of an older schema to `ncols` columns: the added
 * columns are null in every row. */
static int stats_widen(strom_batch_stats *st, int ncols, int *cols_cap, int *crc_cap)
{
    if (ncols <= st->ncols)
        return 0;
    if (strom_batch_stats_reserve(st, ncols, st->nbuffers, cols_cap, crc_cap) != 0)
        return STROM_ENOMEM;
    strom_col_stats *c = st->cols;
    for (int i = st->ncols; i < ncols; i++) {
        memset(&c[i], 0, sizeof c[i]);
        c[i].null_count = st->rows;
    }
    st->ncols = ncols;
    return 0;
}

/* The projection onto columns cols of schema s of the record whose front (front bytes, through
 * its Arrow metadata) was parsed into r: new Arrow metadata and the body ranges to keep. */
static int project_front(const strom_record *r, uint64_t front, const strom_schema *s,
                         const int *cols, int ncols, strom_ipc_projection *pj, strom_error *err)
{
    strom_ipc_msg m;
    uint64_t arrow_at = (uint64_t)(r->arrow - (r->stats - STROM_RECORD_HEADER));
    int rc = strom_ipc_read_msg_meta(r->arrow, (size_t)(front - arrow_at), &m, err);
    if (rc != 0)
        return rc > 0 ? strom_error_set(err, STROM_ECORRUPT, "truncated Arrow metadata") : rc;
    return strom_ipc_project(&m, s, cols, ncols, pj, err);
}

/* ALL with a projection: a PROJECTED record front in memory + body ranges from the file (a
 * small record's body, already in the window, is copied after its front instead: one piece of
 * memory for many small records, not a file range each). */
static int emit_projected(strom_log_view *v, view_window *w, const strom_log_span *sp,
                          uint64_t pos, const strom_record *r, uint64_t front,
                          const strom_batch_stats *st, const strom_log_view_opts *o,
                          strom_error *err)
{
    strom_ipc_projection pj;
    strom_batch_stats *ps = &w->ps;
    STROM_TRY(project_front(r, front, o->schema, o->cols, o->ncols, &pj, err));
    size_t at = v->mem.len;
    int rc = project_stats(st, o, &pj, ps, &w->ps_cols, &w->ps_crcs);
    if (rc != 0)
        rc = strom_error_set(err, rc, "projecting statistics");
    else
        rc = strom_record_write_projected(&v->mem, &r->info, ps, r->changes, pj.header.data,
                                          pj.header.len, pj.body_len, err);
    uint64_t body = pos + front;
    bool copy = rc == 0 && pj.body_len <= STROM_LOG_SMALL_RECORD;
    for (int i = 0; copy && i < pj.nranges; i++)
        copy = strom_log_window_has(&w->win, sp->fd, body + pj.ranges[i].offset,
                                    pj.ranges[i].length);
    for (int i = 0; copy && rc == 0 && i < pj.nranges; i++)
        if (strom_buf_append(&v->mem, w->win.buf.data + (body + pj.ranges[i].offset - w->win.pos),
                             (size_t)pj.ranges[i].length) != 0)
            rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    if (rc == 0)
        rc = add_mem(v, at);
    for (int i = 0; !copy && rc == 0 && i < pj.nranges; i++)
        rc = add_part(v, SIZE_MAX, sp->fd, body + pj.ranges[i].offset, pj.ranges[i].length);
    strom_ipc_projection_free(&pj);
    return rc;
}

/* SOME of a record of the read schema, when the read needs a few of its columns: reads just
 * their buffers (the projection of the record's Arrow metadata onto w->need: one range per run
 * of adjacent buffers) into w->msg, checks each against its CRC in the record's statistics
 * and decodes them: *out has the columns w->need under w->need_s. 1: they are most of the
 * body; the caller reads the record whole instead. The window is left alone (the front's
 * change types point into it). */
static int read_needed(view_window *w, const strom_log_span *sp, uint64_t pos, uint32_t len,
                       const strom_record *r, uint64_t front, const strom_log_view_opts *o,
                       const strom_batch_stats *st, strom_batch **out, strom_error *err)
{
    strom_ipc_msg m;
    strom_ipc_projection pj;
    strom_ipc_batch_meta bm;
    STROM_TRY(project_front(r, front, o->schema, w->need, w->nneed, &pj, err));
    int rc = 0;
    /* most of the body, or no CRC of each buffer to check the few by: the whole record */
    if (pj.body_len * 2 > len - front || st->nbuffers == 0) {
        strom_ipc_projection_free(&pj);
        return 1;
    }
    strom_buf *msg = &w->msg;
    strom_buf_reset(msg);
    if (strom_buf_reserve(msg, pj.header.len + (size_t)pj.body_len) != 0)
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
    else
        rc = strom_buf_append(msg, pj.header.data, pj.header.len);
    uint64_t body = pos + front;
    for (int i = 0; rc == 0 && i < pj.nranges; i++) {
        uint64_t at = body + pj.ranges[i].offset, n = pj.ranges[i].length;
        if (strom_log_window_has(&w->win, sp->fd, at, n))
            memcpy(msg->data + msg->len, w->win.buf.data + (at - w->win.pos), (size_t)n);
        else if (pread(sp->fd, msg->data + msg->len, (size_t)n, (off_t)at) != (ssize_t)n)
            rc = strom_error_set(err, STROM_EIO, "read record at %llu", (unsigned long long)pos);
        msg->len += (size_t)n;
    }
    if (rc == 0 && (rc = strom_ipc_read_msg(msg->data, msg->len, &m, err)) > 0)
        rc = strom_error_set(err, STROM_ECORRUPT, "projected Arrow message truncated");
    if (rc == 0 && (rc = strom_ipc_parse_batch_meta(&m, w->need_s, &bm, err)) == 0) {
        if (bm.nbuffers != pj.nbuffers)
            rc = strom_error_set(err, STROM_ECORRUPT, "projection of %d buffers has %d",
                                 pj.nbuffers, bm.nbuffers);
        else
            rc = strom_record_check_buffers(&m, &bm, st->buffer_crc, st->nbuffers,
                                            pj.buffer_src, r->info.base_offset, err);
        strom_ipc_batch_meta_free(&bm);
    }
    if (rc == 0)
        rc = strom_ipc_decode_batch(&m, w->need_s, w->need_s, NULL, out, err);
    strom_ipc_projection_free(&pj);
    return rc;
}

/* SOME: filter the record's rows and re-encode the kept rows and columns. The rows come from
 * just the needed columns' buffers when they are a small part of a record of the read schema
 * (read_needed), else from the whole record, checked by its CRC. Either way they are checked
 * here: the client gets a new record, whose CRC covers what this wrote. */
static int emit_filtered(strom_log_view *v, view_window *w, const strom_log_span *sp,
                         uint64_t pos, uint32_t len, const strom_record *fr, uint64_t front,
                         const strom_log_view_opts *o, const strom_schema *rec_s,
                         const strom_schema *out_s, strom_error *err)
{
    strom_record r = *fr; /* the front's fields; its change types point into the window */
    strom_batch *b = NULL, *part = NULL, sparse;
    strom_col_view *views = NULL;
    int rc = 1;
    if (w->nneed && rec_s == o->schema &&
        (rc = read_needed(w, sp, pos, len, fr, front, o, &w->st, &part, err)) == 0) {
        /* a batch of the read schema's width whose needed columns are the ones read */
        int n = strom_schema_ncols(o->schema);
        if (!(views = calloc((size_t)n, sizeof *views))) {
            strom_batch_free(part);
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        }
        for (int k = 0; k < w->nneed; k++)
            views[w->need[k]] = part->cols[k];
        sparse = (strom_batch){o->schema, part->rows, n, views, NULL};
        b = &sparse;
    }
    if (rc < 0)
        return rc;
    if (!b) {
        strom_ipc_msg m;
        const uint8_t *rec = strom_log_window_get(&w->win, sp->fd, pos, len, sp->end - pos);
        if (!rec)
            return strom_error_set(err, STROM_EIO, "read record at %llu",
                                   (unsigned long long)pos);
        STROM_TRY(strom_record_parse(rec, len, &r, err));
        rc = strom_ipc_read_msg(r.arrow, r.arrow_len, &m, err);
        if (rc == 0)
            rc = strom_ipc_decode_batch(&m, rec_s, o->schema, NULL, &b, err);
        if (rc != 0)
            return rc > 0 ? strom_error_set(err, STROM_ECORRUPT, "truncated Arrow message")
                          : rc;
    }
    size_t nbytes = (size_t)(b->rows + 7) / 8;
    uint8_t *sel = malloc(nbytes ? nbytes : 1);
    uint8_t *changes = r.changes ? malloc((size_t)b->rows + 1) : NULL;
    int64_t nsel = 0;
    strom_buf arrow = STROM_BUF_INIT;
    strom_batch_stats st;
    if (!sel || (r.changes && !changes)) {
        rc = strom_error_set(err, STROM_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = strom_pred_eval_rows(o->pred, b, sel, &nsel, err)) != 0)
        goto done;
    if (nsel == 0) {
        v->records_skipped++;
        goto done;
    }
    int *all = NULL;
    const int *cols = o->cols;
    if (!cols) {
        all = malloc(sizeof(int) * (size_t)(b->ncols ? b->ncols : 1));
        for (int c = 0; all && c < b->ncols; c++)
            all[c] = c;
        cols = all;
    }
    rc = cols ? strom_batch_select(b, sel, cols, strom_schema_ncols(out_s), out_s, NULL, &arrow,
                                   &st, err)
              : strom_error_set(err, STROM_ENOMEM, "out of memory");
    free(all);
    if (rc != 0)
        goto done;
    int64_t k = 0;
    for (int64_t i = 0; changes && i < b->rows; i++)
        if (strom_bit_get(sel, i))
            changes[k++] = r.changes[i];
    strom_record_info info = r.info;
    info.record_count = (int32_t)nsel;
    info.schema_id = strom_schema_id(o->schema); /* re-encoded under the read schema */
    size_t at = v->mem.len;
    rc = strom_record_write(&v->mem, &info, &st, changes, arrow.data, arrow.len, err);
    strom_batch_stats_free(&st);
    if (rc == 0)
        rc = add_mem(v, at);
    v->records_filtered++;
    v->records_filtered_part += b == &sparse;
done:
    strom_buf_free(&arrow);
    free(changes);
    free(sel);
    if (b != &sparse)
        strom_batch_free(b);
    strom_batch_free(part);
    free(views);
    return rc;
}

/* Decides and emits the stored record at pos of the span (len bytes, verified). */
static int view_record(strom_log_view *v, const strom_log_span *sp, uint64_t pos, uint32_t len,
                       const strom_log_view_opts *o, const strom_schema *out_s, view_window *w,
                       size_t *guess, strom_error *err)
{
    strom_record r;
    uint64_t front = 0;
    STROM_TRY(read_front(w, sp->fd, pos, len, sp->end - pos, guess, &r, &front, err));
    /* A record of an older schema version (a prefix of the read schema: evolution only
     * appends nullable columns) is judged with its missing columns all null, projected to the
     * requested columns it has, and re-encoded under the read schema when filtered. */
    const strom_schema *rs = o->schema;
    strom_log_view_opts eff = *o;
    int *have = NULL;
    if (r.info.schema_id != strom_schema_id(o->schema)) {
        rs = o->schema_for ? o->schema_for(o->schema_ctx, r.info.schema_id) : NULL;
        if (!rs || strom_schema_ncols(rs) > strom_schema_ncols(o->schema))
            return strom_error_set(err, STROM_EUNSUPPORTED,
                                   "record at offset %lld has schema %u, which the read (schema "
                                   "%u) cannot resolve",
                                   (long long)r.info.base_offset, r.info.schema_id,
                                   strom_schema_id(o->schema));
        int n = strom_schema_ncols(rs), k = 0;
        have = malloc(sizeof(int) * (size_t)(o->cols ? o->ncols + 1 : n + 1));
        if (!have)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        for (int i = 0; i < (o->cols ? o->ncols : n); i++)
            if (!o->cols || o->cols[i] < n)
                have[k++] = o->cols ? o->cols[i] : i;
        eff.schema = rs;
        eff.cols = o->cols ? have : NULL;
        eff.ncols = o->cols ? k : 0;
    }
    strom_batch_stats *st = &w->st;
    int src = strom_record_stats_into(&r, st, &w->st_cols, &w->st_crcs, err);
    if (src == 0 && rs != o->schema &&
        (src = stats_widen(st, strom_schema_ncols(o->schema), &w->st_cols, &w->st_crcs)) != 0)
        src = strom_error_set(err, src, "out of memory");
    if (src != 0) {
        free(have);
        return src;
    }
    strom_pred_match match = o->pred ? strom_pred_eval_stats(o->pred, st) : STROM_MATCH_ALL;
    int rc = 0;
    v->bytes_stored += len;
    if (match == STROM_MATCH_NONE) {
        v->records_skipped++;
    } else if (match == STROM_MATCH_ALL && !eff.cols) {
        v->records_whole++;
        rc = add_part(v, SIZE_MAX, sp->fd, pos, len);
    } else if (match == STROM_MATCH_ALL) {
        v->records_whole++;
        rc = emit_projected(v, w, sp, pos, &r, front, st, &eff, err);
    } else {
        rc = emit_filtered(v, w, sp, pos, len, &r, front, o, rs, out_s, err);
    }
    free(have);
    return rc;
}

/* The most stored bytes one view reads through, however few of them it keeps (unless the
 * options say otherwise). */
#define VIEW_SCAN_MAX (64u << 20)

/* What a view was before a record was added to it, to take the record back. */
typedef struct view_mark {
    int nparts;
    uint64_t last_len; /* of the last part: a file range may have been extended */
    size_t mem_len;
    int64_t skipped, whole, filtered, filtered_part;
    uint64_t bytes_stored, bytes_out;
} view_mark;

static view_mark view_mark_take(const strom_log_view *v)
{
    return (view_mark){v->nparts, v->nparts ? v->parts[v->nparts - 1].len : 0, v->mem.len,
                       v->records_skipped, v->records_whole, v->records_filtered,
                       v->records_filtered_part, v->bytes_stored, v->bytes_out};
}

static void view_mark_restore(strom_log_view *v, const view_mark *m)
{
    v->nparts = m->nparts;
    if (m->nparts)
        v->parts[m->nparts - 1].len = m->last_len;
    v->mem.len = m->mem_len;
    v->records_skipped = m->skipped;
    v->records_whole = m->whole;
    v->records_filtered = m->filtered;
    v->records_filtered_part = m->filtered_part;
    v->bytes_stored = m->bytes_stored;
    v->bytes_out = m->bytes_out;
}

/* Keeps the span's segment open for the view's file parts (takes over its reference). */
static int view_hold(strom_log_view *v, const strom_log_span *sp)
{
    strom_log_slice *h = &v->held;
    if (strom_array_grow(&h->ranges, h->n, &h->cap, sizeof *h->ranges, 4) != 0) {
        strom_seg_unref(sp->seg);
        return STROM_ENOMEM;
    }
    h->ranges[h->n++] = (strom_log_range){sp->fd, sp->pos, 0, 0, 0, 0, 0, sp->seg};
    return 0;
}

/* A plain read (no columns, no predicate): strom_log_read's ranges, sent as stored (records of
 * older schemas too; no front is read). Returns 1, with nothing taken, when a record is of a
 * schema newer than the read's (altered meanwhile): the walk then refuses it by name. */
static int view_plain(strom_log *l, int64_t offset, size_t max_bytes,
                      const strom_log_view_opts *o, strom_log_view *out, strom_error *err)
{
    strom_log_slice sl;
    STROM_TRY(strom_log_read(l, offset, max_bytes, &sl, err));
    for (int i = 0; i < sl.n; i++)
        if (sl.ranges[i].max_schema_id > strom_schema_id(o->schema)) {
            strom_log_slice_release(&sl);
            return 1;
        }
    for (int i = 0; i < sl.n; i++) {
        const strom_log_range *rg = &sl.ranges[i];
        if (add_part(out, SIZE_MAX, rg->fd, rg->pos, rg->len) != 0) {
            strom_log_slice_release(&sl);
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        }
        out->records_whole += rg->nrecords;
        out->bytes_stored += rg->len;
    }
    out->held = sl; /* the view's file parts point into these segments */
    out->next_offset = sl.n ? sl.next_offset : offset;
    return 0;
}

/* The columns a filtered read of some columns needs (w->need, w->need_s): the projection's
 * and the predicate's. None when that is every column (records are read whole). */
static int need_columns(const strom_log_view_opts *o, view_window *w)
{
    int n = strom_schema_ncols(o->schema);
    uint8_t *flags = calloc((size_t)n, 1);
    if (!flags)
        return STROM_ENOMEM;
    strom_pred_columns(o->pred, flags, n);
    for (int i = 0; i < o->ncols; i++)
        flags[o->cols[i]] = 1;
    int k = 0;
    for (int c = 0; c < n; c++)
        k += flags[c];
    int rc = 0;
    if (k < n && !(w->need = malloc(sizeof *w->need * (size_t)k)))
        rc = STROM_ENOMEM;
    for (int c = 0; rc == 0 && k < n && c < n; c++)
        if (flags[c])
            w->need[w->nneed++] = c;
    if (rc == 0 && w->nneed &&
        !(w->need_s = strom_schema_project(o->schema, w->need, w->nneed)))
        rc = STROM_ENOMEM;
    free(flags);
    if (rc != 0) {
        free(w->need);
        w->need = NULL;
        w->nneed = 0;
    }
    return rc;
}

/* Walks the stored records from `offset` on, segment by segment, each read once: its front
 * (a small one with its neighbours, through the window) tells its length, offsets and
 * statistics, then it is skipped, sent or filtered. Stops at the high watermark, when the
 * view is full (a record that would overfill it is taken back), or after scan_max stored
 * bytes. The log's mutex is held only to find each segment's span. */
static int view_walk(strom_log *l, int64_t offset, size_t max_bytes, uint64_t scan_max,
                     const strom_log_view_opts *o, const strom_schema *out_s,
                     strom_log_view *out, strom_error *err)
{
    view_window w = {.win = STROM_LOG_WINDOW_INIT};
    if (o->cols && o->pred && need_columns(o, &w) != 0)
        return strom_error_set(err, STROM_ENOMEM, "out of memory");
    strom_buf vbuf = STROM_BUF_INIT; /* whole records checked once after open */
    size_t guess = FRONT_GUESS;
    uint64_t scanned = 0;
    strom_log_span sp;
    int rc = strom_log_span_at(l, offset, &sp, err);
    if (rc == 0 && sp.seg && (rc = view_hold(out, &sp)) != 0)
        rc = strom_error_set(err, rc, "out of memory");
    uint64_t pos = sp.pos;
    bool any = false; /* a record was walked: a later failure ends the view before it */
    while (rc == 0 && sp.seg && scanned < scan_max) {
        if (pos + STROM_RECORD_HEADER > sp.end) { /* the rest is in a later segment, or the
                                                     active one has grown meanwhile */
            strom_log_span nx;
            if ((rc = strom_log_span_at(l, out->next_offset, &nx, err)) != 0 || !nx.seg)
                break;
            if (nx.seg == sp.seg) {
                strom_seg_unref(nx.seg);
                if (nx.end <= sp.end)
                    break;
                sp.end = nx.end;
                sp.hw = nx.hw;
                sp.verified = nx.verified;
                continue;
            }
            if ((rc = view_hold(out, &nx)) != 0) {
                rc = strom_error_set(err, rc, "out of memory");
                break;
            }
            sp = nx;
            pos = sp.pos;
            continue;
        }
        /* the header through the window, with as much of the record as read_front wants */
        strom_log_head h;
        if ((rc = strom_log_window_head(&w.win, sp.seg, pos, sp.end, guess, &h, err)) != 0)
            break;
        int64_t base = h.base, last = h.last;
        uint32_t len = h.len;
        if (base >= sp.hw)
            break;
        if (last < offset) { /* before the offset asked for: from the index entry on */
            pos += len;
            continue;
        }
        if ((rc = strom_log_span_verify(l, &sp, pos, len, base, &vbuf, err)) != 0)
            break;
        view_mark mk = view_mark_take(out);
        if ((rc = view_record(out, &sp, pos, len, o, out_s, &w, &guess, err)) != 0) {
            view_mark_restore(out, &mk); /* whatever of it was added */
            break;
        }
        if (out->bytes_out > max_bytes && mk.bytes_out > 0) {
            view_mark_restore(out, &mk); /* no room for it: the view ends before it */
            break;
        }
        any = true;
        out->next_offset = last + 1;
        scanned += len;
        pos += len;
    }
    if (rc != 0 && any && rc != STROM_ENOMEM) {
        if (err) /* serve what was read; the next Fetch reports the error */
            strom_error_clear(err);
        rc = 0;
    }
    strom_buf_free(&vbuf);
    strom_buf_free(&w.win.buf);
    strom_buf_free(&w.msg);
    free(w.need);
    strom_schema_free(w.need_s);
    strom_batch_stats_free(&w.st);
    strom_batch_stats_free(&w.ps);
    return rc;
}

int strom_log_read_view(strom_log *l, int64_t offset, size_t max_bytes,
                        const strom_log_view_opts *o, strom_log_view *out, strom_error *err)
{
    memset(out, 0, sizeof *out);
    out->next_offset = offset;
    for (int i = 0; o->cols && i < o->ncols; i++)
        if (o->cols[i] < 0 || o->cols[i] >= strom_schema_ncols(o->schema))
            return strom_error_set(err, STROM_ERANGE, "view: column %d of %d", o->cols[i],
                                   strom_schema_ncols(o->schema));
    int rc = 1;
    if (!o->cols && !o->pred && (rc = view_plain(l, offset, max_bytes, o, out, err)) <= 0) {
        if (rc != 0)
            strom_log_view_release(out);
        return rc;
    }
    strom_schema *out_s = o->cols ? strom_schema_project(o->schema, o->cols, o->ncols)
                                  : strom_schema_copy(o->schema, strom_schema_id(o->schema));
    if (!out_s)
        return strom_error_set(err, STROM_EINVAL, "view: cannot project the schema");
    /* max_bytes bounds the view's bytes, not the stored ones: a projection or filter keeps
     * walking (up to scan_max stored bytes, at least as much as a plain read) so that one
     * Fetch carries as much as the reader asked for; only the first record may exceed
     * max_bytes, as in a plain read. A record filtered row by row and then taken back was
     * decoded for nothing: once per view at most, and the next Fetch starts with it. */
    uint64_t scan_max = o->scan_max ? o->scan_max : VIEW_SCAN_MAX;
    if (scan_max < max_bytes)
        scan_max = max_bytes;
    rc = view_walk(l, offset, max_bytes, scan_max, o, out_s, out, err);
    strom_schema_free(out_s);
    if (rc != 0)
        strom_log_view_release(out);
    return rc;
}

int strom_log_view_copy(const strom_log_view *v, strom_buf *out, strom_error *err)
{
    for (int i = 0; i < v->nparts; i++) {
        const strom_log_part *p = &v->parts[i];
        if (p->mem_off != SIZE_MAX) {
            if (strom_buf_append(out, v->mem.data + p->mem_off, (size_t)p->len) != 0)
                return strom_error_set(err, STROM_ENOMEM, "out of memory");
            continue;
        }
        if (strom_buf_reserve(out, (size_t)p->len) != 0)
            return strom_error_set(err, STROM_ENOMEM, "out of memory");
        if (pread(p->fd, out->data + out->len, (size_t)p->len, (off_t)p->pos) !=
            (ssize_t)p->len)
            return strom_error_set(err, STROM_EIO, "view: read of a file part failed");
        out->len += (size_t)p->len;
    }
    return 0;
}

