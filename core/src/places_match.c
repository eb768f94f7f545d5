/* places_match.c: administrative units found by what a surveyor types: a
 * code, or a part of the name with or without its Vietnamese marks ("cuc
 * phuong" finds "Xã Cúc Phương"), among the units of a level valid on a
 * date and inside a parent. */
#include <string.h>

#include "saola_int.h"
#include "places.h"

#define MATCH_MAX 50 /* units a search returns at most */

/* The bare letter of each code point from U+00C0 to U+01B0 and from
 * U+1EA0 to U+1EF9 (Vietnamese letters with their marks), '?' for none. */
static const char latin[] =
	"aaaaaa?ceeeeiiii?nooooo??uuuuy??aaaaaa?ceeeeiiii?nooooo??uuuuy?y"
	"aaaaaaccccccccddddeeeeeeeeeegggggggghh??iiiiiiiii???jjkk?llllll?"
	"???nnnnnn???oooooo??rrrrrrsssssssstttt??uuuuuuuuuuuuwwyyyzzzzzz?"
	"????????????????????????????????oo?????????????uu";
static const char extended[] =
	"aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooo"
	"oooouuuuuuuuuuuuuuyyyyyyyy";

/* Decodes one UTF-8 code point at s; *len its bytes (1 for a bad byte). */
static unsigned decode(const unsigned char *s, size_t *len)
{
	if (s[0] < 0x80 || (s[0] & 0xE0) == 0x80 || !s[1]) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0) {
		*len = 2;
		return ((s[0] & 0x1Fu) << 6) | (s[1] & 0x3Fu);
	}
	if ((s[0] & 0xF0) == 0xE0 && s[2]) {
		*len = 3;
		return ((s[0] & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
	}
	*len = 1;
	return s[0];
}

/* s folded for matching into out (cap bytes): lower case, marks dropped,
 * runs of spaces as one. */
static void fold(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, len;
	unsigned c;
	char b;

	while (*p && n + 1 < cap) {
		c = decode(p, &len);
		p += len;
		if (c >= 'A' && c <= 'Z')
			b = (char)(c - 'A' + 'a');
		else if (c >= 0xC0 && c <= 0x1B0 && latin[c - 0xC0] != '?')
			b = latin[c - 0xC0];
		else if (c >= 0x1EA0 && c <= 0x1EF9)
			b = extended[c - 0x1EA0];
		else if (c == ' ' || c == '\t' || c == '-' || c == '.' || c == ',')
			b = ' ';
		else if (c < 0x80)
			b = (char)c;
		else
			b = '?';
		if (b == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = b;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* Whether unit u is one the search looks among. */
static int candidate(const saola__place *u, const char *level, const char *parent,
                     const char *date)
{
	return strcmp(u->level, level) == 0 && (!parent || strcmp(u->parent, parent) == 0) &&
	       strcmp(u->from, date) <= 0 && (!u->to[0] || strcmp(date, u->to) <= 0);
}

static int add(json_t *out, const saola__place *u)
{
	return json_array_append_new(out, json_pack("{s:s,s:s}", "code", u->code,
	                                             "name", u->name));
}

int saola__places_match(saola *db, const char *level, const char *parent,
                        const char *date, const char *query, json_t **out)
{
	char q[SAOLA__PLACE_NAME_MAX + 1], name[2 * SAOLA__PLACE_NAME_MAX + 1];
	const saola__place *u;
	json_t *found = json_array();
	size_t i;

	*out = NULL;
	if (!found)
		return saola__error(db, SAOLA_NOMEM, "units: out of memory");
	fold(query ? query : "", q, sizeof q);
	for (i = 0; (u = saola__places_at(db, i)) != NULL; i++) {
		if (!candidate(u, level, parent, date))
			continue;
		fold(u->name, name, sizeof name);
		if (strcmp(u->code, query ? query : "") != 0 && !strstr(name, q))
			continue;
		if (json_array_size(found) >= MATCH_MAX)
			break;
		if (add(found, u)) {
			json_decref(found);
			return saola__error(db, SAOLA_NOMEM, "units: out of memory");
		}
	}
	*out = found;
	return saola__ok(db);
}
