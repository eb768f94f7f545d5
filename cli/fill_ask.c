/* fill_ask.c: the prompts of 'saola fill': reading lines and commands,
 * showing a question, and turning a typed line into an answer of the
 * question's type, in Vietnamese or English. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fill.h"

static const char *const texts[M__COUNT][2] = {
	[M_INTRO] = {"%s (%s %s)\nGõ ? để xem trợ giúp, < để quay lại câu trước, q để thoát.\n",
	             "%s (%s %s)\nType ? for help, < to go back, q to quit.\n"},
	[M_EDIT] = {"Sửa hộ %s: câu trả lời hiện tại trong [ ], Enter để giữ.\n",
	            "Editing %s: current answers in [ ]; Enter keeps them.\n"},
	[M_HELP] = {"Lệnh, gõ được ở mọi câu hỏi:\n"
	            "  <  hoặc  quay lại   về câu hỏi trước\n"
	            "  ?                   trợ giúp này\n"
	            "  q  hoặc  thoát      thoát, không lưu\n"
	            "  Enter               giữ câu trả lời trong [ ]; bỏ qua câu không bắt buộc\n"
	            "  -                   xoá câu trả lời (câu không bắt buộc)\n"
	            "  \\...                ghi đúng phần sau dấu \\ (ví dụ \\q)\n"
	            "Trả lời: c (có) hoặc k (không); số thứ tự của lựa chọn (hoặc mã);\n"
	            "nhiều lựa chọn: các số cách nhau bởi dấu cách hoặc dấu phẩy.\n",
	            "Commands, at any question:\n"
	            "  <  or  back     back to the previous question\n"
	            "  ?               this help\n"
	            "  q  or  quit     quit without saving\n"
	            "  Enter           keep the answer in [ ]; skip a question that is optional\n"
	            "  -               clear the answer (an optional question)\n"
	            "  \\...            take what follows \\ as it is (e.g. \\q)\n"
	            "Answers: y (yes) or n (no); a choice's number (or its code);\n"
	            "several choices: numbers separated by spaces or commas.\n"},
	[M_T_INT] = {"số nguyên", "integer"},
	[M_T_DEC] = {"số, ví dụ 30 hoặc 30,5", "number, e.g. 30 or 30.5"},
	[M_T_DATE] = {"ngày YYYY-MM-DD", "date YYYY-MM-DD"},
	[M_T_BOOL] = {"c/k", "y/n"},
	[M_T_ONE] = {"chọn một số", "pick one number"},
	[M_T_MULTI] = {"chọn các số, cách nhau bởi dấu cách; để trống nếu không có",
	               "numbers separated by spaces; empty for none"},
	[M_T_MULTI_CUR] = {"chọn các số, cách nhau bởi dấu cách; - nếu không có",
	                   "numbers separated by spaces; - for none"},
	[M_OPTIONAL] = {"không bắt buộc", "optional"},
	[M_NOT_INT] = {"Cần một số nguyên (ví dụ 1971)", "expected a whole number (e.g. 1971)"},
	[M_NOT_NUM] = {"Cần một số (ví dụ 30 hoặc 30,5)", "expected a number (e.g. 30 or 30.5)"},
	[M_NOT_DATE] = {"Cần một ngày dạng YYYY-MM-DD (ví dụ 2025-09-01)",
	                "expected a date YYYY-MM-DD (e.g. 2025-09-01)"},
	[M_NOT_YESNO] = {"Trả lời c (có) hoặc k (không)", "answer y (yes) or n (no)"},
	[M_NOT_CHOICE] = {"\"%s\" không phải một lựa chọn: chọn số từ 1 đến %zu",
	                  "\"%s\" is not a choice: pick a number from 1 to %zu"},
	[M_ONE_ONLY] = {"Chỉ chọn một", "pick only one"},
	[M_TWICE] = {"\"%s\" được chọn hai lần", "\"%s\" is chosen twice"},
	[M_BAD_TEXT] = {"Chữ không hợp lệ (không phải UTF-8)", "not valid UTF-8 text"},
	[M_REQUIRED] = {"Câu hỏi bắt buộc: cần có câu trả lời", "an answer is required"},
	[M_CONSTRAINT] = {"Câu trả lời không hợp lệ", "the answer is not accepted"},
	[M_PLACE] = {"Mã địa bàn không đúng với danh mục đơn vị hành chính của năm rà soát (%s)",
	             "this place does not match the year's administrative units (%s)"},
	[M_NO_STANDARD] = {"Không có chuẩn nghèo nào áp dụng cho năm này (%s)",
	                   "no poverty standard covers this year (%s)"},
	[M_UNCERTAIN] = {"(chưa xác định được câu này có cần hỏi không: %s)",
	                 "(could not tell whether this question applies: %s)"},
	[M_UNCHECKED] = {"(chưa kiểm tra được câu trả lời: %s)", "(could not check the answer: %s)"},
	[M_FIRST] = {"Đây là câu hỏi đầu tiên.", "This is the first question."},
	[M_QUIT_ASK] = {"Thoát mà không lưu? (c/k)", "Quit without saving? (y/n)"},
	[M_QUIT_DONE] = {"Đã thoát, không lưu gì.", "Quit: nothing saved."},
	[M_EOF] = {"saola fill: hết dữ liệu vào trước khi phỏng vấn xong: không lưu gì",
	           "saola fill: input ended before the interview was finished: nothing saved"},
	[M_ADD] = {"Thêm %s? (c/k)", "Add %s? (y/n)"},
	[M_KEEP] = {"%s %zu (%s): giữ lại? (c/k)", "%s %zu (%s): keep? (y/n)"},
	[M_REMOVE] = {"Xoá %s %zu (%s) cùng các câu trả lời? (c/k)",
	              "Remove %s %zu (%s) and its answers? (y/n)"},
	[M_REMOVED] = {"Đã xoá %s %zu.", "Removed %s %zu."},
	[M_NEED_ITEM] = {"Cần ít nhất một %s", "at least one %s is required"},
	[M_NONAME] = {"chưa có tên", "no name yet"},
	[M_ITEM] = {"-- %s %zu --", "-- %s %zu --"},
	[M_RESULT] = {"== Kết quả ==", "== Result =="},
	[M_DEPRIVED] = {"Thiếu hụt:", "Deprived on:"},
	[M_NONE_DEPRIVED] = {"Không thiếu hụt chỉ số nào.", "Not deprived on any indicator."},
	[M_SAVE] = {"Lưu hộ này? (c/k)", "Save this household? (y/n)"},
	[M_SAVED] = {"Đã lưu hộ: %s", "Saved: %s"},
	[M_NOT_SAVED] = {"Không lưu.", "Not saved."},
	[M_NO_CHANGE] = {"Không có thay đổi nào, không cần lưu.", "Nothing changed; nothing to save."},
	[M_FIX] = {"Cần sửa: %s", "to fix: %s"},
	[M_SAVE_FAILED] = {"saola fill: không lưu được: %s", "saola fill: cannot save: %s"},
	[M_NONE] = {"không có", "none"},
	[M_YES] = {"c", "y"},
	[M_NO] = {"k", "n"},
};

const char *fill_text(const fill *fl, fill_msg m)
{
	return texts[m][fl->en ? 1 : 0];
}

void fill_say(const fill *fl, const char *fmt, ...)
{
	va_list ap;

	(void)fl;
	fputs("  ! ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static int is_one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

static const char *const back_words[] = {"<", "back", "quay lại", "quay lai", NULL};
static const char *const help_words[] = {"?", "help", "trợ giúp", NULL};
static const char *const quit_words[] = {"q", "Q", "quit", "thoát", "thoat", NULL};
static const char *const yes_words[] = {"c", "C", "có", "Có", "co", "y", "Y", "yes", "1",
                                        "true", NULL};
static const char *const no_words[] = {"k", "K", "không", "Không", "khong", "n", "N", "no",
                                       "0", "false", NULL};

int fill_read(fill *fl, const char *prompt, const char *current, int commands,
              const char **text)
{
	ssize_t n;
	char *s;
	int yes, rc;

	if (prompt && *prompt)
		fputs(prompt, stdout);
	if (current)
		printf("%s[%s] ", prompt && *prompt ? " " : "", current);
	else if (prompt && *prompt)
		fputc(' ', stdout);
	fputs("> ", stdout);
	fflush(stdout);
	errno = 0;
	n = getline(&fl->line, &fl->linecap, stdin);
	if (n < 0)
		return errno == ENOMEM ? FILL_ERROR : FILL_EOF;
	s = fl->line;
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	if (!fl->tty) /* a transcript of scripted input shows the answers */
		printf("%s\n", s);
	while (*s == ' ' || *s == '\t')
		s++;
	while (n > 0 && (fl->line[n - 1] == ' ' || fl->line[n - 1] == '\t'))
		fl->line[--n] = '\0';
	*text = s;
	if (!commands)
		return FILL_ANSWER;
	if (*s == '\\') {
		*text = s + 1;
		return FILL_ANSWER;
	}
	if (is_one_of(s, back_words))
		return FILL_BACK;
	if (is_one_of(s, help_words)) {
		fputs(fill_text(fl, M_HELP), stdout);
		return FILL_AGAIN;
	}
	if (is_one_of(s, quit_words)) {
		rc = fill_yesno(fl, fill_text(fl, M_QUIT_ASK), -1, 0, &yes);
		if (rc != FILL_ANSWER)
			return rc;
		return yes ? FILL_QUIT : FILL_AGAIN;
	}
	return FILL_ANSWER;
}

int fill_yesno(fill *fl, const char *question, int dflt, int commands, int *yes)
{
	const char *t;
	int rc;

	for (;;) {
		rc = fill_read(fl, question, dflt < 0 ? NULL : fill_text(fl, dflt ? M_YES : M_NO),
		               commands, &t);
		if (rc == FILL_AGAIN)
			continue;
		if (rc != FILL_ANSWER)
			return rc;
		if (!*t && dflt >= 0) {
			*yes = dflt;
			return FILL_ANSWER;
		}
		if (is_one_of(t, yes_words) || is_one_of(t, no_words)) {
			*yes = is_one_of(t, yes_words);
			return FILL_ANSWER;
		}
		fill_say(fl, "%s", fill_text(fl, M_NOT_YESNO));
	}
}

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

static int parse_date(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int i, y, m, d;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return -1;
	if (s[10])
		return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	return 0;
}

/* The index of a choice given by its number (1-based) or its value, or -1. */
static long choice_index(const fill_q *q, const char *tok, size_t len)
{
	size_t n = json_array_size(q->choices), i;
	const char *v;
	char *end;
	long k;

	if (len > 0 && tok[0] >= '0' && tok[0] <= '9') {
		k = strtol(tok, &end, 10);
		if ((size_t)(end - tok) == len && k >= 1 && (size_t)k <= n)
			return k - 1;
	}
	for (i = 0; i < n; i++) {
		v = json_string_value(json_object_get(json_array_get(q->choices, i), "value"));
		if (v && strlen(v) == len && strncmp(v, tok, len) == 0)
			return (long)i;
	}
	return -1;
}

static const char *choice_value(const fill_q *q, size_t i)
{
	return json_string_value(json_object_get(json_array_get(q->choices, i), "value"));
}

/* Splits a select_multiple answer into choices, in the list's order;
 * quiet: say nothing of a wrong one. */
static int parse_multi(fill *fl, const fill_q *q, const char *s, json_t **out,
                       int quiet)
{
	size_t n = json_array_size(q->choices), i, len;
	unsigned char *picked = calloc(n ? n : 1, 1);
	json_t *a = NULL;
	long k;

	*out = NULL;
	if (!picked)
		return FILL_ERROR;
	while (*s) {
		while (*s == ' ' || *s == ',' || *s == ';' || *s == '\t')
			s++;
		if (!*s)
			break;
		len = strcspn(s, " ,;\t");
		if ((k = choice_index(q, s, len)) < 0 || picked[k]) {
			char tok[64];
			snprintf(tok, sizeof tok, "%.*s", (int)(len < 60 ? len : 60), s);
			if (!quiet && k < 0)
				fill_say(fl, fill_text(fl, M_NOT_CHOICE), tok, n);
			else if (!quiet)
				fill_say(fl, fill_text(fl, M_TWICE), tok);
			free(picked);
			return FILL_AGAIN;
		}
		picked[k] = 1;
		s += len;
	}
	if (!(a = json_array())) {
		free(picked);
		return FILL_ERROR;
	}
	for (i = 0; i < n; i++)
		if (picked[i] && json_array_append_new(a, json_string(choice_value(q, i)))) {
			json_decref(a);
			free(picked);
			return FILL_ERROR;
		}
	free(picked);
	*out = a;
	return FILL_ANSWER;
}

/* Turns line s into an answer of q's type: FILL_ANSWER with *out (a new
 * reference), FILL_AGAIN after saying what is wrong, FILL_ERROR. */
static int parse_answer(fill *fl, const fill_q *q, const char *s, json_t **out)
{
	json_int_t iv;
	double d;
	long k;
	int yes;

	*out = NULL;
	switch (q->fi.type) {
	case SAOLA__F_INTEGER:
		if (parse_int(s, &iv)) {
			fill_say(fl, "%s", fill_text(fl, M_NOT_INT));
			return FILL_AGAIN;
		}
		*out = json_integer(iv);
		break;
	case SAOLA__F_DECIMAL:
		if (parse_dec(s, &d)) {
			fill_say(fl, "%s", fill_text(fl, M_NOT_NUM));
			return FILL_AGAIN;
		}
		*out = d == floor(d) && fabs(d) < 9007199254740992.0 ? json_integer((json_int_t)d)
		                                                     : json_real(d);
		break;
	case SAOLA__F_BOOLEAN:
		if (!is_one_of(s, yes_words) && !is_one_of(s, no_words)) {
			fill_say(fl, "%s", fill_text(fl, M_NOT_YESNO));
			return FILL_AGAIN;
		}
		yes = is_one_of(s, yes_words);
		*out = json_boolean(yes);
		break;
	case SAOLA__F_DATE:
		if (parse_date(s)) {
			fill_say(fl, "%s", fill_text(fl, M_NOT_DATE));
			return FILL_AGAIN;
		}
		*out = json_string(s);
		break;
	case SAOLA__F_SELECT_ONE:
		if ((k = choice_index(q, s, strlen(s))) < 0) {
			/* "1 2": several choices where one is wanted */
			if (parse_multi(fl, q, s, out, 1) == FILL_ANSWER && json_array_size(*out) > 1)
				fill_say(fl, "%s", fill_text(fl, M_ONE_ONLY));
			else
				fill_say(fl, fill_text(fl, M_NOT_CHOICE), s, json_array_size(q->choices));
			json_decref(*out);
			*out = NULL;
			return FILL_AGAIN;
		}
		*out = json_string(choice_value(q, (size_t)k));
		break;
	case SAOLA__F_SELECT_MULTIPLE:
		return parse_multi(fl, q, s, out, 0);
	default:
		/* json_string refuses text that is not UTF-8. */
		if (!(*out = json_string(s))) {
			fill_say(fl, "%s", fill_text(fl, M_BAD_TEXT));
			return FILL_AGAIN;
		}
		return FILL_ANSWER;
	}
	return *out ? FILL_ANSWER : FILL_ERROR;
}

/* The label of choice value v, with its number, into buf. */
static void show_choice(const fill *fl, const fill_q *q, const char *v, char *buf,
                        size_t len)
{
	json_t *c;
	size_t i;

	json_array_foreach(q->choices, i, c)
		if (v && strcmp(json_string_value(json_object_get(c, "value")), v) == 0) {
			const char *l = cli_label(json_object_get(c, "label"), fl->en ? "en" : "vi");
			snprintf(buf, len, "%zu. %s", i + 1, l ? l : v);
			return;
		}
	snprintf(buf, len, "%s", v ? v : "");
}

void fill_show_value(const fill *fl, const fill_q *q, json_t *v, char *buf,
                     size_t len)
{
	char one[256];
	size_t i, at = 0;
	json_t *e;

	buf[0] = '\0';
	if (q->fi.type == SAOLA__F_SELECT_ONE) {
		show_choice(fl, q, json_string_value(v), buf, len);
	} else if (q->fi.type == SAOLA__F_SELECT_MULTIPLE) {
		if (json_array_size(v) == 0)
			snprintf(buf, len, "%s", fill_text(fl, M_NONE));
		json_array_foreach(v, i, e) {
			show_choice(fl, q, json_string_value(e), one, sizeof one);
			if (at < len)
				at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", one);
		}
	} else if (json_is_boolean(v)) {
		snprintf(buf, len, "%s", fill_text(fl, json_is_true(v) ? M_YES : M_NO));
	} else if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		snprintf(buf, len, "%.15g", json_real_value(v));
	} else if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
	}
}

/* Prints the question: label, type, hint, choices. */
static void show_question(const fill *fl, const fill_q *q, int required, json_t *cur)
{
	static const fill_msg types[] = {
		[SAOLA__F_INTEGER] = M_T_INT, [SAOLA__F_DECIMAL] = M_T_DEC,
		[SAOLA__F_DATE] = M_T_DATE, [SAOLA__F_BOOLEAN] = M_T_BOOL,
		[SAOLA__F_SELECT_ONE] = M_T_ONE, [SAOLA__F_SELECT_MULTIPLE] = M_T_MULTI,
	};
	fill_msg t = (size_t)q->fi.type < sizeof types / sizeof *types ? types[q->fi.type]
	                                                              : M_INTRO; /* none */
	json_t *c;
	size_t i;

	if (t == M_T_MULTI && cur)
		t = M_T_MULTI_CUR;
	printf("\n%s", q->label);
	if (t != M_INTRO || !required)
		printf(" (%s%s%s)", t != M_INTRO ? fill_text(fl, t) : "",
		       t != M_INTRO && !required ? "; " : "",
		       required ? "" : fill_text(fl, M_OPTIONAL));
	fputc('\n', stdout);
	if (q->hint)
		printf("  %s\n", q->hint);
	json_array_foreach(q->choices, i, c) {
		const char *l = cli_label(json_object_get(c, "label"), fl->en ? "en" : "vi");
		printf("  %2zu. %s\n", i + 1,
		       l ? l : json_string_value(json_object_get(c, "value")));
	}
}

int fill_ask(fill *fl, const fill_q *q, int required, json_t *cur, int again,
             json_t **value)
{
	char shown[1024];
	const char *t;
	int rc;

	*value = NULL;
	if (!again)
		show_question(fl, q, required, cur);
	if (cur)
		fill_show_value(fl, q, cur, shown, sizeof shown);
	for (;;) {
		rc = fill_read(fl, "", cur ? shown : NULL, 1, &t);
		if (rc == FILL_AGAIN)
			continue;
		if (rc != FILL_ANSWER)
			return rc;
		if (!*t && cur) {
			*value = json_incref(cur);
			return FILL_ANSWER;
		}
		if (!*t || strcmp(t, "-") == 0) {
			if (q->fi.type == SAOLA__F_SELECT_MULTIPLE && !(*value = json_array()))
				return FILL_ERROR;
			return FILL_ANSWER;
		}
		rc = parse_answer(fl, q, t, value);
		if (rc != FILL_AGAIN)
			return rc;
	}
}
