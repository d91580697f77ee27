/* The whole BGZF scan of one range of a VCF in one thread: read compressed blocks (pread),
 * inflate each (libdeflate, through a function pointer handed over by Python), and find and
 * decode the candidate lines while the block's text is still in the CPU cache. Two threads
 * scan two halves of the file at once (genorx/prs/vcfscan_c.py splits it at block starts).
 *
 * Line ownership between ranges: the worker of range [S_w, S_w+1) (text offsets of its first
 * blocks) starts after the first newline at or after S_w (worker 0: at the start) and stops
 * after consuming the first newline at or after S_w+1, so every line is scanned exactly once.
 * Included by scan_kernels.c (one shared library); the line kernels are its statics.
 */
#include <stdlib.h>
#include <unistd.h>

typedef int (*inflate_fn)(void *, const void *, size_t, void *, size_t, size_t *);

typedef struct {
    u8 *packed;
    int32_t *counts;
    i64 *n_exc;
    int8_t *status;
    uint16_t *ds;
    int32_t *exc_sample;
    u8 *exc_code;
    u8 *text;
    i64 n_cand, cap_cand, n_exc_total, cap_exc, text_len, cap_text, lines;
    i64 error; /* 0 ok, -1 corrupt BGZF, -2 inflate failed, -3 out of memory, -4 read error */
    i64 error_offset;
} ScanOut;

typedef struct {
    int fd;
    i64 file_size, c_end;
    u8 *cbuf;
    i64 ccap, cpos, clen, cused; /* cbuf[0] is file offset cpos; next block at cbuf[cused] */
    u8 *tb;
    i64 tcap, tlen, tpos, tbase; /* tb[0] is text offset tbase of this worker's stream */
    i64 own_end;                 /* text offset S_w+1, -1 until reached */
    inflate_fn inflate;
    void *decomp;
} Stream;

static int grow(void **p, i64 cap, i64 item) {
    void *q = realloc(*p, (size_t)(cap * item));
    if (!q)
        return -3;
    *p = q;
    return 0;
}

static i64 new_cap(i64 cap, i64 need) {
    i64 c = cap + cap / 2 + 1024;
    return c < need ? need : c;
}

/* Inflate the next block onto the text buffer: 1, or 0 at the end of the file, or an error. */
static int next_block(Stream *s) {
    if (s->own_end < 0 && s->cpos + s->cused >= s->c_end)
        s->own_end = s->tbase + s->tlen;
    i64 at = s->cpos + s->cused;
    if (at >= s->file_size)
        return 0;
    for (int pass = 0; pass < 2; pass++) {
        const u8 *b = s->cbuf + s->cused;
        i64 have = s->clen - s->cused;
        if (have >= 18 && b[0] == 31 && b[1] == 139 && b[2] == 8 && (b[3] & 4)) {
            i64 xlen = b[10] | ((i64)b[11] << 8), p = 12, bsize = -1;
            while (p + 4 <= 12 + xlen && p + 6 <= have) {
                i64 slen = b[p + 2] | ((i64)b[p + 3] << 8);
                if (b[p] == 66 && b[p + 1] == 67 && slen == 2)
                    bsize = b[p + 4] | ((i64)b[p + 5] << 8);
                p += 4 + slen;
            }
            if (bsize >= 0 && bsize + 1 <= have) {
                i64 total = bsize + 1, data = 12 + xlen;
                i64 isize = (i64)b[total - 4] | ((i64)b[total - 3] << 8) | ((i64)b[total - 2] << 16) |
                            ((i64)b[total - 1] << 24);
                if (isize > 65536 || total - data - 8 < 0)
                    return -1;
                if (s->tlen + isize + 1 > s->tcap) {
                    memmove(s->tb, s->tb + s->tpos, (size_t)(s->tlen - s->tpos));
                    s->tbase += s->tpos;
                    s->tlen -= s->tpos;
                    s->tpos = 0;
                    if (s->tlen + isize + 1 > s->tcap) {
                        i64 c = 2 * (s->tlen + isize + 1);
                        u8 *q = realloc(s->tb, (size_t)(c + 64));
                        if (!q)
                            return -3;
                        s->tb = q;
                        s->tcap = c;
                    }
                }
                if (s->inflate(s->decomp, b + data, (size_t)(total - data - 8), s->tb + s->tlen, (size_t)isize,
                               NULL) != 0)
                    return -2;
                s->tlen += isize;
                s->cused += total;
                return 1;
            }
        }
        if (pass == 1 || have >= s->ccap)
            return -1;
        /* refill from the next block's offset */
        s->cpos = at;
        s->cused = 0;
        s->clen = 0;
        while (s->clen < s->ccap && s->cpos + s->clen < s->file_size) {
            ssize_t got = pread(s->fd, s->cbuf + s->clen, (size_t)(s->ccap - s->clen), s->cpos + s->clen);
            if (got < 0)
                return -4;
            if (got == 0)
                break;
            s->clen += got;
        }
    }
    return -1;
}

static int add_candidate(ScanOut *o, const u8 *buf, i64 i, i64 e, i64 n_samples, i64 width, int want_ds,
                         u8 *row, const i64 *counts_table) {
    i64 r = o->n_cand;
    if (r + 1 > o->cap_cand) {
        i64 c = new_cap(o->cap_cand, r + 1);
        if (grow((void **)&o->packed, c, width) || grow((void **)&o->counts, c, 4 * (N_ALLELES + 1)) ||
            grow((void **)&o->n_exc, c, 8) || grow((void **)&o->status, c, 1) ||
            (want_ds && grow((void **)&o->ds, c, 2 * n_samples)))
            return -3;
        o->cap_cand = c;
    }
    i64 a, b, tmp;
    field(buf, i, e, 0, &a, &tmp);
    field(buf, i, e, 4, &tmp, &b);
    if (o->text_len + (b - a) + 1 > o->cap_text) {
        i64 c = new_cap(o->cap_text, o->text_len + (b - a) + 1);
        if (grow((void **)&o->text, c, 1))
            return -3;
        o->cap_text = c;
    }
    uint16_t dummy = 0;
    uint16_t *ds_row = want_ds ? o->ds + r * n_samples : &dummy;
    o->status[r] = (int8_t)decode_one(buf, i, e, n_samples, row, ds_row, want_ds, o->text, o->text_len);
    o->text_len += (b - a) + 1;
    if (o->n_exc_total + n_samples > o->cap_exc) { /* room for every call of the row */
        i64 c = new_cap(o->cap_exc, o->n_exc_total + n_samples);
        if (grow((void **)&o->exc_sample, c, 4) || grow((void **)&o->exc_code, c, 1))
            return -3;
        o->cap_exc = c;
    }
    i64 x = o->n_exc_total;
    i64 ne = row_stats(row, n_samples, o->counts + r * (N_ALLELES + 1), counts_table, o->exc_sample + x,
                       o->exc_code + x);
    o->n_exc[r] = ne;
    pack_row(row, n_samples, o->packed + r * width);
    x += ne;
    o->n_exc_total = x;
    o->n_cand = r + 1;
    return 0;
}

/* Scan the blocks starting at compressed offsets [c_start, c_end) (block starts) of the BGZF
 * file fd; see the ownership rule above. Returns out->error. */
i64 scan_range(int fd, i64 c_start, i64 c_end, i64 file_size, int first, int last, void *inflate,
               void *decomp, const i64 *keys, i64 nkeys, i64 n_samples, int want_ds,
               const i64 *counts_table, ScanOut *out) {
    memset(out, 0, sizeof *out);
    Stream s = {fd, file_size, last ? file_size + 1 : c_end, NULL, (4 << 20) + 65536, c_start, 0, 0,
                NULL, 4 << 20, 0, 0, 0, -1, (inflate_fn)inflate, decomp};
    i64 width = (n_samples + 3) / 4;
    s.cbuf = malloc((size_t)s.ccap);
    s.tb = malloc((size_t)s.tcap + 64);
    u8 *row = malloc((size_t)n_samples + 64);
    int rc = 0;
    if (!s.cbuf || !s.tb || !row) {
        rc = -3;
        goto done;
    }
    if (!first) { /* skip to just after the first newline */
        for (;;) {
            const u8 *p = memchr(s.tb + s.tpos, NL, (size_t)(s.tlen - s.tpos));
            if (p) {
                s.tpos = (p - s.tb) + 1;
                break;
            }
            s.tpos = s.tlen;
            rc = next_block(&s);
            if (rc <= 0)
                goto done;
        }
        if (s.own_end >= 0 && s.tbase + s.tpos - 1 >= s.own_end)
            goto done; /* that newline is the next range's: no line starts in this one */
    }
    for (;;) {
        const u8 *p = memchr(s.tb + s.tpos, NL, (size_t)(s.tlen - s.tpos));
        if (!p) {
            rc = next_block(&s);
            if (rc < 0)
                goto done;
            if (rc == 1)
                continue;
            if (s.tpos >= s.tlen)
                break;
            p = s.tb + s.tlen; /* the last line has no newline: it ends at the end of the file */
            s.tb[s.tlen] = 0;
        }
        i64 i = s.tpos, e = p - s.tb;
        if (s.tb[i] != 35 && e > i) {
            out->lines++;
            i64 key = site_key(s.tb, i, e);
            if (key >= 0 && contains(keys, nkeys, key)) {
                rc = add_candidate(out, s.tb, i, e, n_samples, width, want_ds, row, counts_table);
                if (rc < 0)
                    goto done;
            }
        }
        s.tpos = e + 1;
        if (e >= s.tlen || (s.own_end >= 0 && s.tbase + e >= s.own_end))
            break;
    }
    rc = 0;
done:
    out->error = rc < 0 ? rc : 0;
    out->error_offset = s.cpos + s.cused;
    free(s.cbuf);
    free(s.tb);
    free(row);
    return out->error;
}

void scan_free(ScanOut *o) {
    free(o->packed);
    free(o->counts);
    free(o->n_exc);
    free(o->status);
    free(o->ds);
    free(o->exc_sample);
    free(o->exc_code);
    free(o->text);
    memset(o, 0, sizeof *o);
}
