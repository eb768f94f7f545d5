/* dom_util.h: reading what a browser showed (the DOM chromium dumped after
 * the page's scripts ran) for dom_check: the figures of elements marked
 * data-fig="...", compared with the JSON the server answered. */
#ifndef DOM_UTIL_H
#define DOM_UTIL_H

#include <jansson.h>

extern char *dom;         /* the DOM, as dumped */
extern int failures, checked;

char *slurp(const char *path);
json_t *load(const char *path);
/* The text of the element with data-fig="fig" (up to its first tag), or
 * NULL when the page has none. Static storage. */
const char *shown(const char *fig);
/* The start tag of the element with data-fig="fig" ("<span ... >"), or
 * NULL. Static storage. */
const char *tag_of(const char *fig);
/* The value of attribute name in a start tag, or NULL. Static storage. */
const char *attr_in(const char *tag, const char *name);
/* The leading number of a shown text, its thousands separators (".")
 * dropped: "7.912 (2,5%)" is 7912. -1 when it holds none. */
long long leading(const char *s);
void expect_count(const char *fig, json_int_t want);
/* A figure that may be null: null must show as "—". */
void expect_count_or_null(const char *fig, const json_t *want);
/* A fraction shown as a percentage with one decimal ("1,2%"), or "—". */
void expect_share(const char *fig, const json_t *want);
void fail(const char *fmt, ...);
/* Occurrences of needle in the DOM. */
int occurrences(const char *needle);

#endif
