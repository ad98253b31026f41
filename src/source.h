/*
 * source.h: one input text with its name and a line index, so any byte
 * offset maps to a 1-based line and a column counted in code points.
 */
#ifndef RULECORE_SOURCE_H
#define RULECORE_SOURCE_H

#include "internal.h"

typedef struct source {
  const char *text; /* borrowed: the caller keeps it alive */
  size_t len;
  const char *file; /* borrowed */
  uint32_t *line_starts; /* owned: byte offset of each line */
  uint32_t nlines;
  /* When the text is not all ASCII: cont[k] counts the UTF-8 continuation
   * bytes in text[0 .. k*64), so a column costs at most 63 byte reads. */
  uint32_t *cont;
} source;

/* Index text[0..len).  Returns false when out of memory.  len must be
 * below UINT32_MAX (the input-size limit ensures it). */
INTERNAL bool src_init(source *s, const char *text, size_t len, const char *file);
INTERNAL void src_release(source *s);

/* The 1-based line and code-point column of byte offset off (clamped to
 * the text). */
INTERNAL void src_position(const source *s, size_t off, uint32_t *line, uint32_t *column);
/* The text of 1-based line `line` without its newline. */
INTERNAL const char *src_line(const source *s, uint32_t line, size_t *len);

#endif
