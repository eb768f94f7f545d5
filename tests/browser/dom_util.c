/* dom_util.c: reading the figures a browser showed (dom_util.h). */
#include "dom_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *dom;
int failures, checked;

char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "dom_check: %s: cannot read it\n", path);
		exit(1);
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

json_t *load(const char *path)
{
	json_error_t e;
	json_t *v = json_load_file(path, 0, &e);

	if (!v) {
		fprintf(stderr, "dom_check: %s: line %d: %s\n", path, e.line, e.text);
		exit(1);
	}
	return v;
}

void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("dom_check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	failures++;
}

/* Where data-fig="fig" is in the DOM, or NULL. */
static const char *find_fig(const char *fig)
{
	char attr[300];

	snprintf(attr, sizeof attr, "data-fig=\"%s\"", fig);
	return strstr(dom, attr);
}

const char *shown(const char *fig)
{
	static char text[256];
	const char *p = find_fig(fig), *end;
	size_t n;

	if (!p || !(p = strchr(p, '>')))
		return NULL;
	p++;
	end = strchr(p, '<');
	n = end ? (size_t)(end - p) : strlen(p);
	if (n >= sizeof text)
		n = sizeof text - 1;
	memcpy(text, p, n);
	text[n] = '\0';
	return text;
}

const char *tag_of(const char *fig)
{
	static char tag[1024];
	const char *at = find_fig(fig), *start, *end;
	size_t n;

	if (!at)
		return NULL;
	for (start = at; start > dom && *start != '<'; start--)
		;
	if (!(end = strchr(at, '>')))
		return NULL;
	n = (size_t)(end - start) + 1;
	if (n >= sizeof tag)
		n = sizeof tag - 1;
	memcpy(tag, start, n);
	tag[n] = '\0';
	return tag;
}

const char *attr_in(const char *tag, const char *name)
{
	static char value[256];
	char key[128];
	const char *p, *end;
	size_t n;

	snprintf(key, sizeof key, " %s=\"", name);
	if (!tag || !(p = strstr(tag, key)))
		return NULL;
	p += strlen(key);
	if (!(end = strchr(p, '"')))
		return NULL;
	n = (size_t)(end - p);
	if (n >= sizeof value)
		n = sizeof value - 1;
	memcpy(value, p, n);
	value[n] = '\0';
	return value;
}

long long leading(const char *s)
{
	long long v = 0;
	int any = 0;

	for (; *s == ' '; s++)
		;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			v = v * 10 + (*s - '0');
			any = 1;
		} else if (*s != '.') {
			break;
		}
	}
	return any ? v : -1;
}

void expect_count(const char *fig, json_int_t want)
{
	const char *text = shown(fig);

	checked++;
	if (!text)
		fail("%s: not on the page", fig);
	else if (leading(text) != want)
		fail("%s: the page shows \"%s\", the report says %lld", fig, text, (long long)want);
}

void expect_count_or_null(const char *fig, const json_t *want)
{
	const char *text;

	if (json_is_integer(want)) {
		expect_count(fig, json_integer_value(want));
		return;
	}
	checked++;
	if (!(text = shown(fig)))
		fail("%s: not on the page", fig);
	else if (strcmp(text, "—") != 0)
		fail("%s: the page shows \"%s\", the report says null (\"—\")", fig, text);
}

void expect_share(const char *fig, const json_t *want)
{
	const char *text = shown(fig);
	char expect[64], *dot;

	checked++;
	if (json_is_number(want)) {
		snprintf(expect, sizeof expect, "%.1f%%", json_number_value(want) * 100);
		if ((dot = strchr(expect, '.')))
			*dot = ',';
	} else {
		snprintf(expect, sizeof expect, "—");
	}
	if (!text)
		fail("%s: not on the page", fig);
	else if (strcmp(text, expect) != 0)
		fail("%s: the page shows \"%s\", the report says \"%s\"", fig, text, expect);
}

int occurrences(const char *needle)
{
	const char *p = dom;
	int n = 0;

	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}
