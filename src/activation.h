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
/* The declared type of the value slot (or the next value of the open
 * container) takes, or NULL when there is no such place. */
INTERNAL const type *act_expected(rulecore_activation *a, int32_t slot);
/* The declared type of the innermost open container, or NULL. */
INTERNAL const type *act_container(const rulecore_activation *a);

/* Open a record of the schema's type named type_name as the value of slot
 * (or the next value): where that type or dyn is declared. */
INTERNAL rulecore_status act_begin_record(rulecore_activation *a, int32_t slot, const char *type_name);

/* Remember the variables, and put them back (undoing a failed fill). */
INTERNAL void act_save(rulecore_activation *a);
INTERNAL void act_restore(rulecore_activation *a);

#endif
