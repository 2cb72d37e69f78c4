/* STREAM-like triad a[i] = b[i] + s*c[i] over three double arrays far larger than the caches, the
 * machine's sustainable memory bandwidth in the same units as bench/kernel-profile.mjs counts a
 * kernel's traffic (bytes read + bytes written, no write-allocate): 24 bytes per element.
 * Compiled on the fly by training-step-backends.mjs (cc -O2 -fopenmp); threads = OMP_NUM_THREADS.
 * The arrays are touched once before timing (page faults are expensive in this VM), each thread
 * first-touching the part it later streams. Prints one JSON line with the best and median of `reps`.
 *
 *   cc -O2 -fopenmp triad.c -o triad && OMP_NUM_THREADS=2 ./triad [elements 16777216] [reps 10]
 */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 16777216L;
  int reps = argc > 2 ? atoi(argv[2]) : 10;
  if (n < 1024 || reps < 1) {
    fprintf(stderr, "triad: need elements >= 1024 and reps >= 1, got %ld %d\n", n, reps);
    return 2;
  }
  double *a = malloc(n * sizeof(double)), *b = malloc(n * sizeof(double)), *c = malloc(n * sizeof(double));
  double *sec = malloc(reps * sizeof(double));
  if (!a || !b || !c || !sec) {
    fprintf(stderr, "triad: cannot allocate 3 x %ld doubles\n", n);
    return 2;
  }
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; i++) {
    a[i] = 0.0;
    b[i] = 1.0;
    c[i] = 2.0;
  }
  const double s = 3.0;
  for (int r = 0; r < reps; r++) {
    double t0 = omp_get_wtime();
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) a[i] = b[i] + s * c[i];
    sec[r] = omp_get_wtime() - t0;
  }
  /* keeps the stores alive and checks them: every a[i] is 1 + 3*2 */
  double check = a[0] + a[n / 2] + a[n - 1];
  qsort(sec, reps, sizeof(double), cmp);
  double bytes = 24.0 * (double)n;
  printf("{\"threads\":%d,\"elements\":%ld,\"reps\":%d,\"bytes_per_rep\":%.0f,\"best_gbps\":%.2f,\"median_gbps\":%.2f,\"ok\":%s}\n",
         omp_get_max_threads(), n, reps, bytes, bytes / sec[0] / 1e9, bytes / sec[reps / 2] / 1e9, check == 21.0 ? "true" : "false");
  free(a);
  free(b);
  free(c);
  free(sec);
  return 0;
}
