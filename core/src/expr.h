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

/* Calls fn(ctx, name) for every ${name} in e (name without ${ }),
 * fn(ctx, ".") for a use of the current value and fn(ctx, "..") for each
 * position(..) (the current repeat item); stops and returns the first
 * non-zero value fn returns. Lets a form check its references once. */
int saola__expr_refs(const saola__expr *e,
                     int (*fn)(void *ctx, const char *name), void *ctx);

/* Calls fn(ctx, name) for every param('name') with a literal name. */
int saola__expr_params(const saola__expr *e,
                       int (*fn)(void *ctx, const char *name), void *ctx);

/* Calls fn(ctx, field, repeat) for every indexed-repeat(${field},
 * ${repeat}, n) in e; stops and returns the first non-zero value fn
 * returns. Lets a form check that field is a field of repeat. */
int saola__expr_indexed(const saola__expr *e,
                        int (*fn)(void *ctx, const char *field, const char *repeat),
                        void *ctx);

/* Binds e to the form it is part of, once when the form is compiled:
 * ref(ctx, name, &ix) sets an index for each ${name}, param(ctx, name,
 * &ix) for each param('name') with a literal name; an index of -1 leaves
 * the name to be looked up as it is at run time. Evaluation with a
 * saola__expr_bound then asks by index, and looks no names up. A
 * callback returns SAOLA_OK, or a code that stops the binding and is
 * returned. Either callback may be NULL. */
int saola__expr_bind(saola__expr *e, int (*ref)(void *ctx, const char *name, int *ix),
                     int (*param)(void *ctx, const char *name, int *ix), void *ctx);

#define SAOLA__EXPR_CUR (-1) /* resolve_ix's index of the current value "." */

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
	/* unit_urban(code, year), unit_name(code, year) and
	 * unit_level_exists(level, year): fn is "urban", "name" or
	 * "level_exists", arg the code or level. *out: a new reference (a
	 * number or a string), or NULL for the empty string (an unknown unit,
	 * no units). Returns SAOLA_OK, or SAOLA_NOMEM. NULL: every call gives
	 * the empty string. */
	int (*unit)(void *ctx, const char *fn, const char *arg, json_int_t year, json_t **out);
	void *ctx;
	/* "YYYY-MM-DD" returned by today(); NULL: the system's local date. */
	const char *today;
	/* position(..): the number of the current repeat item, from 1; 0
	 * when there is none (an evaluation error). NULL: always 0. */
	size_t (*position)(void *ctx);
	/* indexed-repeat(${field}, ${repeat}, n): the value of field in item
	 * n (from 1) of repeat, a new reference as resolve gives a scalar,
	 * JSON null when repeat has no item n; NULL when field is not a
	 * field of repeat (an evaluation error). NULL: every call is one. */
	json_t *(*indexed)(void *ctx, const char *field, const char *repeat, size_t n);
} saola__expr_env;

/* The lookups of a bound expression (saola__expr_bind), by index. */
typedef struct saola__expr_bound {
	/* The value of the field with index ix, or of the current value when
	 * ix is SAOLA__EXPR_CUR, as env->resolve gives it but borrowed: it
	 * stays alive until the evaluation returns. When the callback had to
	 * make a new value it sets *owned to 1, and the engine releases it.
	 * NULL when there is no such value. */
	json_t *(*resolve_ix)(void *ctx, int ix, int *nodeset, int *owned);
	/* param('name') of a bound name, borrowed (alive until the evaluation
	 * returns), or NULL when the standard has none. */
	json_t *(*param_ix)(void *ctx, int ix);
	/* indexed-repeat() of bound names: as env->indexed, by the indexes
	 * of field and repeat, and borrowed (alive until the evaluation
	 * returns). NULL: env->indexed is asked by name. */
	json_t *(*indexed_ix)(void *ctx, int field, int repeat, size_t n);
	/* Optional: the integers 0 to nints - 1, made once; a result that is
	 * one of them is a new reference to it rather than a new value. */
	json_t *const *ints;
	int nints;
} saola__expr_bound;

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

/* saola__expr_eval and saola__expr_eval_bool with a bound expression's
 * lookups by index: a bound name goes to b (with env->ctx), the rest to
 * env. b NULL: as the functions above. */
int saola__expr_eval_b(const saola__expr *e, const saola__expr_env *env,
                       const saola__expr_bound *b, json_t **out, char *err,
                       size_t errlen);
int saola__expr_eval_bool_b(const saola__expr *e, const saola__expr_env *env,
                            const saola__expr_bound *b, int *out, char *err,
                            size_t errlen);

#ifdef SAOLA__EXPR_PRIVATE
/* Private to the engine's own files (core/src/expr*.c, which define
 * SAOLA__EXPR_PRIVATE): the parsed form, shared by parser and evaluator. */
#include <stdint.h>

enum saola__expr_op {
	OP_NUM, OP_STR, OP_REF, OP_CUR, OP_NEG, OP_CALL,
	OP_OR, OP_AND,                            /* n-ary, short-circuit */
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, /* binary */
	OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD    /* n-ary left folds */
};

enum saola__expr_fn {
	F_NOT, F_IF, F_SELECTED, F_COUNT_SELECTED, F_COUNT, F_SUM, F_MIN, F_MAX,
	F_ROUND, F_INT, F_NUMBER, F_STRING, F_STRING_LENGTH, F_CONCAT,
	F_COALESCE, F_TODAY, F_TRUE, F_FALSE, F_BOOLEAN, F_FLOOR, F_CEILING,
	F_ABS, F_CONTAINS, F_STARTS_WITH, F_SUBSTR, F_PARAM, F_UNIT_URBAN,
	F_UNIT_NAME, F_UNIT_LEVEL_EXISTS, F_POSITION, F_INDEXED_REPEAT, F__COUNT
};

/* Names and argument counts (max -1: any), indexed by enum saola__expr_fn. */
extern const struct saola__expr_fninfo {
	const char *name;
	int min, max;
} saola__expr_fns[F__COUNT];

/* One node; operands are a list: kid is the first, next the following. */
typedef struct saola__expr_node {
	uint8_t op;    /* enum saola__expr_op */
	uint8_t fn;    /* OP_CALL: enum saola__expr_fn */
	int32_t kid;   /* first operand, -1 for none */
	int32_t next;  /* next operand of the parent, -1 for none */
	uint16_t n;    /* number of operands */
	uint16_t h;    /* height: 0 for a leaf */
	int32_t ix;    /* OP_REF, and OP_CALL of param(): the index bound by
	                * saola__expr_bind, or -1 */
	union {
		double num;                      /* OP_NUM */
		struct { uint32_t off, len; } s; /* OP_STR, OP_REF: in pool */
	} u;
} saola__expr_node;

struct saola__expr {
	const char *pool; /* string literals and names, each NUL-terminated */
	int32_t root;
	int32_t nnodes;
	saola__expr_node nodes[];
};

/* Allocation through jansson's allocator, so that one hook
 * (json_set_alloc_funcs) controls every allocation of the engine. */
void *saola__expr_malloc(size_t size);
void saola__expr_mfree(void *ptr);

#define SAOLA__EXPR_NUMBUF 32 /* longest number text + NUL */

/* The value of n bytes of digits with at most one '.' (locale-independent). */
double saola__expr_dec(const char *s, size_t n);
/* XPath's number() of a string, with ODK's "YYYY-MM-DD" as days since
 * 1970-01-01; NaN when it is not a number. */
double saola__expr_str_num(const char *s, size_t n);
/* Writes x as ECMAScript prints numbers (NaN, Infinity, shortest digits);
 * returns the length. */
size_t saola__expr_fmt_num(double x, char nb[SAOLA__EXPR_NUMBUF]);
/* x rounded to places decimals, halves toward +infinity. */
double saola__expr_round(double x, double places);

/* The offset of the first byte of s that is not valid UTF-8, or len. */
size_t saola__expr_utf8_check(const unsigned char *s, size_t len);
/* Characters (code points) in valid UTF-8. */
size_t saola__expr_utf8_count(const char *s, size_t len);
/* The byte offset of character k (at most the count) of valid UTF-8. */
size_t saola__expr_utf8_offset(const char *s, size_t len, size_t k);
/* The text of a scalar JSON value: a string, a number (its digits go to
 * nb), true or false, or "" for anything else. */
size_t saola__expr_scalar_text(json_t *j, char nb[SAOLA__EXPR_NUMBUF],
                               const char **s);
/* A list's values joined by single spaces: *out is new memory (freed with
 * saola__expr_mfree), or NULL for an empty list. */
int saola__expr_join(json_t *a, char **out, size_t *len);

static inline int saola__expr_is_space(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static inline int saola__expr_is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static inline int saola__expr_is_name_start(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static inline int saola__expr_is_name_char(int ch)
{
	return saola__expr_is_name_start(ch) || saola__expr_is_digit(ch) ||
	       ch == '-' || ch == '.';
}
#endif /* SAOLA__EXPR_PRIVATE */

#endif /* SAOLA_EXPR_H */
