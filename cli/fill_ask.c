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
	[M_T_PLACE] = {"gõ mã hoặc tên", "a code or a name"},
	[M_OPTIONAL] = {"không bắt buộc", "optional"},
	[M_NOT_YESNO] = {"Trả lời c (có) hoặc k (không)", "answer y (yes) or n (no)"},
	[M_REQUIRED] = {"Câu hỏi bắt buộc: cần có câu trả lời", "an answer is required"},
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
	[M_WARNING] = {"Cảnh báo: %s", "warning: %s"},
	[M_CONFIRM] = {"Xác nhận câu trả lời này là đúng? (c/k; k để sửa)",
	               "Confirm this answer is right? (y/n; n to change it)"},
	[M_PLACE_NONE] = {"Không có %s nào tên hoặc mã \"%s\" trong năm rà soát",
	                  "no %s of that code or name (\"%s\") in the survey year"},
	[M_PLACE_PICK] = {"Chọn số thứ tự, hoặc gõ tên đầy đủ hơn:",
	                  "Pick a number, or type more of the name:"},
	[M_RESUMED] = {"Tiếp tục phiếu đang làm dở (%s).\n", "Taking up the unfinished interview (%s).\n"},
	[M_NO_DRAFT] = {"saola fill: không có phiếu nào đang làm dở", "saola fill: no unfinished interview"},
	[M_DRAFT_KEPT] = {"Phiếu đang làm dở được giữ lại: saola fill --resume để làm tiếp.",
	                  "The unfinished interview is kept: saola fill --resume takes it up."},
	[M_INCOME] = {"Thu nhập bình quân: %s đồng/người/tháng; chuẩn nghèo của khu vực: %s (%s)",
	              "Income per person: %s VND a month; the area's poverty line: %s (%s)"},
	[M_HOUSEHOLD] = {"Hộ: %s; mã hộ: %s", "Household: %s; household code: %s"},
	[M_CODE] = {"chưa có", "none yet"},
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
		if (saola_yes_no(t) >= 0) {
			*yes = saola_yes_no(t);
			return FILL_ANSWER;
		}
		fill_say(fl, "%s", fill_text(fl, M_NOT_YESNO));
	}
}

/* The label of choice value v of field i, with its number, into buf. */
const char *fill_choice_label(fill *fl, int i, const char *v)
{
	const char *value, *label;
	int c;

	for (c = 0; v && saola_interview_choice(fl->iv, i, c, &value, &label) == SAOLA_OK; c++)
		if (strcmp(value, v) == 0)
			return label;
	return v ? v : "";
}

static void show_choice(fill *fl, int i, const char *v, char *buf, size_t len)
{
	const char *value, *label;
	int c;

	for (c = 0; saola_interview_choice(fl->iv, i, c, &value, &label) == SAOLA_OK; c++)
		if (v && strcmp(value, v) == 0) {
			snprintf(buf, len, "%d. %s", c + 1, label);
			return;
		}
	snprintf(buf, len, "%s", v ? v : "");
}

void fill_show_value(fill *fl, int i, json_t *v, char *buf, size_t len)
{
	char one[256];
	size_t k, at = 0;
	saola_field f;
	json_t *e;

	buf[0] = '\0';
	saola_interview_field(fl->iv, i, &f);
	if (strcmp(f.type, "select_one") == 0) {
		show_choice(fl, i, json_string_value(v), buf, len);
	} else if (strcmp(f.type, "select_multiple") == 0) {
		if (json_array_size(v) == 0)
			snprintf(buf, len, "%s", fill_text(fl, M_NONE));
		json_array_foreach(v, k, e) {
			show_choice(fl, i, json_string_value(e), one, sizeof one);
			if (at < len)
				at += (size_t)snprintf(buf + at, len - at, "%s%s", k ? ", " : "", one);
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

/* The words for what a question of type t takes, or -1. */
static int type_words(const saola_field *f, int cur)
{
	static const struct {
		const char *type;
		fill_msg m;
	} words[] = {
		{"integer", M_T_INT}, {"decimal", M_T_DEC}, {"date", M_T_DATE},
		{"boolean", M_T_BOOL}, {"select_one", M_T_ONE}, {"select_multiple", M_T_MULTI},
	};
	size_t i;

	if (f->unit)
		return M_T_PLACE;
	for (i = 0; i < sizeof words / sizeof *words; i++)
		if (strcmp(f->type, words[i].type) == 0)
			return words[i].m == M_T_MULTI && cur ? (int)M_T_MULTI_CUR : (int)words[i].m;
	return -1;
}

/* Prints the question: label, type, hint, choices. */
static void show_question(fill *fl, int i, int required, json_t *cur)
{
	const char *value, *label;
	saola_field f;
	int t, c;

	saola_interview_field(fl->iv, i, &f);
	t = type_words(&f, cur != NULL);
	printf("\n%s", f.label);
	if (t >= 0 || !required)
		printf(" (%s%s%s)", t >= 0 ? fill_text(fl, (fill_msg)t) : "",
		       t >= 0 && !required ? "; " : "", required ? "" : fill_text(fl, M_OPTIONAL));
	fputc('\n', stdout);
	if (f.hint)
		printf("  %s\n", f.hint);
	for (c = 0; saola_interview_choice(fl->iv, i, c, &value, &label) == SAOLA_OK; c++)
		printf("  %2d. %s\n", c + 1, label);
}

int fill_ask(fill *fl, saola_step s, int required, json_t *cur, int again,
             const char **text)
{
	char shown[1024];
	int rc;

	*text = "";
	if (!again)
		show_question(fl, s.field, required, cur);
	if (cur)
		fill_show_value(fl, s.field, cur, shown, sizeof shown);
	do
		rc = fill_read(fl, "", cur ? shown : NULL, 1, text);
	while (rc == FILL_AGAIN);
	return rc;
}
