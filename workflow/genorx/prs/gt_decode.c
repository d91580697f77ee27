/* Genotype decoding of one VCF line (gtdecode.py's twins): fields, GT codes, DS values, the
 * fixed-width layout, per-row allele counts and exception search, two-bit packing.
 * Included by scan_kernels.c (its definitions and types). */
static void field(const u8 *buf, i64 i, i64 e, int k, i64 *fa, i64 *fb) {
    int f = 0;
    i64 a = i;
    while (f < k && a < e) {
        if (buf[a] == TAB)
            f++;
        a++;
    }
    i64 b = a;
    while (b < e && buf[b] != TAB)
        b++;
    *fa = a;
    *fb = b;
}

static int format_index(const u8 *buf, i64 a, i64 b, int c0, int c1) {
    int idx = 0;
    i64 s = a;
    for (i64 j = a; j <= b; j++) {
        if (j == b || buf[j] == COLON) {
            if (j - s == 2 && buf[s] == c0 && buf[s + 1] == c1)
                return idx;
            idx++;
            s = j + 1;
        }
    }
    return -1;
}

static i64 allele(const u8 *buf, i64 j, i64 e, i64 *next) {
    if (j >= e || buf[j] == 46) {
        *next = j + 1 < e ? j + 1 : e;
        return -1;
    }
    i64 v = 0, nd = 0;
    while (j < e && buf[j] >= 48 && buf[j] <= 57) {
        v = v * 10 + (buf[j] - 48);
        j++;
        nd++;
    }
    *next = j;
    if (nd == 0)
        return -1;
    return v <= MAX_ALLELE ? v : -2;
}

static int gt_code(const u8 *buf, i64 j, i64 e, i64 *next) {
    i64 a0 = allele(buf, j, e, &j);
    if (j < e && (buf[j] == 47 || buf[j] == 124)) {
        i64 a1 = allele(buf, j + 1, e, &j);
        if (j < e && (buf[j] == 47 || buf[j] == 124)) {
            while (j < e && buf[j] != TAB && buf[j] != COLON)
                j++;
            *next = j;
            return MISSING;
        }
        *next = j;
        if (a0 < 0 || a1 < 0)
            return MISSING;
        i64 lo = a0 < a1 ? a0 : a1, hi = a0 < a1 ? a1 : a0;
        return (int)(hi * (hi + 1) / 2 + lo);
    }
    *next = j;
    if (a0 == -1)
        return MISSING_HAPLOID;
    if (a0 < 0)
        return MISSING;
    return (int)(HAPLOID_BASE + a0);
}

static double pow10i(int k) {
    static const double exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    return k <= 22 ? exact[k] : pow(10.0, k);
}

static i64 ds_value(const u8 *buf, i64 j, i64 e, i64 *next) {
    i64 start = j, mant = 0;
    int nd = 0, scale = 0, seen_dot = 0;
    while (j < e && ((buf[j] >= 48 && buf[j] <= 57) || buf[j] == 46)) {
        if (buf[j] == 46) {
            if (seen_dot) {
                *next = j;
                return -1;
            }
            seen_dot = 1;
        } else if (nd < 18) {
            mant = mant * 10 + (buf[j] - 48);
            nd++;
            if (seen_dot)
                scale++;
        } else if (!seen_dot) {
            scale--;
        }
        j++;
    }
    if (j < e && (buf[j] == 101 || buf[j] == 69)) {
        j++;
        int neg = 0;
        if (j < e && (buf[j] == 45 || buf[j] == 43)) {
            neg = buf[j] == 45;
            j++;
        }
        i64 ex = 0;
        while (j < e && buf[j] >= 48 && buf[j] <= 57) {
            ex = ex * 10 + (buf[j] - 48);
            j++;
        }
        scale += neg ? (int)ex : -(int)ex;
    }
    i64 end = j;
    while (j < e && buf[j] != TAB && buf[j] != COLON)
        j++;
    *next = j;
    if (end == start + 1 && buf[start] == 46 && j == end)
        return DS_NONE;
    if (j != end)
        return buf[end] == 44 ? DS_NONE : -1;
    if (nd == 0)
        return -1;
    double x = (double)mant;
    if (scale > 0)
        x = x / pow10i(scale);
    else if (scale < 0)
        x = x * pow10i(-scale);
    if (x > 2.0)
        return -1;
    return (i64)floor(x * DS_SCALE + 0.5);
}

static inline uint32_t fixed_one(uint32_t w, u8 *out) {
    uint32_t c0 = w & 0xFF, s = (w >> 8) & 0xFF, c2 = (w >> 16) & 0xFF;
    uint32_t d0 = c0 - 48, d2 = c2 - 48;
    uint32_t m0 = c0 == 46, m2 = c2 == 46;
    uint32_t lo = d0 < d2 ? d0 : d2, hi = d0 < d2 ? d2 : d0;
    uint32_t code = ((hi * (hi + 1)) >> 1) + lo;
    *out = (u8)(code | (0u - (m0 | m2)));
    return ((uint32_t)(d0 > 9) & (1u - m0)) | ((uint32_t)(d2 > 9) & (1u - m2)) |
           ((uint32_t)(s != 47) & (uint32_t)(s != 124));
}

/* Every sample `d/d` or `d|d` + tab: one 32-bit load per sample, branch-free (vectorised). */
static int fixed_width(const u8 *buf, i64 j, i64 n_samples, u8 *restrict row) {
    const u8 *p = buf + j;
    uint32_t bad = 0;
    for (i64 k = 0; k < n_samples - 1; k++) {
        uint32_t w;
        memcpy(&w, p + 4 * k, 4);
        bad |= fixed_one(w, row + k) | (uint32_t)((w >> 24) != TAB);
    }
    uint32_t w;
    memcpy(&w, p + 4 * (n_samples - 1), 4);
    bad |= fixed_one(w, row + n_samples - 1);
    return bad == 0;
}

static int decode_one(const u8 *buf, i64 s, i64 e, i64 n_samples, u8 *row, uint16_t *ds_row,
                      int want_ds, u8 *text, i64 o) {
    i64 a, b, tmp, fa, fb;
    field(buf, s, e, 0, &a, &tmp);
    field(buf, s, e, 4, &tmp, &b);
    for (i64 j = a; j < b; j++)
        text[o++] = buf[j];
    text[o] = NL;
    field(buf, s, e, 8, &fa, &fb);
    int gt = fb > fa ? format_index(buf, fa, fb, 71, 84) : -1;
    int ds = want_ds && fb > fa ? format_index(buf, fa, fb, 68, 83) : -1;
    if (want_ds)
        for (i64 k = 0; k < n_samples; k++)
            ds_row[k] = DS_NONE;
    if (gt < 0 && ds < 0) {
        memset(row, MISSING, (size_t)n_samples);
        return 1;
    }
    i64 j = fb + 1;
    if (ds < 0 && gt == 0 && fb - fa == 2 && e - j == 4 * n_samples - 1)
        if (fixed_width(buf, j, n_samples, row))
            return 0;
    int status = 0;
    for (i64 k = 0; k < n_samples; k++) {
        if (j >= e) {
            memset(row + k, MISSING, (size_t)(n_samples - k));
            return 2;
        }
        int f = 0;
        int code = gt < 0 ? MISSING : -1;
        while (j < e && buf[j] != TAB) {
            if (f == gt) {
                code = gt_code(buf, j, e, &j);
            } else if (f == ds) {
                i64 v = ds_value(buf, j, e, &j);
                if (v < 0) {
                    status = 3;
                    v = DS_NONE;
                }
                ds_row[k] = (uint16_t)v;
            }
            while (j < e && buf[j] != TAB && buf[j] != COLON)
                j++;
            if (j < e && buf[j] == COLON) {
                j++;
                f++;
            }
        }
        row[k] = (u8)(code < 0 ? MISSING : code);
        if (want_ds && row[k] >= HAPLOID_BASE && row[k] < MISSING_HAPLOID)
            ds_row[k] = DS_NONE;
        j++;
    }
    return status;
}

#ifdef __AVX2__
#include <immintrin.h>
#endif

/* The first k' >= k with row[k'] > PLAIN_MAX (n when none): 32 or 8 bytes at a time. */
static inline i64 next_exception(const u8 *row, i64 k, i64 n) {
#ifdef __AVX2__
    const __m256i three = _mm256_set1_epi8(3);
    while (k + 32 <= n) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(row + k));
        uint32_t m = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_max_epu8(v, three), v));
        if (m)
            return k + __builtin_ctz(m);
        k += 32;
    }
#endif
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7FULL, high = 0x8080808080808080ULL;
    const uint64_t add = 0x7D7D7D7D7D7D7D7DULL; /* a byte of 3..127 + 0x7D sets its high bit */
    while (k + 8 <= n) {
        uint64_t w;
        memcpy(&w, row + k, 8);
        if ((((w & low7) + add) | w) & high)
            break;
        k += 8;
    }
    while (k < n && row[k] <= PLAIN_MAX)
        k++;
    return k;
}

/* How many codes of row are 0, 1 and 2. */
static inline void count012(const u8 *row, i64 n, i64 *c0, i64 *c1, i64 *c2) {
    i64 n0 = 0, n1 = 0, n2 = 0, k = 0;
#ifdef __AVX2__
    const __m256i z = _mm256_setzero_si256(), one = _mm256_set1_epi8(1), two = _mm256_set1_epi8(2);
    __m256i t0 = z, t1 = z, t2 = z;
    while (k + 32 <= n) {
        __m256i a0 = z, a1 = z, a2 = z;
        for (int it = 0; it < 255 && k + 32 <= n; it++, k += 32) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(row + k));
            a0 = _mm256_sub_epi8(a0, _mm256_cmpeq_epi8(v, z));
            a1 = _mm256_sub_epi8(a1, _mm256_cmpeq_epi8(v, one));
            a2 = _mm256_sub_epi8(a2, _mm256_cmpeq_epi8(v, two));
        }
        t0 = _mm256_add_epi64(t0, _mm256_sad_epu8(a0, z));
        t1 = _mm256_add_epi64(t1, _mm256_sad_epu8(a1, z));
        t2 = _mm256_add_epi64(t2, _mm256_sad_epu8(a2, z));
    }
    int64_t l[4];
    _mm256_storeu_si256((__m256i *)l, t0);
    n0 = l[0] + l[1] + l[2] + l[3];
    _mm256_storeu_si256((__m256i *)l, t1);
    n1 = l[0] + l[1] + l[2] + l[3];
    _mm256_storeu_si256((__m256i *)l, t2);
    n2 = l[0] + l[1] + l[2] + l[3];
#endif
    for (; k < n; k++) {
        n0 += row[k] == 0;
        n1 += row[k] == 1;
        n2 += row[k] == 2;
    }
    *c0 = n0;
    *c1 = n1;
    *c2 = n2;
}

/* gtdecode._row_stats: copies of each allele over the observed calls into counts[:N_ALLELES],
 * their ploidy into counts[N_ALLELES]; returns the number of calls above PLAIN_MAX. The plain
 * codes (0/0, 0/1, 1/1) are counted by a vectorised pass, the others through counts_table
 * (int64 [N_ALLELES, 256], gtcodes.ALLELE_COUNT). Integer sums: order does not matter. */
static i64 row_stats(const u8 *restrict row, i64 n, int32_t *counts, const i64 *counts_table,
                     int32_t *exc_sample, u8 *exc_code) {
    i64 n0, n1, n2;
    count012(row, n, &n0, &n1, &n2);
    for (int a = 0; a <= N_ALLELES; a++)
        counts[a] = 0;
    i64 plain = n0 + n1 + n2;
    counts[0] = (int32_t)(2 * n0 + n1);
    counts[1] = (int32_t)(n1 + 2 * n2);
    counts[N_ALLELES] = (int32_t)(2 * plain);
    if (plain < n)
        for (i64 k = next_exception(row, 0, n), x = 0; k < n; k = next_exception(row, k + 1, n), x++) {
            u8 c = row[k];
            if (exc_sample) { /* the exception list, when asked for (room for n entries) */
                exc_sample[x] = (int32_t)k;
                exc_code[x] = c;
            }
            for (int a = 0; a < N_ALLELES; a++) {
                i64 m = counts_table[a * 256 + c];
                counts[a] += (int32_t)m;
                counts[N_ALLELES] += (int32_t)m;
            }
        }
    return n - plain;
}

/* gtdecode.pack_codes for one row: two bits per call, a plain code as is, anything else 3. */
static void pack_row(const u8 *restrict row, i64 n, u8 *restrict out) {
    i64 full = n / 4;
    for (i64 q = 0; q < full; q++) {
        const u8 *c = row + 4 * q;
        u8 a = c[0] < 3 ? c[0] : 3, b = c[1] < 3 ? c[1] : 3;
        u8 d = c[2] < 3 ? c[2] : 3, e = c[3] < 3 ? c[3] : 3;
        out[q] = (u8)(a | (b << 2) | (d << 4) | (e << 6));
    }
    if (full * 4 < n) {
        int v = 0;
        for (i64 k = full * 4; k < n; k++)
            v |= (row[k] <= PLAIN_MAX ? row[k] : 3) << (2 * (k - full * 4));
        out[full] = (u8)v;
    }
}

