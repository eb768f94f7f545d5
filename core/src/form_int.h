/* form_int.h: the layout of a compiled form, shared by form_compile.c (which
 * builds it once) and form_process.c (which runs it per record). */
#ifndef SAOLA_FORM_INT_H
#define SAOLA_FORM_INT_H

#include "form.h"
#include "expr.h"

/* A choice list: its values sorted (strcmp) for bsearch, borrowed from the
 * definition. */
typedef struct saola__clist {
	const char *name;
	const char **values;
	size_t n;
} saola__clist;

/* One field of the form. Fields are kept flattened in pre-order: a group or
 * a repeat is followed by its descendants, up to (not including) end. */
typedef struct saola__fdef {
	const char *name;            /* borrowed from the definition */
	saola__ftype type;
	int parent;                  /* enclosing group or repeat, or -1 */
	int repeat;                  /* enclosing repeat, or -1 (top level) */
	int slot;                    /* index of the value in its scope */
	int end;                     /* one past the last descendant */
	int rix;                     /* a repeat: its index in saola__form.repeats */
	int nslots;                  /* a repeat: slots of one item */
	int computed;                /* has a calculate expression */
	int required;                /* required: true */
	const saola__clist *choices; /* select types */
	saola__expr *relevant;
	saola__expr *required_x;     /* required as an expression */
	saola__expr *constraint;
	saola__expr *calculate;
	const char *cmsg;            /* constraint message (English preferred) */
} saola__fdef;

struct saola__form {
	json_t *def;                 /* a reference: every borrowed string lives here */
	const char *id;
	const char *version;
	const char *standard;        /* family, or NULL */
	const char *year_field;      /* NULL when standard is NULL */
	int year_idx;                /* field index of year_field, or -1 */
	saola__fdef *fields;
	int nfields;
	int ntop;                    /* slots of the top-level scope */
	int *repeats;                /* field index of each repeat */
	int nrepeats;
	int *hash;                   /* open addressing: field index + 1, 0 empty */
	unsigned hmask;
	saola__clist *lists;
	int nlists;
};

/* Zeroed memory from jansson's allocator (so that one hook,
 * json_set_alloc_funcs, controls every allocation of the engine), or NULL;
 * freed with saola__form_mfree (NULL is a no-op). */
void *saola__form_zalloc(size_t size);
void saola__form_mfree(void *ptr);

/* The index of the field called name (any depth), or -1. */
int saola__form_find(const saola__form *f, const char *name);

#endif /* SAOLA_FORM_INT_H */
