/* ratelimit.h: failed authentications counted by client address, in
 * memory, so that a burst of bad tokens from one address is refused for a
 * while (HTTP 429) while other addresses go on. The caller gives the time
 * (a monotonic clock in milliseconds), so that tests drive it with
 * explicit times. Thread-safe. */
#ifndef SAOLA_RATELIMIT_H
#define SAOLA_RATELIMIT_H

#include <stdint.h>
#include <sys/socket.h>

#define SAOLA__RL_SLOTS         1024   /* addresses followed at once */
#define SAOLA__RL_PROBE         8      /* the slots an address may take */
#define SAOLA__RL_BURST_DEFAULT 10     /* failures allowed before a block */
#define SAOLA__RL_BURST_MAX     100000
#define SAOLA__RL_FORGET_MS     6000   /* one failure forgotten every 6 s */
#define SAOLA__RL_BLOCK_MIN_MS  1000   /* the first block of an address */
#define SAOLA__RL_BLOCK_MAX_MS  60000  /* each next one doubles, up to this */

typedef struct saola__rl saola__rl;

/* A limiter that lets an address fail burst times (1 to
 * SAOLA__RL_BURST_MAX), and then once per SAOLA__RL_FORGET_MS as failures
 * are forgotten, before blocking it: for SAOLA__RL_BLOCK_MIN_MS, doubling
 * with each block up to SAOLA__RL_BLOCK_MAX_MS. An address whose failures
 * are all forgotten starts afresh. NULL when burst is out of range or
 * memory is short. Free with saola__rl_free() (NULL is a no-op). */
saola__rl *saola__rl_new(int burst);
void saola__rl_free(saola__rl *rl);

/* 1 when addr is blocked at now_ms, with *retry_after_s the seconds until
 * it is not (rounded up); else 0 and *retry_after_s 0. IPv6 addresses
 * count by their /64 prefix (one subscriber's network), IPv4-mapped IPv6
 * ones as IPv4; other families are never blocked. */
int saola__rl_check(saola__rl *rl, const struct sockaddr *addr, int64_t now_ms,
                    int *retry_after_s);

/* Counts a failed authentication from addr at now_ms; 1 when it blocks
 * the address, else 0. A success counts nothing: it neither adds nor
 * forgives. */
int saola__rl_fail(saola__rl *rl, const struct sockaddr *addr, int64_t now_ms);

#endif
