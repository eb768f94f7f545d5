/* saola_shared.h: what core shares with the server's stores and with sync
 * beyond the public API (saola/core.h): the merge of two states of a record,
 * in memory, that every store (the device's SQLite, the server's SQLite or
 * PostgreSQL) calls, and the types it needs. No SQLite here: the caller
 * reads the stored state and writes the result. The rules are
 * docs/conflicts.md's. Internal to the project (not installed). */
#ifndef SAOLA_SHARED_H
#define SAOLA_SHARED_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "saola/core.h"

/* A compiled form (form.h: the form engine). */
typedef struct saola__form saola__form;

/* Compiles a form definition (def is borrowed; the form keeps a reference).
 * Every expression is parsed once here, and every ${name} and choice list it
 * names is checked. On failure returns SAOLA_INVALID and err names the path
 * in the definition: "fields[12].constraint: column 5: expected ')'",
 * "fields[3] (members).fields[1]: unknown type \"txt\"". *out NULL then. */
int saola__form_compile(json_t *def, saola__form **out, char *err,
                        size_t errlen);

/* Frees a compiled form. NULL is a no-op. */
void saola__form_free(saola__form *f);

const char *saola__form_id(const saola__form *f);
const char *saola__form_version(const saola__form *f);

/* An administrative unit as the form engine sees it (borrowed from the
 * source that found it, valid until its units change). */
typedef struct saola__unit_ref {
	const char *code, *name, *level, *parent; /* parent "" for none */
	int urban;
} saola__unit_ref;

/* Parameters of the standard in force for a record, and the units valid
 * for its year. */
typedef struct saola__params_src {
	/* Returns the params object (borrowed) of the standard of family whose
	 * years include year, or NULL when there is none. */
	json_t *(*lookup)(void *ctx, const char *family, json_int_t year);
	void *ctx;
	/* Administrative units (schemas/units), or NULL: nothing is checked.
	 * The units valid for year are those valid on its review day (the
	 * param review_day, "MM-DD", of the standard of family in force that
	 * year; 12-31 without one). unit: the unit code valid for year into
	 * *out: 1 found, 0 none, -1 when no unit is loaded at all (nothing
	 * can be checked). level_exists: 1 when some unit of level is valid
	 * for year, 0 when none, -1 when no unit is loaded. */
	int (*unit)(void *ctx, const char *family, json_int_t year, const char *code,
	            saola__unit_ref *out);
	int (*level_exists)(void *ctx, const char *family, json_int_t year,
	                    const char *level);
} saola__params_src;

/* The review paths of a record: its state and the officer's comment,
 * versioned like answers but kept in their own columns, never seen by the
 * form engine. */
#define SAOLA__P_STATE   "_state"
#define SAOLA__P_COMMENT "_comment"
/* 1 when s is a review state: draft, submitted, returned, approved. */
int saola__state_valid(const char *s);
/* Adds a stored row's review paths to its flattened answers: "_state"
 * unless the state is draft, "_comment" when there is one. 0, or -1 when
 * out of memory. */
int saola__flat_add_review(json_t *flat, const char *state, const char *comment);
/* The values of a stored record as a saola__rec_state holds them: doc (the
 * record as stored, computed fields included) flattened, with its review
 * columns state (NULL: draft) and comment (may be NULL). New reference,
 * NULL when out of memory. */
json_t *saola__state_values(const saola__form *f, const json_t *doc, const char *state,
                            const char *comment);

/* A value that lost to another by version. */
typedef struct saola__loser {
	const char *record_id;
	const char *path;
	json_t *value;          /* the value that lost; JSON null: a removal */
	json_t *version;        /* its version */
	json_t *winner;         /* the value kept; JSON null: a removal */
	json_t *winner_version;
	int stored_lost;        /* 1: the stored value lost to the incoming one */
	json_t *base;           /* the version the incoming change was made over
	                         * at this path (NULL: none given) */
} saola__loser;

/* Called for each concurrent value that lost; non-zero stops the merge and
 * is returned. The pointers are borrowed for the call. */
typedef int (*saola__loser_fn)(void *ctx, const saola__loser *l);

/* What another replica says of a record: flattened entered answers (see
 * versions.h) and their versions. */
typedef struct saola__remote {
	const char *record_id;
	const char *form_id;   /* for a record not stored here yet */
	json_t *values;        /* {path: value | null (removed)} */
	json_t *versions;      /* {path: version}; "_" for paths of values that
	                        * have none of their own; "_deleted" a tombstone */
	json_t *base;          /* NULL (a whole state: losers are not concurrent
	                        * edits to report), or {path: version the sender
	                        * edited over}: a stored value that the sender had
	                        * not seen and that loses or wins is reported */
	int own_creation;      /* the sender is a device (a server sets it for
	                        * a surveyor's or a commune's push): a record
	                        * not stored here is its own creation, not a
	                        * merge made elsewhere, and must pass the form;
	                        * each answer it sends must keep inside its
	                        * field's own range (saola__form_check_value) */
} saola__remote;

/* One replica's state of a record, as the merge reads it (everything
 * borrowed). */
typedef struct saola__rec_state {
	const char *record_id;  /* for messages and losers */
	/* The form the state is of, and its version: for the caller, which
	 * compiles that form and passes it; the merge reads neither. */
	const char *form_id;
	const char *form_version;
	json_t *values;         /* {path: value | null (removed)}: the entered
	                         * answers flattened (versions.h: "field",
	                         * "repeat.itemid" true, "repeat.itemid.field")
	                         * with the review paths "_state" (absent:
	                         * draft) and "_comment" beside them */
	json_t *versions;       /* {path: [counter, "origin"]}: "_" the default
	                         * of paths with a value and no entry of their
	                         * own, "_deleted" the tombstone (the record is
	                         * deleted when it is there) */
} saola__rec_state;

/* Flags of saola__merge_states. */
enum {
	/* The sender is a device and the record may be its own creation (a
	 * server sets it for a surveyor's or a commune's push): a record not
	 * stored yet must pass the form (not only what merges may break), and
	 * every answer sent must keep inside its field's own range. */
	SAOLA__MERGE_OWN_CREATION = 1,
	/* Fill changes, change_versions and answers of saola__merge_out (what
	 * the server's audit log is told); they cost a flattening of the
	 * result, so a store without an audit log (a device) leaves them out. */
	SAOLA__MERGE_CHANGES = 2
};

/* What a merge produced, owned by it (saola__merge_out_free) but for
 * form_id, form_version (f's) and the losers' record_id (the incoming
 * state's). */
typedef struct saola__merge_out {
	int changed;            /* the stored state changed (or there was none):
	                         * the fields below "doc" are set only then */
	int created;            /* there was no stored state */
	const char *form_id;    /* the merged state's form and version: f's */
	const char *form_version;
	json_t *values;         /* the merged paths as the rules chose them
	                         * (review paths included; the form may still
	                         * clear an answer no longer relevant: doc is
	                         * what to store) */
	json_t *versions;       /* the merged versions, "_deleted" included */
	int deleted;            /* the result is a tombstone */
	saola__loser *losers;   /* concurrent values that lost, in the order
	                         * found (none when no base was given); record_id
	                         * is the incoming state's */
	size_t nlosers;
	json_t *doc;            /* the record to store: answers and computed
	                         * fields, the form's, repeat items in their
	                         * canonical order */
	char state[16];         /* review state: draft, submitted, returned,
	                         * approved */
	char *comment;          /* review comment, or NULL */
	char *issues;           /* what the combination breaks in the form, or
	                         * NULL (docs/conflicts.md, rule 9) */
	json_t *changes;        /* SAOLA__MERGE_CHANGES: {path: value now, null
	                         * when removed} of the paths that changed,
	                         * "_deleted" true when the merge deleted */
	json_t *change_versions;/* their versions, with the default "_" */
	json_t *answers;        /* SAOLA__MERGE_CHANGES and created: the answers
	                         * as stored (nested), else NULL */
} saola__merge_out;

/* Merges incoming into stored (NULL: no such record stored yet), path by
 * path by version (docs/conflicts.md): the higher version wins, counter
 * then origin; a tombstone on either side deletes (the answers still
 * merge); the fields of a removed repeat item go with it. When base is
 * given ({path: the version the sender edited over}, "_deleted" included),
 * concurrent values that lost are listed in out->losers. The result, when
 * it changed, is rebuilt, validated and computed with f and params (the
 * standards and units the form reads; NULL: none, as for a form that
 * names no standard): a merge is kept with its issues, unless
 * SAOLA__MERGE_OWN_CREATION and no stored state, when it must pass the
 * form. Nothing is read or written but memory; the caller stores the
 * result, moves its clock past out->versions and reports the losers.
 * Returns SAOLA_OK; SAOLA_INVALID (err: "record ID: path: why"),
 * SAOLA_NOTFOUND (no standard covers the record's year) or SAOLA_NOMEM
 * ("merge: out of memory"), out then freed. */
int saola__merge_states(const saola__form *f, const saola__params_src *params,
                        const saola__rec_state *stored, const saola__rec_state *incoming,
                        const json_t *base, unsigned flags, saola__merge_out *out,
                        char *err, size_t errlen);

/* Frees what a merge produced and zeroes out (a zeroed out: a no-op). */
void saola__merge_out_free(saola__merge_out *out);

/* What one write changed in a record: the paths whose value or version
 * moved, as a merge says (the server's store audits it).
 * Everything is borrowed for the call. */
typedef struct saola__changes {
	const char *record_id;
	const saola__form *form;
	const json_t *answers;   /* a new record: its answers as stored
	                          * (saola__entered: nested, repeat items with
	                          * their "_id"), all at the default version
	                          * "_" but for those in values; else NULL */
	const json_t *values;    /* {path: value now}: paths as versions.h
	                          * flattens them (a field, an item
	                          * "members.<id>" true, an item's field),
	                          * "_state" and "_comment" (review), "_deleted"
	                          * (true: the tombstone); JSON null: removed or
	                          * cleared */
	const json_t *versions;  /* the versions of those paths: an own entry,
	                          * else "_" (the record's default) for a path
	                          * with a value (saola__changes_version) */
	int created;             /* this write created the record */
	int deleted;             /* the record is a tombstone after the write */
	const char *state;       /* the record's review state after the write */
} saola__changes;

/* The version of path in c: its own entry, else the record's default "_"
 * when the path has a value now; NULL when neither (an answer the form
 * cleared in a merge, as no longer relevant, without a version of its
 * own). Borrowed. */
const json_t *saola__changes_version(const saola__changes *c, const char *path);

/* A core handle's Lamport clock (the SQLite server store's clock is its
 * core database's): the next counter for a local edit (clock + 1, saved in
 * the same transaction as the edit), and the clock raised to counter if
 * it is higher (a change seen from another replica). */
int saola__tick(saola *db, int64_t *counter);
int saola__observe(saola *db, int64_t counter);

#endif
