/* interview_text.c: answers as a person gives them (typed text turned into
 * a value of the question's type, values checked for their type and
 * choices) and the interview's messages in Vietnamese and English. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interview.h"

static const char *const texts[IVM__COUNT][2] = {
	[IVM_NOT_INT] = {"Cần một số nguyên, chỉ gồm chữ số", "expected a whole number, digits only"},
	[IVM_NOT_NUM] = {"Cần một số (ví dụ 30 hoặc 30,5)", "expected a number (e.g. 30 or 30.5)"},
	[IVM_NOT_DATE] = {"Cần một ngày dạng YYYY-MM-DD (ví dụ 2025-09-01)",
	                  "expected a date YYYY-MM-DD (e.g. 2025-09-01)"},
	[IVM_NOT_YESNO] = {"Trả lời c (có) hoặc k (không)", "answer y (yes) or n (no)"},
	[IVM_NOT_CHOICE] = {"\"%s\" không phải một lựa chọn: chọn số từ 1 đến %d",
	                    "\"%s\" is not a choice: pick a number from 1 to %d"},
	[IVM_ONE_ONLY] = {"Chỉ chọn một", "pick only one"},
	[IVM_TWICE] = {"\"%s\" được chọn hai lần", "\"%s\" is chosen twice"},
	[IVM_BAD_TEXT] = {"Chữ không hợp lệ (không phải UTF-8)", "not valid UTF-8 text"},
	[IVM_TOO_LONG] = {"Dài quá: tối đa %zu ký tự", "too long: at most %zu characters"},
	[IVM_REQUIRED] = {"câu hỏi bắt buộc, cần có câu trả lời", "an answer is required"},
	[IVM_CONSTRAINT] = {"Câu trả lời không hợp lệ", "the answer is not accepted"},
	[IVM_PLACE] = {"Địa bàn không đúng với danh mục đơn vị hành chính của năm rà soát (%s)",
	               "this place does not match the year's administrative units (%s)"},
	[IVM_NO_STANDARD] = {"Không có chuẩn nghèo nào áp dụng cho năm này (%s)",
	                     "no poverty standard covers this year (%s)"},
	[IVM_NEED_ITEM] = {"%s: cần ít nhất một mục", "%s: at least one is required"},
	[IVM_NOT_ASKED] = {"%s: câu này không nhập được (tự tính hoặc là nhóm)",
	                   "%s: this is not answered (computed, or a group)"},
	[IVM_NO_WARNING] = {"%s: không có cảnh báo nào cần xác nhận",
	                    "%s: there is no warning to confirm"},
	[IVM_NOT_PLACE] = {"trường %d không phải câu hỏi địa bàn", "field %d is not a place"},
	[IVM_NO_YEAR] = {"Cần trả lời năm rà soát trước", "answer the survey year first"},
	[IVM_FIX] = {"Cần sửa: %s", "to fix: %s"},
};

const char *iv_text(const saola_interview *iv, iv_msg m)
{
	return texts[m][strcmp(iv->lang, "en") == 0];
}

/* ------------------------------------------------------------------ */
/* Values                                                              */

static const char *choice_value(const iv_field *f, size_t c)
{
	return json_string_value(json_object_get(json_array_get(f->choices, c), "value"));
}

/* The index of choice value v of field f, or -1. */
static long choice_of(const iv_field *f, const char *v)
{
	size_t i;

	for (i = 0; v && i < json_array_size(f->choices); i++)
		if (strcmp(choice_value(f, i), v) == 0)
			return (long)i;
	return -1;
}

static int date_ok(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int i, y, m, d;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return 0;
	if (s[10])
		return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

/* A select_multiple answer: an array of distinct choices. */
static int check_multi(saola_interview *iv, const iv_field *f, json_t *value)
{
	json_t *e;
	size_t i, j;

	if (!json_is_array(value))
		return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_NOT_CHOICE), "?", f->pub.nchoices);
	json_array_foreach(value, i, e) {
		if (choice_of(f, json_string_value(e)) < 0)
			return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_NOT_CHOICE),
			               json_is_string(e) ? json_string_value(e) : "?", f->pub.nchoices);
		for (j = 0; j < i; j++)
			if (json_equal(json_array_get(value, j), e))
				return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_TWICE),
				               json_string_value(e));
	}
	return SAOLA_OK;
}

int iv_check_type(saola_interview *iv, const iv_field *f, json_t *value)
{
	const char *s = json_string_value(value);
	char err[256];

	switch (f->fi.type) {
	case SAOLA__F_INTEGER:
		return json_is_integer(value) ? SAOLA_OK
		       : iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_NOT_INT));
	case SAOLA__F_DECIMAL:
		return json_is_number(value) ? SAOLA_OK
		       : iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_NOT_NUM));
	case SAOLA__F_BOOLEAN:
		return json_is_boolean(value) ? SAOLA_OK
		       : iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_NOT_YESNO));
	case SAOLA__F_DATE:
		return s && date_ok(s) ? SAOLA_OK
		       : iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_NOT_DATE));
	case SAOLA__F_SELECT_ONE:
		return choice_of(f, s) >= 0 ? SAOLA_OK
		       : iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_NOT_CHOICE), s ? s : "?",
		                 f->pub.nchoices);
	case SAOLA__F_SELECT_MULTIPLE:
		return check_multi(iv, f, value);
	default:
		if (!s)
			return iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_BAD_TEXT));
		if (saola__form_check_text(iv->form, f->fi.name, s, json_string_length(value), err,
		                           sizeof err) != SAOLA_OK)
			return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_TOO_LONG),
			               saola__form_text_max(iv->form, f->fi.name));
		return SAOLA_OK;
	}
}

/* ------------------------------------------------------------------ */
/* Typed text                                                          */

static int is_one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

static const char *const yes_words[] = {"c", "C", "có", "Có", "co", "y", "Y", "yes", "1",
                                        "true", NULL};
static const char *const no_words[] = {"k", "K", "không", "Không", "khong", "n", "N", "no",
                                       "0", "false", NULL};

/* A whole number, digits optionally grouped by 3 with '.', ',' or ' '
 * (1.350.000 as written in Vietnam). */
static int parse_int(const char *s, json_int_t *out)
{
	json_int_t v = 0;
	int neg = 0, run = 0, groups = 0, digits = 0;
	char sep = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9') {
			if (v > (LLONG_MAX - (*s - '0')) / 10)
				return -1;
			v = v * 10 + (*s - '0');
			run++;
			digits++;
			continue;
		}
		if ((*s != '.' && *s != ',' && *s != ' ') || (sep && *s != sep) ||
		    run == 0 || (groups && run != 3) || run > 3)
			return -1;
		sep = *s;
		groups++;
		run = 0;
	}
	if (!digits || (groups && run != 3))
		return -1;
	*out = neg ? -v : v;
	return 0;
}

/* A decimal number: digits with one '.' or ',' as the decimal point. */
static int parse_dec(const char *s, double *out)
{
	char buf[64], *end;
	size_t i, n = strlen(s);
	int point = 0, digits = 0;

	if (n == 0 || n >= sizeof buf)
		return -1;
	for (i = 0; i < n; i++) {
		buf[i] = s[i] == ',' ? '.' : s[i];
		if (buf[i] >= '0' && buf[i] <= '9')
			digits++;
		else if (buf[i] == '.' && !point++)
			;
		else if (!(i == 0 && (buf[i] == '-' || buf[i] == '+')))
			return -1;
	}
	buf[n] = '\0';
	if (!digits)
		return -1;
	errno = 0;
	*out = strtod(buf, &end);
	return *end || errno == ERANGE ? -1 : 0;
}

/* The index of a choice given by its number (1-based) or its value, or -1. */
static long choice_index(const iv_field *f, const char *tok, size_t len)
{
	size_t n = json_array_size(f->choices), i;
	const char *v;
	char *end;
	long k;

	if (len > 0 && tok[0] >= '0' && tok[0] <= '9') {
		k = strtol(tok, &end, 10);
		if ((size_t)(end - tok) == len && k >= 1 && (size_t)k <= n)
			return k - 1;
	}
	for (i = 0; i < n; i++) {
		v = choice_value(f, i);
		if (v && strlen(v) == len && strncmp(v, tok, len) == 0)
			return (long)i;
	}
	return -1;
}

/* Splits a select_multiple answer into choices, in the list's order. */
static int parse_multi(saola_interview *iv, const iv_field *f, const char *s, json_t **out)
{
	size_t n = json_array_size(f->choices), i, len;
	unsigned char picked[1024] = {0};
	char tok[64];
	long k;

	*out = NULL;
	while (*s) {
		while (*s == ' ' || *s == ',' || *s == ';' || *s == '\t')
			s++;
		if (!*s)
			break;
		len = strcspn(s, " ,;\t");
		snprintf(tok, sizeof tok, "%.*s", (int)(len < 60 ? len : 60), s);
		if ((k = choice_index(f, s, len)) < 0 || k >= (long)sizeof picked)
			return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_NOT_CHOICE), tok, (int)n);
		if (picked[k])
			return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_TWICE), tok);
		picked[k] = 1;
		s += len;
	}
	if (!(*out = json_array()))
		return iv_fail(iv, SAOLA_NOMEM, "out of memory");
	for (i = 0; i < n && i < sizeof picked; i++)
		if (picked[i] && json_array_append_new(*out, json_string(choice_value(f, i)))) {
			json_decref(*out);
			*out = NULL;
			return iv_fail(iv, SAOLA_NOMEM, "out of memory");
		}
	return SAOLA_OK;
}

static int parse_one(saola_interview *iv, const iv_field *f, const char *s, json_t **out)
{
	long k = choice_index(f, s, strlen(s));

	if (k >= 0) {
		*out = json_string(choice_value(f, (size_t)k));
		return *out ? SAOLA_OK : iv_fail(iv, SAOLA_NOMEM, "out of memory");
	}
	/* "1 2": several choices where one is wanted */
	if (parse_multi(iv, f, s, out) == SAOLA_OK && json_array_size(*out) > 1) {
		json_decref(*out);
		*out = NULL;
		return iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_ONE_ONLY));
	}
	json_decref(*out);
	*out = NULL;
	return iv_fail(iv, SAOLA_INVALID, iv_text(iv, IVM_NOT_CHOICE), s, f->pub.nchoices);
}

/* Turns text s into a value of f's type: *out a new reference. */
static int parse(saola_interview *iv, const iv_field *f, const char *s, json_t **out)
{
	json_int_t n;
	double d;

	*out = NULL;
	switch (f->fi.type) {
	case SAOLA__F_INTEGER:
		if (parse_int(s, &n))
			return iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_NOT_INT));
		*out = json_integer(n);
		break;
	case SAOLA__F_DECIMAL:
		if (parse_dec(s, &d))
			return iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_NOT_NUM));
		*out = d == floor(d) && fabs(d) < 9007199254740992.0 ? json_integer((json_int_t)d)
		                                                     : json_real(d);
		break;
	case SAOLA__F_BOOLEAN:
		if (!is_one_of(s, yes_words) && !is_one_of(s, no_words))
			return iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_NOT_YESNO));
		*out = json_boolean(is_one_of(s, yes_words));
		break;
	case SAOLA__F_SELECT_ONE:
		return parse_one(iv, f, s, out);
	case SAOLA__F_SELECT_MULTIPLE:
		return parse_multi(iv, f, s, out);
	default:
		/* json_string refuses text that is not UTF-8. */
		if (!(*out = json_string(s)))
			return iv_fail(iv, SAOLA_INVALID, "%s", iv_text(iv, IVM_BAD_TEXT));
		return SAOLA_OK;
	}
	return *out ? SAOLA_OK : iv_fail(iv, SAOLA_NOMEM, "out of memory");
}

int saola_interview_set_text(saola_interview *iv, int i, int k, const char *text)
{
	json_t *v = NULL;
	int rc;

	if (i < 0 || i >= iv->nf)
		return iv_fail(iv, SAOLA_NOTFOUND, "no field %d", i);
	if (text && *text && strcmp(text, "-") != 0 && (rc = parse(iv, &iv->f[i], text, &v)))
		return rc;
	/* nothing chosen: an answer ("none"), not a cleared one */
	if (!v && iv->f[i].fi.type == SAOLA__F_SELECT_MULTIPLE && text && !(v = json_array()))
		return iv_fail(iv, SAOLA_NOMEM, "out of memory");
	rc = saola_interview_set(iv, i, k, v);
	json_decref(v);
	return rc;
}

int saola_yes_no(const char *text)
{
	if (!text)
		return -1;
	return is_one_of(text, yes_words) ? 1 : is_one_of(text, no_words) ? 0 : -1;
}
