/* report_format.c: reports as CSV for spreadsheets (UTF-8 with a byte
 * order mark, one row per unit) and as aligned text tables for a terminal. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* ------------------------------------------------------------------ */
/* Buffers. */

int saola__buf_add(saola__buf *b, const char *s, size_t n)
{
	if (b->oom)
		return -1;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(p = realloc(b->p, cap))) {
			b->oom = 1;
			return -1;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int saola__buf_printf(saola__buf *b, const char *fmt, ...)
{
	char small[256], *big;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof small)
		return saola__buf_add(b, small, (size_t)n);
	if (!(big = malloc((size_t)n + 1))) {
		b->oom = 1;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = saola__buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

void saola__buf_free(saola__buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

int saola__csv_field(saola__buf *b, const char *s)
{
	const char *p;
	int formula;

	if (!s)
		return 0;
	/* OWASP's advice on CSV injection: a leading ' makes the cell text. */
	formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
	          s[0] == '\r';
	if (!strpbrk(s, ",\"\r\n") && s[0] != ' ')
		return (formula && saola__buf_add(b, "'", 1)) || saola__buf_add(b, s, strlen(s));
	if (saola__buf_add(b, "\"", 1) || (formula && saola__buf_add(b, "'", 1)))
		return -1;
	for (p = s; *p; p++)
		if ((*p == '"' && saola__buf_add(b, "\"\"", 2)) || (*p != '"' && saola__buf_add(b, p, 1)))
			return -1;
	return saola__buf_add(b, "\"", 1);
}

/* A value as text, the same as its JSON: integers, fractions to 12
 * significant digits, true/false; "" for null. */
static void value_text(const json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.12g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else
		buf[0] = '\0';
}

/* ------------------------------------------------------------------ */
/* CSV. */

static const char *ustr(const json_t *unit, const char *key)
{
	return json_string_value(json_object_get(unit, key));
}

/* The key that matches a unit's rows across reports. */
static void unit_key(const json_t *unit, char *buf, size_t len)
{
	snprintf(buf, len, "%s\x1f%s", ustr(unit, "code") ? ustr(unit, "code") : "\x7f",
	         ustr(unit, "village") ? ustr(unit, "village") : "");
}

/* The Vietnamese of a level. */
static const char *level_vi(const char *level)
{
	static const char *const names[][2] = {{"province", "tỉnh"}, {"district", "huyện"},
		{"commune", "xã"}, {"village", "thôn"}, {"total", "tổng cộng"}, {"all", "toàn bộ"}};
	size_t i;

	for (i = 0; level && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i][0], level) == 0)
			return names[i][1];
	return level;
}

static int csv_unit(saola__buf *b, const json_t *unit, int total, int vi)
{
	const char *level = total ? "total" : ustr(unit, "level");

	if (vi)
		level = level_vi(level);

	return saola__csv_field(b, level) || saola__buf_add(b, ",", 1) ||
	       saola__csv_field(b, ustr(unit, "code")) || saola__buf_add(b, ",", 1) ||
	       saola__csv_field(b, ustr(unit, "name")) || saola__buf_add(b, ",", 1) ||
	       saola__csv_field(b, ustr(unit, "village"));
}

/* The row of rep for unit key, or NULL. */
static json_t *find_row(const json_t *rep, const char *key)
{
	json_t *row;
	char k[512];
	size_t i;

	json_array_foreach(json_object_get(rep, "rows"), i, row) {
		unit_key(json_object_get(row, "unit"), k, sizeof k);
		if (strcmp(k, key) == 0)
			return row;
	}
	return NULL;
}

static int is_fraction(const json_t *col)
{
	return strcmp(ustr(col, "type"), "rate") == 0 || strcmp(ustr(col, "type"), "share") == 0;
}

static int csv_values(saola__buf *b, const json_t *rep, const json_t *row)
{
	json_t *col;
	char text[128];
	size_t i;

	json_array_foreach(json_object_get(rep, "columns"), i, col) {
		json_t *v = json_object_get(row, ustr(col, "key"));
		if (json_is_number(v) && is_fraction(col))
			snprintf(text, sizeof text, "%.2f", json_number_value(v) * 100);
		else if (json_is_real(v))
			snprintf(text, sizeof text, "%.0f", json_real_value(v));
		else
			value_text(v, text, sizeof text);
		/* Numbers the server computed, as they are: a minus sign there is
		 * no formula; text goes through the guard. */
		if (saola__buf_add(b, ",", 1) || (json_is_number(v) ? saola__buf_add(b, text,
		                                  strlen(text)) : saola__csv_field(b, text)))
			return -1;
	}
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The header of the unit columns. */
static int csv_unit_head(saola__buf *b, const json_t *rep, int vi)
{
	const char *by = ustr(rep, "by");
	const char *v = !by ? "đơn vị" : strcmp(by, "province") == 0 ? "tỉnh"
	              : strcmp(by, "district") == 0 ? "huyện" : "xã";
	char head[160];

	if (!vi)
		return saola__buf_add(b, "level,code,name,village", 23);
	snprintf(head, sizeof head, "Cấp,Mã %s,Tên %s,Thôn", v, v);
	return saola__buf_add(b, head, strlen(head));
}

/* The short Vietnamese name of a report, which prefixes its labels in the
 * "all" CSV ("Tổng hợp: ..."); the name itself when unknown. */
static const char *report_vi(const char *name)
{
	static const char *const names[][2] = {
		{"summary", "Tổng hợp"}, {"indicators", "Chỉ số"}, {"causes", "Nguyên nhân"},
		{"coverage", "Chính sách"}, {"transitions", "Biến động"}, {"progress", "Tiến độ"},
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i][0], name) == 0)
			return names[i][1];
	return name;
}

/* A column's header: key, or its Vietnamese label; in the "all" CSV (a
 * report's name) always prefixed by the report, "summary.poor" or "Tổng
 * hợp: Hộ nghèo", as reports share keys and labels; (%) after a rate. */
static int csv_head(saola__buf *b, const char *name, const json_t *col, int vi)
{
	char head[400];

	snprintf(head, sizeof head, "%s%s%s%s", !*name ? "" : vi ? report_vi(name) : name,
	         !*name ? "" : vi ? ": " : ".", vi ? ustr(col, "vi") : ustr(col, "key"),
	         is_fraction(col) ? " (%)" : "");
	return saola__buf_add(b, ",", 1) || saola__csv_field(b, head);
}

int saola__report_csv(const json_t *rep, int vi, saola__buf *b)
{
	json_t *reports = json_object_get(rep, "reports"), *wrapped = NULL, *one, *row;
	json_t *units = json_object();
	const char **keys = NULL, *name;
	size_t i, j, n;
	char k[512];
	int rc = -1;

	/* The reports side by side ("all"), or the one alone. */
	if (!reports && !(reports = wrapped = json_pack("{s:O}", "", (json_t *)rep)))
		goto out;
	if (!units || saola__buf_add(b, "\xef\xbb\xbf", 3) || csv_unit_head(b, rep, vi))
		goto out;
	json_object_foreach(reports, name, one) {
		json_t *col;
		json_array_foreach(json_object_get(one, "columns"), i, col)
			if (csv_head(b, name, col, vi))
				goto out;
		json_array_foreach(json_object_get(one, "rows"), i, row) {
			unit_key(json_object_get(row, "unit"), k, sizeof k);
			if (!json_object_get(units, k) &&
			    json_object_set(units, k, json_object_get(row, "unit")) != 0)
				goto out;
		}
	}
	if (saola__buf_add(b, "\r\n", 2))
		goto out;
	n = json_object_size(units);
	if (!(keys = malloc((n ? n : 1) * sizeof *keys)))
		goto out;
	i = 0;
	json_object_foreach(units, name, one)
		keys[i++] = name;
	qsort(keys, n, sizeof *keys, cmp_keys);
	for (j = 0; j <= n; j++) {
		const json_t *unit = j < n ? json_object_get(units, keys[j])
		                           : json_object_get(rep, "area");
		if (csv_unit(b, unit, j == n, vi))
			goto out;
		json_object_foreach(reports, name, one) {
			row = j < n ? find_row(one, keys[j]) : json_object_get(one, "total");
			if (csv_values(b, one, row) != 0)
				goto out;
		}
		if (saola__buf_add(b, "\r\n", 2))
			goto out;
	}
	rc = 0;
out:
	free(keys);
	json_decref(units);
	json_decref(wrapped);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Tables. */

/* Display width: code points (the Vietnamese alphabet is precomposed). */
static int width(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void group_digits(long long v, char *buf, size_t len)
{
	char raw[32], *o = buf;
	int n, i, neg = v < 0;

	snprintf(raw, sizeof raw, "%lld", neg ? -v : v);
	n = (int)strlen(raw);
	if (len < (size_t)n + (size_t)n / 3 + 2) {
		snprintf(buf, len, "%lld", v);
		return;
	}
	if (neg)
		*o++ = '-';
	for (i = 0; i < n; i++) {
		*o++ = raw[i];
		if ((n - i - 1) % 3 == 0 && i < n - 1)
			*o++ = ',';
	}
	*o = '\0';
}

/* A cell of a table: counts grouped by thousands, fractions as percent. */
static void cell(const json_t *col, const json_t *v, char *buf, size_t len)
{
	const char *type = ustr(col, "type");

	if (json_is_null(v) || !v)
		snprintf(buf, len, "-");
	else if (json_is_integer(v))
		group_digits((long long)json_integer_value(v), buf, len);
	else if (json_is_real(v) && (strcmp(type, "rate") == 0 || strcmp(type, "share") == 0))
		snprintf(buf, len, "%.2f%%", json_real_value(v) * 100);
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "yes" : "no");
	else
		value_text(v, buf, len);
}

static void pad(FILE *f, int n)
{
	while (n-- > 0)
		fputc(' ', f);
}

static const char *const titles[][3] = {
	{"summary", "Tổng hợp kết quả rà soát", "Households surveyed and their class"},
	{"indicators", "Hộ thiếu hụt theo chỉ số", "Households deprived on each indicator"},
	{"causes", "Hộ nghèo theo nguyên nhân", "Poor households by cause"},
	{"coverage", "Hộ nghèo, cận nghèo được hưởng chính sách",
	 "Policy coverage of poor and near-poor households"},
	{"transitions", "Biến động hộ nghèo, cận nghèo", "Year over year transitions"},
	{"progress", "Tiến độ thực hiện mục tiêu giảm nghèo", "Progress toward the target"},
};

/* What the figures stand on: the states counted, the communes reported
 * and the households surveyed against listed. */
static void coverage_line(const json_t *rep, FILE *f)
{
	const json_t *c = json_object_get(rep, "completeness");
	const json_t *listed = json_object_get(c, "households_listed");
	char a[32], b[32];

	fprintf(f, "state: %s%s\n", ustr(rep, "state") ? ustr(rep, "state") : "approved",
	        ustr(rep, "state") && strcmp(ustr(rep, "state"), "approved") == 0
	        ? " (official figures)" : " (not the official figures)");
	if (!c) {
		fputc('\n', f);
		return;
	}
	group_digits((long long)json_integer_value(json_object_get(c, "households_surveyed")), a,
	             sizeof a);
	fprintf(f, "coverage: %lld of %lld communes reported, %lld complete; %s households surveyed",
	        (long long)json_integer_value(json_object_get(c, "communes_reported")),
	        (long long)json_integer_value(json_object_get(c, "communes")),
	        (long long)json_integer_value(json_object_get(c, "communes_complete")), a);
	if (json_is_integer(listed)) {
		group_digits((long long)json_integer_value(listed), b, sizeof b);
		fprintf(f, " of %s listed (%.1f%%)\n\n", b,
		        100 * json_number_value(json_object_get(c, "share")));
	} else {
		fprintf(f, ", households listed not known (saola-server listed load)\n\n");
	}
}

static void table_one(const json_t *rep, FILE *f)
{
	json_t *cols = json_object_get(rep, "columns"), *rows = json_object_get(rep, "rows");
	json_t *col, *row, *note;
	const char *name = ustr(rep, "report");
	int w[64], lw = 4, ncols = 0, i;
	size_t ci, ri;
	char buf[64];

	for (i = 0; i < (int)(sizeof titles / sizeof titles[0]); i++)
		if (strcmp(titles[i][0], name) == 0)
			fprintf(f, "%s / %s\n", titles[i][1], titles[i][2]);
	fprintf(f, "%s, %lld", ustr(json_object_get(rep, "area"), "label"),
	        (long long)json_integer_value(json_object_get(rep, "year")));
	if (json_object_get(rep, "from_year"))
		fprintf(f, " (from %lld)", (long long)json_integer_value(json_object_get(rep, "from_year")));
	fprintf(f, ", by %s\n", ustr(rep, "by"));
	coverage_line(rep, f);
	json_array_foreach(rows, ri, row)
		if (width(ustr(json_object_get(row, "unit"), "label")) > lw)
			lw = width(ustr(json_object_get(row, "unit"), "label"));
	json_array_foreach(cols, ci, col) {
		if (!*ustr(col, "short") || ncols == 64)
			continue;
		w[ncols] = width(ustr(col, "short"));
		json_array_foreach(rows, ri, row) {
			cell(col, json_object_get(row, ustr(col, "key")), buf, sizeof buf);
			if (width(buf) > w[ncols])
				w[ncols] = width(buf);
		}
		cell(col, json_object_get(json_object_get(rep, "total"), ustr(col, "key")), buf,
		     sizeof buf);
		if (width(buf) > w[ncols])
			w[ncols] = width(buf);
		ncols++;
	}
	fprintf(f, "%s", "Unit");
	pad(f, lw - 4);
	i = 0;
	json_array_foreach(cols, ci, col) {
		if (!*ustr(col, "short") || i == ncols)
			continue;
		pad(f, 2 + w[i] - width(ustr(col, "short")));
		fprintf(f, "%s", ustr(col, "short"));
		i++;
	}
	fputc('\n', f);
	for (ri = 0; ri <= json_array_size(rows); ri++) {
		const json_t *r = ri < json_array_size(rows) ? json_array_get(rows, ri)
		                                             : json_object_get(rep, "total");
		const char *label = ri < json_array_size(rows) ? ustr(json_object_get(r, "unit"), "label")
		                                               : "Tổng / Total";
		if (ri == json_array_size(rows)) {
			int total = lw;
			for (i = 0; i < ncols; i++)
				total += 2 + w[i];
			for (i = 0; i < total; i++)
				fputc('-', f);
			fputc('\n', f);
		}
		fprintf(f, "%s", label);
		pad(f, lw - width(label));
		i = 0;
		json_array_foreach(cols, ci, col) {
			if (!*ustr(col, "short") || i == ncols)
				continue;
			cell(col, json_object_get(r, ustr(col, "key")), buf, sizeof buf);
			pad(f, 2 + w[i] - width(buf));
			fprintf(f, "%s", buf);
			i++;
		}
		fputc('\n', f);
	}
	fputc('\n', f);
	json_array_foreach(cols, ci, col)
		if (*ustr(col, "short") && strcmp(ustr(col, "short"), ustr(col, "en")) != 0 &&
		    (!strstr(ustr(col, "short"), "%") || strstr(ustr(col, "key"), "_rate")))
			fprintf(f, "  %-9s %s (%s)\n", ustr(col, "short"), ustr(col, "vi"), ustr(col, "en"));
	if (json_object_get(rep, "series")) {
		fprintf(f, "  trend:");
		json_array_foreach(json_object_get(rep, "series"), ri, row) {
			group_digits((long long)json_integer_value(json_object_get(row, "poor")), buf,
			             sizeof buf);
			fprintf(f, " %lld: %s poor;", (long long)json_integer_value(json_object_get(row, "year")),
			        buf);
		}
		fprintf(f, " baseline year %lld, target year %lld\n",
		        (long long)json_integer_value(json_object_get(rep, "baseline_year")),
		        (long long)json_integer_value(json_object_get(rep, "target_year")));
	}
	note = json_object_get(json_object_get(json_object_get(rep, "total"), "status_text"), "en");
	if (note)
		fprintf(f, "  progress (total): %s\n", json_string_value(note));
	json_array_foreach(json_object_get(rep, "notes"), ri, note)
		fprintf(f, "  note: %s\n", ustr(note, "en"));
	fputc('\n', f);
}

int saola__report_table(const json_t *rep, FILE *f)
{
	json_t *reports = json_object_get(rep, "reports");
	int i;

	if (!reports) {
		table_one(rep, f);
	} else {
		for (i = 0; i < SAOLA__N_REPORTS; i++)
			if (json_object_get(reports, saola__report_names[i]))
				table_one(json_object_get(reports, saola__report_names[i]), f);
	}
	return ferror(f) ? -1 : 0;
}
