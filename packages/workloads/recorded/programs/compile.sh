#!/bin/sh
# A compiler run: eight small C files compiled and linked, one cc at a time; each cc runs cc1, as,
# collect2 and ld, so the log is many short processes (fork + exec + exit).
set -e
dir=$(mktemp -d)
for i in 1 2 3 4 5 6 7 8; do
  cat > "$dir/m$i.c" <<C
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
struct item { int key; double value; char name[32]; };
static int cmp(const void *a, const void *b) { return ((const struct item *)a)->key - ((const struct item *)b)->key; }
double work$i(int n) {
  struct item *v = calloc(n, sizeof *v);
  for (int k = 0; k < n; k++) { v[k].key = (k * 7919) % n; v[k].value = k * 0.5; snprintf(v[k].name, sizeof v[k].name, "item-%d", k); }
  qsort(v, n, sizeof *v, cmp);
  double s = 0; for (int k = 0; k < n; k++) s += v[k].value * (strlen(v[k].name) % 3);
  free(v); return s;
}
C
done
cat > "$dir/main.c" <<'C'
#include <stdio.h>
double work1(int), work2(int), work3(int), work4(int), work5(int), work6(int), work7(int), work8(int);
int main(void) { printf("%.1f\n", work1(1000) + work2(1000) + work3(1000) + work4(1000) + work5(1000) + work6(1000) + work7(1000) + work8(1000)); return 0; }
C
for f in "$dir"/*.c; do cc -O2 -c -o "${f%.c}.o" "$f"; done
cc -o "$dir/prog" "$dir"/*.o
"$dir/prog" >/dev/null
rm -rf "$dir"
