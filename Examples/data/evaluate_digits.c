/* The digits model's accuracy from C: `mind build` compiles `accuracy` of digits_model.mind
 * into an object file (a struct parameter is passed as its fields' buffers, in declaration
 * order), and this program reads the weights train_digits.mind saved and the test set as .npy
 * files with the small reader below (version 1.0 headers of little-endian C-order arrays, as
 * np.save writes them).
 *
 *   mind build Examples/data/digits_model.mind -o digits.o \
 *       --export 'accuracy(f32[64,128], f32[128], f32[128,10], f32[10], f32[297,64], i64[297])'
 *   cc -I. Examples/data/evaluate_digits.c digits.o -lopenblas -lm -o evaluate_digits
 *   ./evaluate_digits Examples/data/digits
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"

/* Reads an .npy file of `count` elements of `descr` (such as "<f4") into `data`; 0 on success. */
static int read_npy(const char *folder, const char *name, const char *descr, size_t size, size_t count, void *data) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", folder, name);
  FILE *file = fopen(path, "rb");
  if (!file) return fprintf(stderr, "cannot open %s\n", path), 1;
  unsigned char prefix[10];
  char header[65536];
  int ok = fread(prefix, 1, 10, file) == 10 && memcmp(prefix, "\x93NUMPY\x01", 7) == 0;
  size_t length = ok ? (size_t)prefix[8] | (size_t)prefix[9] << 8 : 0;
  ok = ok && fread(header, 1, length, file) == length;
  header[ok ? length : 0] = 0;
  ok = ok && strstr(header, descr) && strstr(header, "'fortran_order': False");
  ok = ok && fread(data, size, count, file) == count && fgetc(file) == EOF;
  fclose(file);
  if (!ok) fprintf(stderr, "%s is not an .npy file of %zu elements of %s\n", path, count, descr);
  return !ok;
}

int main(int argc, char **argv) {
  const char *folder = argc > 1 ? argv[1] : "Examples/data/digits";
  float *w1 = malloc(64 * 128 * sizeof(float)), b1[128], w2[128 * 10], b2[10];
  float *x = malloc(297 * 64 * sizeof(float)), accuracy;
  int64_t y[297];
  if (read_npy(folder, "mlp/w1.npy", "'<f4'", 4, 64 * 128, w1) || read_npy(folder, "mlp/b1.npy", "'<f4'", 4, 128, b1) ||
      read_npy(folder, "mlp/w2.npy", "'<f4'", 4, 128 * 10, w2) || read_npy(folder, "mlp/b2.npy", "'<f4'", 4, 10, b2) ||
      read_npy(folder, "test_x.npy", "'<f4'", 4, 297 * 64, x) || read_npy(folder, "test_y.npy", "'<i8'", 8, 297, y))
    return 1;
  mind_status status = {0};
  if (mind_accuracy(&status, w1, b1, w2, b2, x, y, &accuracy) != 0) {
    fprintf(stderr, "%s\n", mind_digits_error_message(status.site));
    return 1;
  }
  printf("test accuracy %g\n", accuracy);
  free(w1);
  free(x);
  return 0;
}
