/*
 * ext.h: CEL's extension libraries strings, math, encoders and network,
 * with the semantics cel-go's ext package gives them: the run-time side of
 * the overloads at the end of overloads.def (OV_STRING_CHAR_AT through
 * OV_NET_STRING_FROM_CIDR; the network ones in ext_net.c).  The checker resolves them like any other overload;
 * eval_overload hands them here.
 */
#ifndef RULECORE_EXT_H
#define RULECORE_EXT_H

#include "eval.h"

/* Run extension overload id on the boxed arguments a[0..nargs) (a method's
 * receiver first).  *handled is set false, and nothing else happens, when
 * id is no extension overload.  An argument of another kind than the
 * overload's parameter (from a dyn operand) is CEL's "no such overload"
 * error; errors are raised at n, as every overload's.  Strings, bytes and
 * lists the result points to live in e's pool. */
INTERNAL value ext_overload(ev *e, const cnode *n, uint16_t id, const value *a, uint32_t nargs, bool *handled);

/* The network library (ext_net.c): ext_overload for OV_NET_IS_IP through
 * OV_NET_STRING_FROM_CIDR. */
INTERNAL value ext_net_overload(ev *e, const cnode *n, uint16_t id, const value *a, uint32_t nargs);

#endif
