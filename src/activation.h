/*
 * activation.h: what other modules use of activations (activation.c): the
 * variables an evaluation reads, and the builder the JSON filler drives.
 */
#ifndef RULECORE_ACTIVATION_H
#define RULECORE_ACTIVATION_H

#include "internal.h"
#include "schema.h"
#include "type.h"
#include "value.h"

/* The variables, indexed by declaration order, and their count. */
INTERNAL const value *act_vars(const rulecore_activation *a, uint32_t *n);
INTERNAL const rulecore_schema *act_schema(const rulecore_activation *a);

/* Set slot (or RULECORE_NEXT) to v, checked against its declared type;
 * strings and bytes are copied.  As the public setters. */
INTERNAL rulecore_status act_set(rulecore_activation *a, int32_t slot, value v);

/* ---- for the JSON reader (json.c), which builds values itself ---- */

/* How deep composites nest (the builder's limit, and a JSON fill's). */
#define ACT_MAX_DEPTH 64

/* Whether v may be stored where type t is declared, converting numbers as
 * CEL's JSON mapping does (an int into a double, a non-negative int into
 * a uint). */
INTERNAL bool act_fits(const type *t, value *v);
/* The pool the activation's strings and containers live in (a reset
 * rewinds it). */
INTERNAL pool *act_pool(rulecore_activation *a);
/* Buffer `which` (below ACT_BUFFERS) of at least n bytes, what it held
 * kept when it grows; the activation keeps it for the next fill, so a
 * fill no larger than one before allocates nothing.  NULL when out of
 * memory.  Buffer 0 is act_scratch's. */
#define ACT_BUFFERS 4
INTERNAL void *act_buffer(rulecore_activation *a, int which, size_t n);
INTERNAL char *act_scratch(rulecore_activation *a, size_t n);
/* The staging stack where a fill keeps the elements of the containers it
 * is reading until each ends: its height, a push (false when out of
 * memory), the elements from height `mark` on, and cutting it back. */
INTERNAL size_t act_stage_mark(const rulecore_activation *a);
INTERNAL bool act_stage_push(rulecore_activation *a, value v);
INTERNAL value *act_stage_at(rulecore_activation *a, size_t mark);
INTERNAL void act_stage_cut(rulecore_activation *a, size_t mark);
/* Set variable var (its declaration index) to v, already checked. */
INTERNAL void act_put_var(rulecore_activation *a, uint32_t var, value v);

/* Remember the variables, and put them back (undoing a failed fill).
 * act_save also starts a new round of act_first_time. */
INTERNAL void act_save(rulecore_activation *a);
INTERNAL void act_restore(rulecore_activation *a);
/* Whether variable var is named for the first time since act_save (a
 * JSON object names each key once). */
INTERNAL bool act_first_time(rulecore_activation *a, uint32_t var);

#endif
