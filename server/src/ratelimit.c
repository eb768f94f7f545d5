/* ratelimit.c: failed authentications by client address: a leaky bucket
 * per address in a fixed table, with blocks that double. */
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "saola/core.h"
#include "saola_util.h"

#define STRIKES_MAX 16   /* past this, every block is the longest anyway */

/* An address followed: the failures not yet forgotten as a level (one
 * failure is SAOLA__RL_FORGET_MS; the level drains by one a millisecond),
 * and its blocks. */
typedef struct slot {
	unsigned char family;    /* 0: free; 4 or 6 */
	unsigned char key[8];    /* an IPv4 address or an IPv6 /64 prefix */
	int64_t level;           /* as of at */
	int64_t at;
	int64_t until;           /* blocked before this time */
	int strikes;             /* blocks since the address was last forgotten */
} slot;

struct saola__rl {
	pthread_mutex_t lock;
	int64_t burst_level;     /* burst failures */
	uint64_t seed;           /* keys the hash: slots cannot be aimed at */
	slot slots[SAOLA__RL_SLOTS];
};

saola__rl *saola__rl_new(int burst)
{
	saola__rl *rl;

	if (burst < 1 || burst > SAOLA__RL_BURST_MAX || !(rl = calloc(1, sizeof *rl)))
		return NULL;
	if (pthread_mutex_init(&rl->lock, NULL) != 0) {
		free(rl);
		return NULL;
	}
	rl->burst_level = (int64_t)burst * SAOLA__RL_FORGET_MS;
	if (saola__random(&rl->seed, sizeof rl->seed) != SAOLA_OK)
		rl->seed = 0x9e3779b97f4a7c15ULL;
	return rl;
}

void saola__rl_free(saola__rl *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* The key of addr; 0 for a family that is not followed. */
static unsigned char key_of(const struct sockaddr *addr, unsigned char key[8])
{
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;

	memset(key, 0, 8);
	if (!addr)
		return 0;
	if (addr->sa_family == AF_INET) {
		memcpy(&v4, addr, sizeof v4);
		memcpy(key, &v4.sin_addr, 4);
		return 4;
	}
	if (addr->sa_family != AF_INET6)
		return 0;
	memcpy(&v6, addr, sizeof v6);
	if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
		memcpy(key, v6.sin6_addr.s6_addr + 12, 4);
		return 4;
	}
	memcpy(key, v6.sin6_addr.s6_addr, 8);
	return 6;
}

/* The first slot of a key's probe (FNV-1a over the seed and the key). */
static size_t home(const saola__rl *rl, unsigned char family, const unsigned char key[8])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	for (i = 0; i < 8; i++) {
		h = (h ^ ((rl->seed >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
		h = (h ^ key[i]) * 0x100000001b3ULL;
	}
	h = (h ^ family) * 0x100000001b3ULL;
	return (size_t)((h ^ (h >> 32)) % SAOLA__RL_SLOTS);
}

/* Drains s's level to now; a slot whose failures are all forgotten and
 * whose block is over is freed. */
static void drain(slot *s, int64_t now)
{
	if (!s->family || now <= s->at)
		return;
	s->level = s->level > now - s->at ? s->level - (now - s->at) : 0;
	s->at = now;
	if (s->level == 0 && now >= s->until)
		memset(s, 0, sizeof *s);
}

/* What keeping s is worth: a free slot nothing, a blocked address the
 * most; the slot worth least is the one reused. */
static int64_t worth(const slot *s, int64_t now)
{
	if (!s->family)
		return -1;
	if (now < s->until)
		return ((int64_t)1 << 50) + (s->until - now);
	return s->level;
}

/* The slot of the key, or NULL; with make, a new slot for it in place of
 * the one worth least among those it may take. */
static slot *find(saola__rl *rl, unsigned char family, const unsigned char key[8],
                  int64_t now, int make)
{
	size_t h = home(rl, family, key), i;
	slot *least = NULL;

	for (i = 0; i < SAOLA__RL_PROBE; i++) {
		slot *s = &rl->slots[(h + i) % SAOLA__RL_SLOTS];
		drain(s, now);
		if (s->family == family && memcmp(s->key, key, 8) == 0)
			return s;
		if (!least || worth(s, now) < worth(least, now))
			least = s;
	}
	if (!make)
		return NULL;
	memset(least, 0, sizeof *least);
	least->family = family;
	memcpy(least->key, key, 8);
	least->at = now;
	return least;
}

int saola__rl_check(saola__rl *rl, const struct sockaddr *addr, int64_t now_ms,
                    int *retry_after_s)
{
	unsigned char key[8], family = key_of(addr, key);
	const slot *s;
	int blocked = 0;

	*retry_after_s = 0;
	if (!rl || !family)
		return 0;
	pthread_mutex_lock(&rl->lock);
	s = find(rl, family, key, now_ms, 0);
	if (s && now_ms < s->until) {
		*retry_after_s = (int)((s->until - now_ms + 999) / 1000);
		blocked = 1;
	}
	pthread_mutex_unlock(&rl->lock);
	return blocked;
}

/* How long the next block of s lasts. */
static int64_t block_ms(const slot *s)
{
	int64_t ms = SAOLA__RL_BLOCK_MIN_MS;
	int i;

	for (i = 0; i < s->strikes && ms < SAOLA__RL_BLOCK_MAX_MS; i++)
		ms *= 2;
	return ms < SAOLA__RL_BLOCK_MAX_MS ? ms : SAOLA__RL_BLOCK_MAX_MS;
}

int saola__rl_fail(saola__rl *rl, const struct sockaddr *addr, int64_t now_ms)
{
	unsigned char key[8], family = key_of(addr, key);
	slot *s;
	int blocks = 0;

	if (!rl || !family)
		return 0;
	pthread_mutex_lock(&rl->lock);
	s = find(rl, family, key, now_ms, 1);
	/* The level stops one failure over the burst: what grows for an
	 * address that goes on failing is its blocks, which double; and all of
	 * it is forgotten after (burst + 1) * SAOLA__RL_FORGET_MS of quiet. */
	s->level += SAOLA__RL_FORGET_MS;
	if (s->level > rl->burst_level + SAOLA__RL_FORGET_MS)
		s->level = rl->burst_level + SAOLA__RL_FORGET_MS;
	if (s->level > rl->burst_level && now_ms >= s->until) {
		s->until = now_ms + block_ms(s);
		if (s->strikes < STRIKES_MAX)
			s->strikes++;
		blocks = 1;
	}
	pthread_mutex_unlock(&rl->lock);
	return blocks;
}
