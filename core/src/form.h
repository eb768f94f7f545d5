/* form.h: the form engine (compile a definition, validate answers, skip
 * logic, computed fields), internal. Format: docs/forms.md. */
#ifndef SAOLA_FORM_H
#define SAOLA_FORM_H

#include <stddef.h>
#include <jansson.h>

typedef struct saola__form saola__form;

/* Field types. */
typedef enum saola__ftype {
	SAOLA__F_TEXT, SAOLA__F_INTEGER, SAOLA__F_DECIMAL, SAOLA__F_BOOLEAN,
	SAOLA__F_SELECT_ONE, SAOLA__F_SELECT_MULTIPLE, SAOLA__F_DATE,
	SAOLA__F_NOTE, SAOLA__F_CALCULATE, SAOLA__F_GROUP, SAOLA__F_REPEAT
} saola__ftype;

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
/* The definition (borrowed). */
json_t *saola__form_def(const saola__form *f);
/* The standard family the form reads param() from, or NULL. */
const char *saola__form_standard(const saola__form *f);
/* The field whose value picks the standard's period ("survey_year" by
 * default when the form names a standard), or NULL. */
const char *saola__form_standard_year_field(const saola__form *f);

/* The type of a top-level field (a group's fields count as top-level), or
 * -1 when the form has no such field. */
int saola__form_field_type(const saola__form *f, const char *name);

/* 1 when name is a computed field (type calculate) at the top level or
 * inside a repeat, else 0. Computed fields are never versioned or merged. */
int saola__form_is_computed(const saola__form *f, const char *name);

/* Parameters of the standard in force for a record. */
typedef struct saola__params_src {
	/* Returns the params object (borrowed) of the standard of family whose
	 * years include year, or NULL when there is none. */
	json_t *(*lookup)(void *ctx, const char *family, json_int_t year);
	void *ctx;
} saola__params_src;

/* Validates the answers in data (borrowed: a whole record's entered fields,
 * repeat items with their "_id") and computes every calculated field, in
 * form order. On success *out is a new object: the relevant entered answers
 * (answers to questions that are not relevant are cleared), plus every
 * computed field (inside repeat items too). Values sent for computed fields
 * are ignored. today is "YYYY-MM-DD" or NULL for the system date.
 * On failure returns SAOLA_INVALID with err naming the path:
 *   "members[2].birth_year: expected integer, got \"abc\""
 *   "area: \"town\" is not a choice of list area"
 *   "income_per_capita: required"
 *   "house_area_m2: constraint failed: must be positive"
 *   "foo: unknown field"
 * and SAOLA_NOTFOUND when the form names a standard and none covers the
 * record's year ("survey_year: no standard vn-poverty covers 2031"). */
int saola__form_process(const saola__form *f, json_t *data,
                        const saola__params_src *params, const char *today,
                        json_t **out, char *err, size_t errlen);

#endif /* SAOLA_FORM_H */
