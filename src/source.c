/*
 * source.c: line index and code-point columns for diagnostics and spans.
 */
#include "source.h"

#include "mem.h"

bool src_init(source *s, const char *text, size_t len, const char *file) {
  s->text = text;
  s->len = len;
  s->file = file;
  s->cont = NULL;
  uint32_t n = 1;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\n') n++;
  s->line_starts = mem_alloc(n * sizeof *s->line_starts);
  if (!s->line_starts) return false;
  s->nlines = n;
  s->line_starts[0] = 0;
  uint32_t k = 1;
  bool ascii = true;
  for (size_t i = 0; i < len; i++) {
    if (text[i] == '\n') s->line_starts[k++] = (uint32_t)(i + 1);
    if ((unsigned char)text[i] >= 0x80) ascii = false;
  }
  if (!ascii) {
    size_t nck = len / 64 + 1;
    s->cont = mem_alloc(nck * sizeof *s->cont);
    if (!s->cont) {
      src_release(s);
      return false;
    }
    uint32_t c = 0;
    for (size_t i = 0; i < len; i++) {
      if (i % 64 == 0) s->cont[i / 64] = c;
      if (((unsigned char)text[i] & 0xC0) == 0x80) c++;
    }
    if (len % 64 == 0) s->cont[len / 64] = c;
  }
  return true;
}

/* Continuation bytes in text[0..off). */
static uint32_t cont_before(const source *s, size_t off) {
  if (!s->cont) return 0;
  uint32_t c = s->cont[off / 64];
  for (size_t i = off / 64 * 64; i < off; i++)
    if (((unsigned char)s->text[i] & 0xC0) == 0x80) c++;
  return c;
}

void src_release(source *s) {
  mem_free(s->line_starts);
  mem_free(s->cont);
  s->line_starts = NULL;
  s->cont = NULL;
  s->nlines = 0;
}

void src_position(const source *s, size_t off, uint32_t *line, uint32_t *column) {
  if (off > s->len) off = s->len;
  /* Binary search for the last line starting at or before off. */
  uint32_t lo = 0, hi = s->nlines;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (s->line_starts[mid] <= off)
      lo = mid;
    else
      hi = mid;
  }
  size_t start = s->line_starts[lo];
  *line = lo + 1;
  *column = (uint32_t)(off - start) - (cont_before(s, off) - cont_before(s, start)) + 1;
}

const char *src_line(const source *s, uint32_t line, size_t *len) {
  if (line == 0 || line > s->nlines) {
    *len = 0;
    return "";
  }
  size_t start = s->line_starts[line - 1];
  size_t end = line < s->nlines ? s->line_starts[line] - 1 : s->len;
  if (end > start && s->text[end - 1] == '\r') end--;
  *len = end - start;
  return s->text + start;
}
