/* permissions.c: permission words (users.permissions), parsing them, and
 * granting or withdrawing them. */
#include <stdio.h>
#include <string.h>

#include "permissions.h"

/* Bit i is perms[i]. Add a word here, and where it is checked. */
static const char *const perms[] = {"personal"};

#define NPERMS (sizeof perms / sizeof perms[0])

/* The words of words (spaces and commas separate them) as bits; -1 at an
 * unknown word, with *bad and *badlen on the first one (the known words
 * are set all the same). */
static int parse(const char *words, unsigned *bits, const char **bad, size_t *badlen)
{
	const char *p = words ? words : "";
	size_t n, i;
	int rc = 0;

	*bits = 0;
	for (;;) {
		p += strspn(p, " ,\t");
		if (!*p)
			break;
		n = strcspn(p, " ,\t");
		for (i = 0; i < NPERMS; i++)
			if (strlen(perms[i]) == n && strncmp(p, perms[i], n) == 0)
				break;
		if (i < NPERMS) {
			*bits |= 1u << i;
		} else if (rc == 0) {
			*bad = p;
			*badlen = n;
			rc = -1;
		}
		p += n;
	}
	return rc;
}

/* Every permission word, for messages: "personal". */
static void known_words(char *buf, size_t len)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < NPERMS; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? ", " : "", perms[i]);
}

int saola__perms_parse(const char *words, unsigned *bits, saola__err *e)
{
	const char *bad = NULL;
	size_t badlen = 0;
	char known[SAOLA__PERMS_TEXT_MAX];

	if (parse(words, bits, &bad, &badlen) == 0)
		return 0;
	*bits = 0;
	known_words(known, sizeof known);
	return saola__err_set(e, SAOLA_PROTOCOL, "permission \"%.*s\": unknown (known: %s)",
	                      badlen > 40 ? 40 : (int)badlen, bad, known);
}

unsigned saola__perms_read(const char *words)
{
	const char *bad;
	size_t badlen;
	unsigned bits;

	parse(words, &bits, &bad, &badlen);
	return bits;
}

void saola__perms_text(unsigned bits, char *buf, size_t len)
{
	size_t i, used = 0;

	if (len)
		buf[0] = '\0';
	for (i = 0; i < NPERMS && used < len; i++)
		if (bits & (1u << i)) {
			int w = snprintf(buf + used, len - used, "%s%s", used ? " " : "", perms[i]);
			if (w < 0)
				break;
			used += (size_t)w;
		}
}

int saola__user_may(const saola__user *u, unsigned bits)
{
	return u && (u->permissions & bits) == bits;
}

int saola__user_permit(saola__store *s, const char *name, const char *words, int grant,
                       unsigned *now, saola__err *e)
{
	char text[SAOLA__PERMS_TEXT_MAX];
	saola__user u;
	unsigned bits;
	int rc, end, found = 0;

	if (now)
		*now = 0;
	if (saola__perms_parse(words, &bits, e) != 0)
		return -1;
	if (!bits) {
		known_words(text, sizeof text);
		return saola__err_set(e, SAOLA_PROTOCOL, "permissions: none named (known: %s)",
		                      text);
	}
	if ((rc = s->ops->write_begin(s, 1)) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "%s", s->ops->errmsg(s));
	rc = s->ops->user_by_name(s, name, &u, &found);
	if (rc == SAOLA_OK && found) {
		u.permissions = grant ? u.permissions | bits : u.permissions & ~bits;
		saola__perms_text(u.permissions, text, sizeof text);
		rc = s->ops->user_permissions(s, u.id, text);
	}
	end = s->ops->end(s, rc == SAOLA_OK && found);
	if (rc == SAOLA_OK && found)
		rc = end;
	if (rc != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "%s", s->ops->errmsg(s));
	if (!found)
		return saola__err_set(e, SAOLA_NOTFOUND, "no user named \"%s\"", name ? name : "");
	if (now)
		*now = u.permissions;
	return 0;
}
