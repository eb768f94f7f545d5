/* expr.h: the form expression language (ODK/XLSForm syntax), internal. */
#ifndef SAOLA_EXPR_H
#define SAOLA_EXPR_H

#include <stddef.h>
#include <jansson.h>

#define SAOLA__EXPR_MAX_LEN   4096 /* bytes of source */
#define SAOLA__EXPR_MAX_DEPTH 64   /* nesting of parentheses, calls, operators */

typedef struct saola__expr saola__expr;

/* Parses src once. On success *out is a new expression (saola__expr_free).
 * On failure returns SAOLA_INVALID, *out = NULL, and err holds a lowercase
 * message that starts with the 1-based column: "column 7: expected ')'". */
int saola__expr_parse(const char *src, saola__expr **out, char *err,
                      size_t errlen);

/* Frees an expression. NULL is a no-op. */
void saola__expr_free(saola__expr *e);

/* Calls fn(ctx, name) for every ${name} in e (name without ${ }), and
 * fn(ctx, ".") for a use of the current value; stops and returns the first
 * non-zero value fn returns. Lets a form check its references once. */
int saola__expr_refs(const saola__expr *e,
                     int (*fn)(void *ctx, const char *name), void *ctx);

/* Calls fn(ctx, name) for every param('name') with a literal name. */
int saola__expr_params(const saola__expr *e,
                       int (*fn)(void *ctx, const char *name), void *ctx);

typedef struct saola__expr_env {
	/* Resolves ${name} (and "." for the current value). Returns a new
	 * reference, or NULL when the name is unknown (an evaluation error):
	 *  - a scalar: JSON null (unanswered), true/false, an integer, a real,
	 *    a string;
	 *  - an array of strings: a select_multiple answer;
	 *  - with *nodeset set to 1: an array of values, one per repeat item
	 *    (for a field inside a repeat seen from outside it; for the repeat
	 *    itself, one object per item). */
	json_t *(*resolve)(void *ctx, const char *name, int *nodeset);
	/* Resolves param('name'): a new reference (number, string, boolean or
	 * array of strings), or NULL when the standard has no such parameter. */
	json_t *(*param)(void *ctx, const char *name);
	void *ctx;
	/* "YYYY-MM-DD" returned by today(); NULL: the system's local date. */
	const char *today;
} saola__expr_env;

/* Evaluates e. On success *out is a new reference: JSON null (empty), a
 * boolean, a number (an integer when the value is integral and fits in
 * json_int_t, else a real; NaN is returned as JSON null), or a string.
 * On failure (unknown name, wrong argument count or type that XPath cannot
 * coerce) returns SAOLA_INVALID with a message in err. */
int saola__expr_eval(const saola__expr *e, const saola__expr_env *env,
                     json_t **out, char *err, size_t errlen);

/* Evaluates e as a boolean by XPath's boolean() rules (empty string, 0 and
 * NaN are false; a non-empty nodeset is true). */
int saola__expr_eval_bool(const saola__expr *e, const saola__expr_env *env,
                          int *out, char *err, size_t errlen);

#endif /* SAOLA_EXPR_H */
