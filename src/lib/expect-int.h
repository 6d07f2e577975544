/*
 * expect-int.h - what the session tells the running expect set.
 */
#ifndef EXPECT_INT_H
#define EXPECT_INT_H

#include "tether.h"

/*
 * Scans what session s received since the last call against the set's
 * branches on s (also noticing EOF).  Called by the session after every
 * chunk of input, before any of the view is discarded.
 */
void	 expect_feed(struct tether_expect *, struct tether_session *s);

#endif /* EXPECT_INT_H */
