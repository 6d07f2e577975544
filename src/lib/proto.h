/* SPDX-License-Identifier: ISC */
/*
 * proto.h - monitor protocols layered on a session (hmp.c, qmp.c).
 */
#ifndef PROTO_H
#define PROTO_H

#include <stdint.h>

#include "tether.h"

/*
 * Called by tether_session_open once the transport of an hmp: session is
 * open: sets s->proto and s->proto_state.  Returns 0 or a TETHER_E* code.
 */
int	 hmp_open(struct tether_session *, int64_t deadline);
/* Likewise for qmp: reads the greeting and negotiates capabilities. */
int	 qmp_open(struct tether_session *, int64_t deadline);

#endif /* PROTO_H */
