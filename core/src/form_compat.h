/* form_compat.h: whether a new version of a form keeps the records stored
 * under its form valid (docs/forms.md, "New versions of a form"): a field
 * whose type changed, or a choice that is gone, while stored records still
 * hold answers there, refuses the version. */
#ifndef SAOLA_FORM_COMPAT_H
#define SAOLA_FORM_COMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct saola;

/* What a probe counts: the live records of a form with a non-null answer
 * at a place, or whose answer there is (select_multiple: holds) a value. */
typedef enum saola__probe_kind {
	SAOLA__PROBE_ANSWERED,
	SAOLA__PROBE_CHOICE
} saola__probe_kind;

typedef struct saola__probe {
	const char *form_id;
	const char *repeat;    /* the enclosing repeat's name; NULL: top level */
	const char *field;
	saola__probe_kind kind;
	int multiple;          /* CHOICE: the answer is an array of values */
	const char *value;     /* CHOICE: the value */
} saola__probe;

/* Counts the records a probe asks for into *count; SAOLA_OK, or a code
 * with err saying why. */
typedef int (*saola__probe_fn)(void *ctx, const saola__probe *p, int64_t *count,
                               char *err, size_t errlen);

/* Where db's form loads count records: fn (ctx passed back) instead of
 * db's own records table, until set back to NULL. The PostgreSQL store's
 * forms engine holds no records: it counts in PostgreSQL. */
void saola__set_record_counter(struct saola *db, saola__probe_fn fn, void *ctx);

/* Checks that new_def, about to replace old_def as the current version of
 * their form, refuses no record stored under it: for each field of old_def
 * found in new_def by name in the same place (top level, or the same
 * repeat) and not computed there, a type change (integer to decimal
 * aside) refused while records answer it, and a choice gone from its list
 * refused while records answer it. SAOLA_OK; SAOLA_CONFLICT with msg
 * ("form household 2026.3: field water_source: choice 'bottled' is gone,
 * but 12 stored records answer it", every refusal, "; "-separated); or
 * another code when counting failed (msg says why). */
int saola__form_compat_check(struct saola *db, json_t *old_def, json_t *new_def, char *msg,
                             size_t msglen);

#endif
