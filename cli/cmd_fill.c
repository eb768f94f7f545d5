/* cmd_fill.c: 'saola fill', an interview that fills a form question by
 * question as a surveyor would in the village (skip logic, checks as each
 * answer is typed, places picked by name, warnings confirmed, repeat items,
 * going back), saved as a draft after every answer so that a cut loses at
 * most the answer being typed, then shows the household's income against
 * the line, its deprivations and class, and saves it when confirmed. It
 * uses the public interview API alone (saola/form.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fill.h"

#define PLACES_KEY "fill.places" /* the places last saved, in sync_state */

/* The words for a repeat's items. */
typedef struct noun {
	const char *cap, *low, *a;
} noun;

static noun item_noun(const fill *fl, const saola_field *r)
{
	static const noun words[2][2] = {
		{{"Mục", "mục", "mục"}, {"Thành viên", "thành viên", "thành viên"}},
		{{"Item", "item", "an item"}, {"Member", "member", "a member"}},
	};

	return words[fl->en ? 1 : 0][strcmp(r->name, "members") == 0];
}

/* The class names of the household form's classification. */
static const struct {
	const char *value, *vi, *en;
} classes[] = {
	{"poor", "hộ nghèo", "poor"},
	{"near_poor", "hộ cận nghèo", "near-poor"},
	{"average", "hộ có mức sống trung bình", "average living standard"},
	{"not_poor", "không thuộc diện", "not poor (none of these)"},
};

static saola_field field_of(fill *fl, int i)
{
	saola_field f;

	saola_interview_field(fl->iv, i, &f);
	return f;
}

/* The top-level group or repeat around field i (i itself when it is one),
 * or -1; and the innermost group below that, or -1. */
static int top_of(fill *fl, int i)
{
	int top = -1;
	saola_field f;

	for (; i >= 0; i = f.parent) {
		f = field_of(fl, i);
		if (f.kind == SAOLA_FIELD_GROUP || f.kind == SAOLA_FIELD_REPEAT)
			top = i;
	}
	return top;
}

static int inner_of(fill *fl, int i)
{
	int top = top_of(fl, i);

	for (i = field_of(fl, i).parent; i >= 0 && i != top; i = field_of(fl, i).parent)
		if (field_of(fl, i).kind == SAOLA_FIELD_GROUP)
			return i;
	return -1;
}

/* Prints the section, item and group headings of place s that are not on
 * the screen yet. */
static void announce(fill *fl, saola_step s)
{
	int item = s.kind == SAOLA_STEP_ITEM;
	int top = top_of(fl, s.field), inner = item ? -1 : inner_of(fl, s.field);
	int r = item ? s.field : field_of(fl, s.field).repeat;
	saola_field t;

	if (top != fl->shown_top) {
		if (top >= 0) {
			t = field_of(fl, top);
			printf("\n== %s ==\n", t.label);
			if (t.hint)
				printf("  %s\n", t.hint);
		}
		fl->shown_top = top;
		fl->shown_inner = -1;
		fl->shown_item = 0;
	}
	if (!item && r >= 0 && fl->shown_item != s.item + 1) {
		t = field_of(fl, r);
		fputc('\n', stdout);
		printf(fill_text(fl, M_ITEM), item_noun(fl, &t).cap, (size_t)s.item + 1);
		fputc('\n', stdout);
		fl->shown_item = s.item + 1;
		fl->shown_inner = -1;
	}
	if (inner != fl->shown_inner) {
		if (inner >= 0)
			printf("\n-- %s --\n", field_of(fl, inner).label);
		fl->shown_inner = inner;
	}
}

/* Whether step s can be asked as it stands (after going back). */
static int askable(fill *fl, saola_step s)
{
	saola_step at;

	return s.kind != SAOLA_STEP_END &&
	       saola_interview_at(fl->iv, s.field, s.item, &at) == SAOLA_OK &&
	       at.kind == s.kind && at.field == s.field && at.item == s.item;
}

/* The name of place code of field i ("14404 → Xã Cúc Phương"), printed. */
static void show_place(fill *fl, int i, const char *code)
{
	json_t *found = NULL, *u;
	size_t k;

	if (!code || saola_interview_places(fl->iv, i, code, &found) != SAOLA_OK)
		return;
	json_array_foreach(found, k, u)
		if (strcmp(json_string_value(json_object_get(u, "code")), code) == 0) {
			printf("  %s → %s\n", code, json_string_value(json_object_get(u, "name")));
			break;
		}
	json_decref(found);
}

/* A place typed by name: the code of the one unit it names, picked from a
 * list when it names several. FILL_ANSWER with *code (owned by fl's line
 * or found; copied to buf), FILL_AGAIN when none. */
static int pick_place(fill *fl, saola_step s, const char *text, char *buf, size_t len)
{
	saola_field f = field_of(fl, s.field);
	json_t *found = NULL;
	const char *t;
	size_t n, k;
	int rc;

	if (saola_interview_places(fl->iv, s.field, text, &found) != SAOLA_OK) {
		fill_say(fl, "%s", saola_interview_errmsg(fl->iv));
		return FILL_AGAIN;
	}
	n = json_array_size(found);
	if (n == 0)
		fill_say(fl, fill_text(fl, M_PLACE_NONE), f.unit, text);
	if (n == 1)
		snprintf(buf, len, "%s", json_string_value(json_object_get(json_array_get(found, 0),
		                                                           "code")));
	if (n < 2) {
		json_decref(found);
		return n ? FILL_ANSWER : FILL_AGAIN;
	}
	printf("%s\n", fill_text(fl, M_PLACE_PICK));
	for (k = 0; k < n; k++)
		printf("  %2zu. %s (%s)\n", k + 1,
		       json_string_value(json_object_get(json_array_get(found, k), "name")),
		       json_string_value(json_object_get(json_array_get(found, k), "code")));
	rc = fill_read(fl, "", NULL, 1, &t);
	k = rc == FILL_ANSWER ? (size_t)strtoul(t, NULL, 10) : 0;
	if (rc == FILL_ANSWER && k >= 1 && k <= n)
		snprintf(buf, len, "%s", json_string_value(json_object_get(json_array_get(found, k - 1),
		                                                           "code")));
	else if (rc == FILL_ANSWER)
		snprintf(buf, len, "%s", t); /* a code or more of the name: tried again */
	json_decref(found);
	return rc;
}

/* Whether text is all digits (a code, not a name). */
static int is_code(const char *text)
{
	return *text && strspn(text, "0123456789") == strlen(text);
}

/* Sets the answer typed for s: FILL_ANSWER taken, FILL_AGAIN refused
 * (said why), or what reading a pick from a list of places gave. */
static int take(fill *fl, saola_step s, const char *text)
{
	saola_field f = field_of(fl, s.field);
	char code[128];
	int rc;

	if (f.unit && *text && strcmp(text, "-") != 0 && !is_code(text)) {
		if ((rc = pick_place(fl, s, text, code, sizeof code)) != FILL_ANSWER)
			return rc;
		if (!is_code(code))
			return take(fl, s, code);
		text = code;
	}
	if (saola_interview_set_text(fl->iv, s.field, s.item, text) != SAOLA_OK) {
		if (saola_interview_errcode(fl->iv) == SAOLA_NOMEM)
			return FILL_ERROR;
		fill_say(fl, "%s", saola_interview_errmsg(fl->iv));
		return FILL_AGAIN;
	}
	if (saola_interview_unchecked(fl->iv))
		fill_say(fl, fill_text(fl, M_UNCHECKED), saola_interview_unchecked(fl->iv));
	if (f.unit && *text)
		show_place(fl, s.field, text);
	return FILL_ANSWER;
}

/* Asks the question at s until an answer passes its checks. */
static int ask_question(fill *fl, saola_step s)
{
	json_t *cur = NULL, *now = NULL;
	saola_field f = field_of(fl, s.field);
	const char *text;
	int required = 0, again = 0, rc, changed, dflt;

	if (saola_interview_relevant(fl->iv, s.field, s.item) == 2)
		fill_say(fl, fill_text(fl, M_UNCERTAIN), f.name);
	saola_interview_required(fl->iv, s.field, s.item, &required);
	saola_interview_get(fl->iv, s.field, s.item, &cur);
	if ((dflt = !cur))
		cur = json_incref(f.default_value);
	for (;;) {
		rc = fill_ask(fl, s, required, cur, again, &text);
		if (rc != FILL_ANSWER)
			break;
		again = 1;
		if (!*text && cur && !dflt)
			break; /* kept */
		if (!*text && cur) { /* the default, taken */
			if (saola_interview_set(fl->iv, s.field, s.item, cur) == SAOLA_OK) {
				fl->changes++;
				break;
			}
			fill_say(fl, "%s", saola_interview_errmsg(fl->iv));
			continue;
		}
		if (!*text && required && strcmp(f.type, "select_multiple") != 0) {
			fill_say(fl, "%s", fill_text(fl, M_REQUIRED));
			continue;
		}
		if ((rc = take(fl, s, text)) == FILL_AGAIN)
			continue;
		if (rc == FILL_ANSWER) {
			saola_interview_get(fl->iv, s.field, s.item, &now);
			changed = !json_equal(now ? now : json_null(), cur ? cur : json_null());
			fl->changes += (unsigned long)changed;
			json_decref(now);
			break;
		}
	}
	json_decref(cur);
	return rc;
}

/* The confirmation of a warning: asked while it stands and is not
 * confirmed; "no" goes back to the answer. */
static int ask_confirm(fill *fl, saola_step *s)
{
	saola_field f = field_of(fl, s->field);
	const char *msg;
	int rc, yes;

	if (!saola_interview_warning(fl->iv, f.confirms, s->item, &msg))
		return FILL_PASS; /* confirmed already: pass on */
	fill_say(fl, fill_text(fl, M_WARNING), msg);
	if ((rc = fill_yesno(fl, fill_text(fl, M_CONFIRM), -1, 1, &yes)) != FILL_ANSWER)
		return rc;
	if (!yes) {
		*s = (saola_step){SAOLA_STEP_QUESTION, f.confirms, s->item};
		return FILL_AGAIN;
	}
	if (saola_interview_confirm(fl->iv, f.confirms, s->item, 1) != SAOLA_OK)
		return FILL_ERROR;
	fl->changes++;
	return FILL_ANSWER;
}

/* Whether item k of repeat r has no answer yet. */
static int item_empty(fill *fl, int r, int k)
{
	int j, end = field_of(fl, r).end, empty = 1;
	json_t *v;

	for (j = r + 1; empty && j < end; j++) {
		if (field_of(fl, j).kind != SAOLA_FIELD_QUESTION)
			continue;
		saola_interview_get(fl->iv, j, k, &v);
		empty = v == NULL;
		json_decref(v);
	}
	return empty;
}

/* The prompt before item s.item of repeat s.field: keep (or remove) an
 * item there is, or add one. FILL_AGAIN after a removal: ask again. */
static int ask_add(fill *fl, saola_step s, int back)
{
	saola_field r = field_of(fl, s.field);
	noun n = item_noun(fl, &r);
	const char *title;
	char question[512];
	int yes, rc, required = 0;

	fputc('\n', stdout);
	if (s.item < saola_interview_items(fl->iv, s.field)) {
		title = saola_interview_item_title(fl->iv, s.field, s.item);
		if (!title)
			title = fill_text(fl, M_NONAME);
		snprintf(question, sizeof question, fill_text(fl, M_KEEP), n.cap, (size_t)s.item + 1,
		         title);
		if ((rc = fill_yesno(fl, question, 1, 1, &yes)) != FILL_ANSWER || yes)
			return rc;
		if (!item_empty(fl, s.field, s.item)) {
			snprintf(question, sizeof question, fill_text(fl, M_REMOVE), n.low,
			         (size_t)s.item + 1, title);
			if ((rc = fill_yesno(fl, question, -1, 1, &yes)) != FILL_ANSWER)
				return rc;
			if (!yes)
				return FILL_AGAIN;
		}
		if (saola_interview_remove_item(fl->iv, s.field, s.item) != SAOLA_OK)
			return FILL_ERROR;
		fl->changes++;
		printf(fill_text(fl, M_REMOVED), n.low, (size_t)s.item + 1);
		fputc('\n', stdout);
		return FILL_AGAIN;
	}
	saola_interview_required(fl->iv, s.field, 0, &required);
	snprintf(question, sizeof question, fill_text(fl, M_ADD), n.a);
	for (;;) {
		if ((rc = fill_yesno(fl, question, back ? 0 : -1, 1, &yes)) != FILL_ANSWER)
			return rc;
		if (!yes && s.item == 0 && required) {
			fill_say(fl, fill_text(fl, M_NEED_ITEM), n.low);
			continue;
		}
		if (!yes)
			return FILL_ANSWER;
		if (saola_interview_add_item(fl->iv, s.field, NULL) != SAOLA_OK) {
			fill_say(fl, "%s", saola_interview_errmsg(fl->iv));
			continue;
		}
		fl->changes++;
		return FILL_ANSWER;
	}
}

/* ------------------------------------------------------------------ */
/* The end screen                                                      */

/* A top-level value by name, a new reference or NULL. */
static json_t *value_of(fill *fl, const char *name)
{
	int i = saola_interview_find(fl->iv, name);
	json_t *v = NULL;

	if (i >= 0)
		saola_interview_get(fl->iv, i, 0, &v);
	return v;
}

/* A whole number with its thousands grouped as written in Vietnam
 * (1.350.000) or in English (1,350,000). */
static void grouped(const fill *fl, json_int_t n, char *buf, size_t len)
{
	char digits[32];
	size_t nd, i, at = 0;

	snprintf(digits, sizeof digits, "%" JSON_INTEGER_FORMAT, n < 0 ? -n : n);
	nd = strlen(digits);
	if (n < 0 && at + 1 < len)
		buf[at++] = '-';
	for (i = 0; i < nd && at + 2 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[at++] = fl->en ? ',' : '.';
		buf[at++] = digits[i];
	}
	buf[at] = '\0';
}

/* Income against the line (the household form): "Thu nhập bình quân:
 * 1.350.000 đồng/người/tháng; chuẩn nghèo của khu vực: 1.500.000 (Nông
 * thôn)". */
static void show_income(fill *fl)
{
	json_t *income = value_of(fl, "income_per_capita"), *line = value_of(fl, "income_line");
	json_t *area = value_of(fl, "area");
	char a[32], b[32];

	if (json_is_integer(income) && json_is_number(line)) {
		grouped(fl, json_integer_value(income), a, sizeof a);
		grouped(fl, (json_int_t)json_number_value(line), b, sizeof b);
		printf(fill_text(fl, M_INCOME), a, b,
		       fill_choice_label(fl, saola_interview_find(fl->iv, "area"),
		                         json_string_value(area)));
		fputc('\n', stdout);
	}
	json_decref(income);
	json_decref(line);
	json_decref(area);
}

/* The deprived indicators (the household form's d_* fields); their count. */
static int show_deprived(fill *fl)
{
	int i, nd = 0, deprived = 0;
	saola_field f;
	json_t *v;

	for (i = 0; i < fl->nq; i++) {
		f = field_of(fl, i);
		if (f.repeat >= 0 || f.kind != SAOLA_FIELD_COMPUTED || strncmp(f.name, "d_", 2) != 0)
			continue;
		nd++;
		saola_interview_get(fl->iv, i, 0, &v);
		if (json_integer_value(v) == 1 && !deprived++)
			printf("%s\n", fill_text(fl, M_DEPRIVED));
		if (json_integer_value(v) == 1)
			printf("  %s\n", f.label);
		json_decref(v);
	}
	if (nd && !deprived)
		printf("%s\n", fill_text(fl, M_NONE_DEPRIVED));
	return nd;
}

/* Prints the income against the line, the deprivations, their count and
 * the class (the household form), else every computed value. */
static void summary(fill *fl)
{
	int i, nd;
	saola_field f;
	const char *s;
	size_t c;
	json_t *v;

	printf("\n%s\n", fill_text(fl, M_RESULT));
	show_income(fl);
	nd = show_deprived(fl);
	for (i = 0; i < fl->nq; i++) {
		f = field_of(fl, i);
		if (f.repeat >= 0 || f.kind != SAOLA_FIELD_COMPUTED ||
		    (nd && strcmp(f.name, "deprivation_count") != 0 &&
		     strcmp(f.name, "classification") != 0) ||
		    saola_interview_get(fl->iv, i, 0, &v) != SAOLA_OK || !v)
			continue;
		s = json_string_value(v);
		for (c = 0; s && c < sizeof classes / sizeof *classes; c++)
			if (strcmp(s, classes[c].value) == 0)
				s = fl->en ? classes[c].en : classes[c].vi;
		if (s)
			printf("%s: %s\n", f.label, s);
		else if (json_is_integer(v))
			printf("%s: %" JSON_INTEGER_FORMAT "\n", f.label, json_integer_value(v));
		else if (json_is_number(v))
			printf("%s: %.15g\n", f.label, json_number_value(v));
		json_decref(v);
	}
}

/* After a save: the household's name and code. */
static void show_household(fill *fl)
{
	json_t *name = value_of(fl, "head_name"), *code = value_of(fl, "household_id");

	if (name) {
		printf(fill_text(fl, M_HOUSEHOLD), json_string_value(name),
		       json_is_string(code) ? json_string_value(code) : fill_text(fl, M_CODE));
		fputc('\n', stdout);
	}
	json_decref(name);
	json_decref(code);
}

/* Keeps the places just saved as the next interview's defaults. */
static void keep_places(fill *fl)
{
	json_t *p = json_object(), *v;
	saola_field f;
	char *text;
	int i;

	for (i = 0; p && i < fl->nq; i++) {
		f = field_of(fl, i);
		if (f.unit && f.repeat < 0 && saola_interview_get(fl->iv, i, 0, &v) == SAOLA_OK && v)
			json_object_set_new(p, f.name, v);
	}
	if (p && json_object_size(p) && (text = json_dumps(p, JSON_COMPACT))) {
		saola_state_set(fl->db, PLACES_KEY, text);
		free(text);
	}
	json_decref(p);
}

/* Cuts the history back to before its last visit of s, when it has one. */
static void forget_after(fill *fl, saola_step s)
{
	size_t h = fl->nhist;

	while (h > 0) {
		saola_step *o = &fl->hist[--h];
		if (o->field == s.field && o->item == s.item && o->kind == s.kind) {
			fl->nhist = h;
			return;
		}
	}
}

/* Saves after the summary, when confirmed. Returns the exit code, or -1
 * to go back into the interview at *s. */
static int save(fill *fl, saola_step *s)
{
	char id[37];
	int rc, yes;

	fputc('\n', stdout);
	rc = fill_yesno(fl, fill_text(fl, M_SAVE), -1, 1, &yes);
	if (rc == FILL_BACK) {
		if (fl->nhist)
			*s = fl->hist[--fl->nhist];
		return -1;
	}
	if (rc == FILL_EOF)
		printf("\n%s\n%s\n", fill_text(fl, M_EOF), fill_text(fl, M_DRAFT_KEPT));
	else if (rc == FILL_QUIT)
		printf("%s\n", fill_text(fl, M_QUIT_DONE));
	else if (rc != FILL_ANSWER || !yes)
		printf("%s\n", fill_text(fl, M_NOT_SAVED));
	if (rc == FILL_QUIT || (rc == FILL_ANSWER && !yes))
		saola_draft_delete(fl->db, saola_interview_draft_id(fl->iv));
	if (rc != FILL_ANSWER || !yes)
		return 1;
	if (saola_interview_save(fl->iv, id) != SAOLA_OK) {
		printf(fill_text(fl, M_SAVE_FAILED), saola_interview_errmsg(fl->iv));
		fputc('\n', stdout);
		return 1;
	}
	printf(fill_text(fl, M_SAVED), id);
	fputc('\n', stdout);
	show_household(fl);
	keep_places(fl);
	return 0;
}

/* The end of the form: a last check of every answer, the result, and the
 * save. Returns the exit code, or -1 to go on interviewing at *s. */
static int finish(fill *fl, saola_step *s)
{
	int field, item;

	char why[512];

	if (saola_interview_check(fl->iv, &field, &item) != SAOLA_OK) {
		snprintf(why, sizeof why, "%s", saola_interview_errmsg(fl->iv));
		if (field >= 0)
			saola_interview_at(fl->iv, field, item, s);
		/* Sent back to the same place with nothing changed since: the
		 * question cannot fix it (an expression of the form that fails). */
		if (field < 0 || s->kind == SAOLA_STEP_END ||
		    (fl->changes == fl->fix_changes && s->field == fl->fix.field &&
		     s->item == fl->fix.item && s->kind == fl->fix.kind)) {
			printf(fill_text(fl, M_SAVE_FAILED), why);
			fputc('\n', stdout);
			return 1;
		}
		fill_say(fl, fill_text(fl, M_FIX), why);
		fl->fix = *s;
		fl->fix_changes = fl->changes;
		forget_after(fl, *s);
		return -1;
	}
	summary(fl);
	if (saola_interview_record_id(fl->iv) && !saola_interview_changed(fl->iv)) {
		printf("%s\n", fill_text(fl, M_NO_CHANGE));
		saola_draft_delete(fl->db, saola_interview_draft_id(fl->iv));
		return 0;
	}
	return save(fl, s);
}

static int push(fill *fl, saola_step s)
{
	saola_step *grown;

	if (fl->nhist == fl->caphist) {
		grown = realloc(fl->hist, (fl->caphist ? fl->caphist * 2 : 64) * sizeof *grown);
		if (!grown)
			return -1;
		fl->hist = grown;
		fl->caphist = fl->caphist ? fl->caphist * 2 : 64;
	}
	fl->hist[fl->nhist++] = s;
	return 0;
}

/* Asks what is at s: a question, a confirmation, an item prompt, a note. */
static int ask(fill *fl, saola_step *s, int back)
{
	saola_field f = field_of(fl, s->field);

	if (s->kind == SAOLA_STEP_NOTE) {
		printf("\n* %s\n", f.label);
		if (f.hint)
			printf("  %s\n", f.hint);
		return FILL_PASS;
	}
	if (s->kind == SAOLA_STEP_ITEM)
		return ask_add(fl, *s, back);
	if (f.kind == SAOLA_FIELD_CONFIRM)
		return ask_confirm(fl, s);
	return ask_question(fl, *s);
}

/* What follows an answer at s: the history, the draft, the next place. */
static int answered(fill *fl, saola_step *s)
{
	saola_step next;

	if (push(fl, *s) || saola_interview_next(fl->iv, s, &next) != SAOLA_OK)
		return -1;
	*s = next;
	if (saola_interview_save_draft(fl->iv, s->field, s->item) != SAOLA_OK)
		fill_say(fl, "%s", saola_interview_errmsg(fl->iv));
	return 0;
}

/* The interview, from s to the save. Returns the exit code. */
static int interview(fill *fl, saola_step s)
{
	int back = 0, rc;

	for (;;) {
		if (back && !askable(fl, s))
			saola_interview_at(fl->iv, s.field, s.item, &s);
		if (s.kind == SAOLA_STEP_END) {
			if ((rc = finish(fl, &s)) >= 0)
				return rc;
			back = 1;
			continue;
		}
		announce(fl, s);
		rc = ask(fl, &s, back);
		back = 0;
		switch (rc) {
		case FILL_ANSWER:
			if (answered(fl, &s)) {
				printf("saola fill: out of memory\n");
				return 1;
			}
			break;
		case FILL_PASS: /* shown, nothing asked */
			saola_interview_next(fl->iv, &s, &s);
			break;
		case FILL_AGAIN:
			back = 1;
			break;
		case FILL_BACK:
			back = 1;
			if (fl->nhist)
				s = fl->hist[--fl->nhist];
			else
				printf("%s\n", fill_text(fl, M_FIRST));
			break;
		case FILL_QUIT:
			printf("%s\n", fill_text(fl, M_QUIT_DONE));
			saola_draft_delete(fl->db, saola_interview_draft_id(fl->iv));
			return 1;
		case FILL_EOF:
			printf("\n%s\n%s\n", fill_text(fl, M_EOF), fill_text(fl, M_DRAFT_KEPT));
			return 1;
		default:
			printf("saola fill: out of memory\n");
			return 1;
		}
	}
}

/* The places of the last household saved, as the answers a new interview
 * starts with (the surveyor's own area). */
static void default_places(fill *fl)
{
	char *text = NULL;
	json_t *p, *v;
	const char *k;

	if (saola_state_get(fl->db, PLACES_KEY, &text) != SAOLA_OK || !text)
		return;
	p = json_loads(text, 0, NULL);
	saola_free(text);
	json_object_foreach(p, k, v) {
		int i = saola_interview_find(fl->iv, k);
		if (i >= 0 && saola_interview_set(fl->iv, i, 0, v) != SAOLA_OK)
			break; /* no longer valid: asked as new */
	}
	json_decref(p);
}

/* With --resume: the newest draft. */
static int resume(fill *fl, const char *lang, saola_step *s)
{
	json_t *list = NULL;
	const char *id;
	int field = 0, item = 0, rc;

	if (saola_drafts_list(fl->db, &list) != SAOLA_OK)
		return cli_fail(fl->db, "fill");
	if (!(id = json_string_value(json_object_get(json_array_get(list, 0), "id")))) {
		fprintf(stderr, "%s\n", fill_text(fl, M_NO_DRAFT));
		json_decref(list);
		return 1;
	}
	rc = saola_interview_resume(fl->db, id, lang, &field, &item, &fl->iv);
	if (rc == SAOLA_OK) {
		printf(fill_text(fl, M_RESUMED),
		       json_string_value(json_object_get(json_array_get(list, 0), "title")));
		saola_interview_at(fl->iv, field, item, s);
	}
	json_decref(list);
	return rc == SAOLA_OK ? 0 : cli_fail(fl->db, "fill");
}

/* Opens the interview the options ask for; *s its first place. */
static int start(fill *fl, const char *form_id, const char *rid, int again,
                 const char *lang, saola_step *s)
{
	const char *l = lang ? lang : fl->en ? "en" : "vi";

	if (again)
		return resume(fl, lang ? lang : NULL, s);
	if (rid && saola_interview_edit(fl->db, rid, l, &fl->iv) != SAOLA_OK)
		return cli_fail(fl->db, "fill");
	if (!rid && saola_interview_open(fl->db, form_id, l, &fl->iv) != SAOLA_OK)
		return cli_fail(fl->db, "fill");
	if (rid && form_id && strcmp(form_id, saola_interview_form_id(fl->iv)) != 0) {
		fprintf(stderr, "saola fill: record %s is a %s record, not %s\n", rid,
		        saola_interview_form_id(fl->iv), form_id);
		return 1;
	}
	if (!rid)
		default_places(fl);
	saola_interview_first(fl->iv, s);
	return 0;
}

int cmd_fill(int argc, char **argv)
{
	const char *form_id = NULL, *rid = NULL, *lang = NULL, *env;
	int again = 0;
	const cli_opt opts[] = {{"--form", &form_id, NULL}, {"--id", &rid, NULL},
	                        {"--lang", &lang, NULL}, {"--resume", NULL, &again},
	                        {NULL, NULL, NULL}};
	const char *usage = "saola fill --form ID [--db PATH] [--lang vi|en] [--id RID]\n"
	                    "       saola fill --resume [--db PATH] [--lang vi|en]";
	saola_step s;
	fill fl;
	int rc;

	if ((rc = cli_parse(argc, argv, opts, NULL, 0, NULL, usage)))
		return rc;
	if (lang && strcmp(lang, "vi") != 0 && strcmp(lang, "en") != 0) {
		fprintf(stderr, "saola fill: --lang: expected vi or en, got \"%s\"\nusage: %s\n",
		        lang, usage);
		return EXIT_USAGE;
	}
	if (!form_id && !rid && !again) {
		fprintf(stderr, "saola fill: which form? (--form ID, or --resume)\nusage: %s\n", usage);
		return EXIT_USAGE;
	}
	env = getenv("SAOLA_LANG");
	memset(&fl, 0, sizeof fl);
	fl.en = lang ? strcmp(lang, "en") == 0 : env && strncmp(env, "en", 2) == 0;
	fl.tty = isatty(STDIN_FILENO);
	fl.shown_top = fl.shown_inner = -1;
	fl.fix.field = -1;
	if (!(fl.db = cli_open(0)))
		return 1;
	if ((rc = start(&fl, form_id, rid, again, lang, &s)) == 0) {
		fl.en = strcmp(saola_interview_lang(fl.iv), "en") == 0;
		fl.nq = saola_interview_nfields(fl.iv);
		printf(fill_text(&fl, M_INTRO), saola_interview_title(fl.iv),
		       saola_interview_form_id(fl.iv), saola_interview_form_version(fl.iv));
		if (saola_interview_record_id(fl.iv))
			printf(fill_text(&fl, M_EDIT), saola_interview_record_id(fl.iv));
		rc = interview(&fl, s);
	}
	fflush(stdout);
	saola_interview_close(fl.iv);
	free(fl.hist);
	free(fl.line);
	saola_close(fl.db);
	return rc;
}
