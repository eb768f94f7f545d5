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

#define SAOLA__FORM_NINTS 128 /* small integers a form shares (ages, flags) */

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
	int personal;                /* personal data: marked "personal": true,
	                              * or inside a group or repeat that is */
	const saola__clist *choices; /* select types */
	saola__expr *relevant;
	saola__expr *required_x;     /* required as an expression */
	saola__expr *constraint;
	saola__expr *calculate;
	const char *cmsg;            /* constraint message (English preferred) */
	saola__expr *warning;        /* a soft check over "." (docs/forms.md,
	                              * "Warnings"), or NULL */
	int confirm;                 /* a warned field: its warning_confirm
	                              * field, or -1 */
	int confirms;                /* a confirm field: the field whose
	                              * warning it confirms, or -1; relevant
	                              * exactly while that warning stands */
	int self_constraint;         /* the constraint reads the answer alone
	                              * ("."), nothing else of the record */
	size_t max_length;           /* text: the most characters an answer may
	                              * have (its "max_length", else the form's
	                              * text_max_length); 0 for other types */
} saola__fdef;

struct saola__form {
	json_t *def;                 /* a reference: every borrowed string lives here */
	const char *id;
	const char *version;
	const char *standard;        /* family, or NULL */
	const char *year_field;      /* NULL when standard is NULL */
	int year_idx;                /* field index of year_field, or -1 */
	int unit_idx[3];             /* field index of the province, district
	                              * and commune (property "unit"), or -1 */
	size_t text_max;             /* "text_max_length", else the default */
	size_t comment_max;          /* "comment_max_length", else the default */
	saola__fdef *fields;
	int nfields;
	int ntop;                    /* slots of the top-level scope */
	int *repeats;                /* field index of each repeat */
	int nrepeats;
	int *hash;                   /* open addressing: field index + 1, 0 empty */
	unsigned hmask;
	saola__clist *lists;
	int nlists;
	const char **pnames;         /* the names param('name') uses, in the
	                              * order bound (saola__expr_bind); borrowed
	                              * from the expressions */
	int nparams;
	int pcap;
	json_t *ints[SAOLA__FORM_NINTS]; /* the integers 0 .. NINTS - 1, shared
	                              * by every computed value that is one
	                              * (jansson counts references atomically,
	                              * and nothing changes a value in place) */
};

/* Zeroed memory from jansson's allocator (so that one hook,
 * json_set_alloc_funcs, controls every allocation of the engine), or NULL;
 * freed with saola__form_mfree (NULL is a no-op). */
void *saola__form_zalloc(size_t size);
void saola__form_mfree(void *ptr);

/* The index of the field called name (any depth), or -1. */
int saola__form_find(const saola__form *f, const char *name);

/* The values of one repeat during processing: item k's field at slot s is
 * vals[k * nslots + s]. */
typedef struct saola__rstate {
	json_t *src;            /* the array given (borrowed), or NULL */
	size_t n;               /* items; 0 when the repeat is not relevant */
	size_t given;           /* items in src (the slots allocated) */
	json_t **vals;          /* owned references, NULL when unanswered */
	unsigned char *rel;     /* relevance of each item's fields */
	json_t **ids;           /* each item's "_id" (borrowed), or NULL */
	json_t *nodes;          /* cached nodeset of the items, or NULL */
	int done;               /* every item has been computed */
} saola__rstate;

#define SAOLA__PROC_INLINE 512 /* pointers of a run's block kept inline
                                * (4 KiB: a household of ten members) */

/* The state of one run over a record: built by saola__proc_open, driven by
 * saola__form_process (form_process.c) and by the data-entry walk
 * (form_walk.c), released by saola__proc_close. */
typedef struct saola__proc {
	const saola__form *f;
	json_t **top;           /* owned references, NULL when unanswered */
	unsigned char *trel;    /* relevance: 0 no, 1 yes, 2 yes (unevaluable) */
	saola__rstate *reps;
	saola__rstate small[4]; /* reps for a form with few repeats */
	json_t **ncache;        /* per field: nodeset of a finished repeat's field */
	void *block;            /* every slot, flag and cache of the run:
	                         * inline when it fits, else allocated */
	json_t *inline_block[SAOLA__PROC_INLINE];
	size_t nvals;           /* slots in block */
	int cur_field;          /* the field "." is */
	int cur_rep;            /* the repeat whose item is current, or -1 */
	size_t cur_item;
	int at_field;           /* where saola__proc_walk stopped on a failure */
	size_t at_item;
	int tolerant;           /* pass 1 goes on past expressions that fail */
	int lenient;            /* pass 2 goes on past required and constraint
	                         * failures, counting them in nnotes */
	int nnotes;             /* expressions that failed in a tolerant pass */
	char note[192];         /* the first of them */
	json_t *data;           /* the answers given (borrowed) */
	const saola__params_src *src;
	json_t *params;         /* borrowed from src, once looked up */
	json_t **pvals;         /* per bound param name: its value (borrowed
	                         * from params), NULL until looked up */
	int prc;                /* SAOLA_OK, or why param() failed */
	int oom;                /* a callback ran out of memory */
	char perr[160];
	saola__expr_env env;
	saola__expr_bound bound; /* the form's bound names (saola__expr_bind) */
	char *err;
	size_t errlen;
} saola__proc;

/* Sets p up for the record data (borrowed): allocates the slots and loads
 * the answers (unknown fields, types, choices). Returns SAOLA_OK, or the
 * failure with err set. Call saola__proc_close(p) after either. */
int saola__proc_open(saola__proc *p, const saola__form *f, json_t *data,
                     const saola__params_src *params, const char *today,
                     char *err, size_t errlen);
/* Releases what p holds; safe after a failed saola__proc_open. */
void saola__proc_close(saola__proc *p);
/* Runs pass 1 (relevance and calculation) or pass 2 (required and
 * constraints) over every field in form order; on a failure p->at_field
 * and p->at_item say where. */
int saola__proc_walk(saola__proc *p, int pass);
/* The value slot and relevance flag of field fd in item k. */
json_t **saola__proc_slot(saola__proc *p, const saola__fdef *fd, size_t k);
unsigned char *saola__proc_rel(saola__proc *p, const saola__fdef *fd, size_t k);
/* Evaluates e as a boolean for field fd in item k (p->cur_* set by the
 * caller); a failure is reported as processing reports it. */
int saola__proc_eval_bool(saola__proc *p, const saola__fdef *fd, size_t k,
                          const saola__expr *e, const char *prop, int *out);
/* *holds = 0 when field i in item k (p->cur_rep and cur_item set by the
 * caller) is relevant, has an answer and its warning is false; else 1.
 * Returns SAOLA_OK, SAOLA_NOMEM, or the warning's evaluation failure with
 * p->err set (*holds = 1 then): a failure never fails the run (a param()
 * the warning could not read is forgotten). p->cur_field is left at i. */
int saola__proc_warning(saola__proc *p, int i, size_t k, int *holds);

/* Reads each field's "unit" property (form_units.c): defs[i] and paths[i]
 * are field i's definition and path. SAOLA_OK, or SAOLA_INVALID with err. */
int saola__form_units_compile(saola__form *f, json_t *const *defs,
                              char *const *paths, char *err, size_t errlen);
/* Checks the places the run's answers name (form_units.c): SAOLA_OK, or
 * SAOLA_INVALID with p->err set. In a lenient run a place whose parent
 * disagrees (a combination of edits) is counted as an issue instead. */
int saola__proc_check_units(saola__proc *p);
/* The expression functions unit_urban, unit_name, unit_level_exists
 * (form_units.c): env's unit callback, ctx a saola__proc. */
int saola__proc_unit_fn(void *ctx, const char *fn, const char *arg, json_int_t year,
                        json_t **out);

#endif /* SAOLA_FORM_INT_H */
