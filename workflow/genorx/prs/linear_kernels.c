/* The linear scoring kernel's loops over two-bit rows (kernel_linear.py): unpack to float64
 * for BLAS, or sums for few scores without a float64 matrix. Included by scan_kernels.c. */

/* Two-bit rows (gtcodes.unpack) as float64 values 0..3: rows x n_samples into out. */
void unpack_f64(const u8 *packed, i64 rows, i64 width, i64 n_samples, double *restrict out) {
    for (i64 r = 0; r < rows; r++) {
        const u8 *p = packed + r * width;
        double *o = out + r * n_samples;
        i64 full = n_samples / 4;
        for (i64 q = 0; q < full; q++) {
            u8 b = p[q];
            o[4 * q] = (double)(b & 3);
            o[4 * q + 1] = (double)((b >> 2) & 3);
            o[4 * q + 2] = (double)((b >> 4) & 3);
            o[4 * q + 3] = (double)(b >> 6);
        }
        for (i64 k = full * 4; k < n_samples; k++)
            o[k] = (double)((p[full] >> (2 * (k - full * 4))) & 3);
    }
}

/* sums[s, k] += beta[r, s] * x[r, k] over rows r of two-bit codes x (0..3): the linear
 * kernel's product for few scores without a float64 matrix (kernel_linear.py). Per row and
 * score, a table of the two values of each nibble (two samples) makes a packed byte two
 * 2-wide adds. */
void linear_sums(const u8 *packed, i64 rows, i64 width, i64 n, const double *beta, i64 n_scores,
                 double *restrict sums) {
    i64 full = n / 4;
    double table[16][2] __attribute__((aligned(16)));
    for (i64 r = 0; r < rows; r++) {
        const u8 *p = packed + r * width;
        for (i64 s = 0; s < n_scores; s++) {
            double b = beta[r * n_scores + s];
            if (b == 0.0)
                continue;
            const double lut[4] = {0.0, b, 2.0 * b, 3.0 * b};
            for (int v = 0; v < 16; v++) {
                table[v][0] = lut[v & 3];
                table[v][1] = lut[v >> 2];
            }
            double *acc = sums + s * n;
            for (i64 q = 0; q < full; q++) {
                const double *lo = table[p[q] & 15], *hi = table[p[q] >> 4];
                acc[4 * q] += lo[0];
                acc[4 * q + 1] += lo[1];
                acc[4 * q + 2] += hi[0];
                acc[4 * q + 3] += hi[1];
            }
            for (i64 k = full * 4; k < n; k++)
                acc[k] += lut[(p[full] >> (2 * (k - full * 4))) & 3];
        }
    }
}

/* sums[s, sample[i]] += beta[row[i], s] * delta[i]: the exceptions' corrections. */
void scatter_sums(const i64 *row, const i64 *sample, const double *delta, i64 m, const double *beta,
                  i64 n_scores, i64 n, double *restrict sums) {
    for (i64 i = 0; i < m; i++)
        for (i64 s = 0; s < n_scores; s++)
            sums[s * n + sample[i]] += beta[row[i] * n_scores + s] * delta[i];
}
