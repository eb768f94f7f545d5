/* cmd_fill.c: 'saola fill', an interview that fills a form question by
 * question as a surveyor would in the village (skip logic, checks as each
 * answer is typed, repeat items, going back), then shows the household's
 * deprivations and class and saves it when confirmed. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fill.h"

/* The words for a repeat's items. */
typedef struct noun {
	const char *cap, *low, *a;
} noun;

static noun item_noun(const fill *fl, const fill_q *r)
{
	static const noun words[2][2] = {
		{{"Mục", "mục", "mục"}, {"Thành viên", "thành viên", "thành viên"}},
		{{"Item", "item", "an item"}, {"Member", "member", "a member"}},
	};

	return words[fl->en ? 1 : 0][strcmp(r->fi.name, "members") == 0];
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

/* A field whose answer is typed in (not a group, repeat, note or a
 * computed field). */
static int entered(const fill_q *q)
{
	return q->fi.type != SAOLA__F_GROUP && q->fi.type != SAOLA__F_REPEAT &&
	       q->fi.type != SAOLA__F_NOTE && !q->fi.computed;
}

static json_t *items_of(const fill *fl, int r)
{
	return json_object_get(fl->answers, fl->q[r].fi.name);
}

/* The object that holds the answer of the field at p: the record, or an
 * item. */
static json_t *scope_of(const fill *fl, fill_pos p)
{
	int r = fl->q[p.field].fi.repeat;

	return r < 0 ? fl->answers : json_array_get(items_of(fl, r), p.item);
}

/* Walks the answers again after a change. */
static int rewalk(fill *fl)
{
	char err[256];

	saola__walk_free(fl->w);
	fl->w = NULL;
	if (saola__form_walk(fl->form, fl->answers, &fl->params, NULL, &fl->w, err,
	                     sizeof err) != SAOLA_OK) {
		printf("saola fill: %s\n", err);
		return -1;
	}
	return 0;
}

/* The top-level group or repeat around field i (i itself when it is one),
 * or -1; and the innermost group below that, or -1. */
static int top_of(const fill *fl, int i)
{
	int top = -1;

	for (; i >= 0; i = fl->q[i].fi.parent)
		if (fl->q[i].fi.type == SAOLA__F_GROUP || fl->q[i].fi.type == SAOLA__F_REPEAT)
			top = i;
	return top;
}

static int inner_of(const fill *fl, int i)
{
	int top = top_of(fl, i);

	for (i = fl->q[i].fi.parent; i >= 0 && i != top; i = fl->q[i].fi.parent)
		if (fl->q[i].fi.type == SAOLA__F_GROUP)
			return i;
	return -1;
}

/* Prints the section, item and group headings of place p that are not
 * on the screen yet. */
static void announce(fill *fl, fill_pos p)
{
	int top = top_of(fl, p.field);
	int inner = p.add ? -1 : inner_of(fl, p.field);
	int r = p.add ? p.field : fl->q[p.field].fi.repeat;

	if (top != fl->shown_top) {
		if (top >= 0) {
			printf("\n== %s ==\n", fl->q[top].label);
			if (fl->q[top].hint)
				printf("  %s\n", fl->q[top].hint);
		}
		fl->shown_top = top;
		fl->shown_inner = -1;
		fl->shown_item = 0;
	}
	if (!p.add && r >= 0 && fl->shown_item != p.item + 1) {
		fputc('\n', stdout);
		printf(fill_text(fl, M_ITEM), item_noun(fl, &fl->q[r]).cap, p.item + 1);
		fputc('\n', stdout);
		fl->shown_item = p.item + 1;
		fl->shown_inner = -1;
	}
	if (inner != fl->shown_inner) {
		if (inner >= 0)
			printf("\n-- %s --\n", fl->q[inner].label);
		fl->shown_inner = inner;
	}
}

/* The place of field `to` in p's item; past the end of a repeat's fields,
 * the "add an item?" prompt before the next item. */
static fill_pos step_to(const fill *fl, fill_pos p, int to)
{
	int r = fl->q[p.field].fi.repeat;
	fill_pos n = {to, r < 0 ? 0 : p.item, 0};

	if (r >= 0 && to >= fl->q[r].fi.end) {
		n.field = r;
		n.item = p.item + 1;
		n.add = 1;
	}
	return n;
}

/* Whether place p can be asked as it stands. */
static int askable(const fill *fl, fill_pos p)
{
	if (p.field < 0 || p.field >= fl->nq)
		return 0;
	if (p.add)
		return saola__walk_relevant(fl->w, p.field, 0) &&
		       p.item <= json_array_size(items_of(fl, p.field));
	return entered(&fl->q[p.field]) && saola__walk_relevant(fl->w, p.field, p.item);
}

/* The first place from p on that is asked: skips what is not relevant and
 * what is computed, prints the notes on the way. */
static fill_pos next_from(fill *fl, fill_pos p)
{
	while (p.field < fl->nq) {
		const fill_q *q = &fl->q[p.field];
		int rel;

		if (p.add) {
			if (askable(fl, p))
				return p;
			p = (fill_pos){q->fi.end, 0, 0};
			continue;
		}
		rel = saola__walk_relevant(fl->w, p.field, p.item);
		if (q->fi.type == SAOLA__F_REPEAT) {
			p = rel ? (fill_pos){p.field, 0, 1} : (fill_pos){q->fi.end, 0, 0};
		} else if (q->fi.type == SAOLA__F_GROUP) {
			p = step_to(fl, p, rel ? p.field + 1 : q->fi.end);
		} else if (rel && entered(q)) {
			return p;
		} else {
			if (rel && q->fi.type == SAOLA__F_NOTE) {
				announce(fl, p);
				printf("\n* %s\n", q->label);
				if (q->hint)
					printf("  %s\n", q->hint);
			}
			p = step_to(fl, p, p.field + 1);
		}
	}
	return (fill_pos){fl->nq, 0, 0};
}

/* The place after step p was answered. */
static fill_pos after(const fill *fl, fill_pos p)
{
	if (!p.add)
		return step_to(fl, p, p.field + 1);
	if (p.item < json_array_size(items_of(fl, p.field)))
		return (fill_pos){p.field + 1, p.item, 0};
	return (fill_pos){fl->q[p.field].fi.end, 0, 0};
}

/* Sets (v, a reference it takes) or clears (v NULL) an answer. */
static int set_answer(json_t *scope, const char *name, json_t *v)
{
	if (!v) {
		json_object_del(scope, name);
		return 0;
	}
	return json_object_set_new(scope, name, v);
}

/* A place (a field with "unit"): refused with the engine's message when it
 * is not a unit of its level valid for the year or lies outside the unit
 * above it (docs/forms.md, "Places"); else named: "14404 → Xã Cúc Phương".
 * 0 accepted, 1 refused. */
static int check_place(fill *fl, const fill_q *q)
{
	const char *code = json_string_value(json_object_get(fl->answers, q->fi.name));
	saola__unit_ref u;
	char err[512];

	if (saola__walk_units(fl->w, err, sizeof err) != SAOLA_OK) {
		fill_say(fl, fill_text(fl, M_PLACE), err);
		return 1;
	}
	if (code && saola__walk_unit(fl->w, code, &u) == 1)
		printf("  %s → %s\n", u.code, u.name);
	return 0;
}

/* Checks the answer now at p against its constraint and, for the year,
 * the standards: 0 accepted, 1 refused (said why). */
static int check(fill *fl, fill_pos p)
{
	const fill_q *q = &fl->q[p.field];
	const char *year = saola__form_standard_year_field(fl->form);
	char err[512];
	int holds;

	if (saola__walk_constraint(fl->w, p.field, p.item, &holds, err, sizeof err) != SAOLA_OK)
		fill_say(fl, fill_text(fl, M_UNCHECKED), err); /* cannot tell: let it be */
	else if (!holds) {
		fill_say(fl, "%s", q->cmsg ? q->cmsg : fill_text(fl, M_CONSTRAINT));
		return 1;
	}
	if (year && q->fi.repeat < 0 && strcmp(q->fi.name, year) == 0 &&
	    saola__walk_standard(fl->w, err, sizeof err) != SAOLA_OK) {
		fill_say(fl, fill_text(fl, M_NO_STANDARD), err);
		return 1;
	}
	return json_object_get(q->fi.def, "unit") ? check_place(fl, q) : 0;
}

/* Asks the question at p until an answer passes its checks. */
static int ask_question(fill *fl, fill_pos p)
{
	const fill_q *q = &fl->q[p.field];
	json_t *scope, *cur, *old, *v;
	const char *note = saola__walk_note(fl->w);
	char err[512];
	int required = 0, again = 0, rc;

	if (saola__walk_relevant(fl->w, p.field, p.item) == 2 && note)
		fill_say(fl, fill_text(fl, M_UNCERTAIN), note);
	if (saola__walk_required(fl->w, p.field, p.item, &required, err, sizeof err) != SAOLA_OK)
		fill_say(fl, fill_text(fl, M_UNCERTAIN), err);
	for (;;) {
		scope = scope_of(fl, p);
		cur = json_object_get(scope, q->fi.name);
		rc = fill_ask(fl, q, required, cur ? cur : q->dflt, again, &v);
		if (rc != FILL_ANSWER)
			return rc;
		again = 1;
		if (!v && required) {
			fill_say(fl, "%s", fill_text(fl, M_REQUIRED));
			continue;
		}
		old = json_incref(cur);
		if (set_answer(scope, q->fi.name, v) || rewalk(fl)) {
			json_decref(old);
			return FILL_ERROR;
		}
		if (!check(fl, p)) {
			fl->changes += !json_equal(v ? v : json_null(), old ? old : json_null());
			json_decref(old);
			return FILL_ANSWER;
		}
		if (set_answer(scope, q->fi.name, old) || rewalk(fl))
			return FILL_ERROR;
	}
}

/* A short name of item k of repeat r: its first text answer. */
static void item_title(const fill *fl, int r, size_t k, char *buf, size_t len)
{
	json_t *item = json_array_get(items_of(fl, r), k);
	const char *s;
	int j;

	for (j = r + 1; j < fl->q[r].fi.end; j++)
		if (fl->q[j].fi.type == SAOLA__F_TEXT &&
		    (s = json_string_value(json_object_get(item, fl->q[j].fi.name))) && *s) {
			snprintf(buf, len, "%s", s);
			return;
		}
	snprintf(buf, len, "%s", fill_text(fl, M_NONAME));
}

/* The prompt before item p.item of repeat p.field: keep (or remove) an item
 * there is, or add one. FILL_AGAIN after a removal: ask the place again. */
static int ask_add(fill *fl, fill_pos p, int back)
{
	noun n = item_noun(fl, &fl->q[p.field]);
	json_t *items = items_of(fl, p.field), *item;
	char question[512], title[256], err[256];
	int yes, rc, required = 0;

	fputc('\n', stdout);
	if (p.item < json_array_size(items)) {
		item_title(fl, p.field, p.item, title, sizeof title);
		snprintf(question, sizeof question, fill_text(fl, M_KEEP), n.cap, p.item + 1, title);
		if ((rc = fill_yesno(fl, question, 1, 1, &yes)) != FILL_ANSWER || yes)
			return rc;
		item = json_array_get(items, p.item);
		if (json_object_size(item) > (json_object_get(item, "_id") ? 1u : 0u)) {
			snprintf(question, sizeof question, fill_text(fl, M_REMOVE), n.low,
			         p.item + 1, title);
			if ((rc = fill_yesno(fl, question, -1, 1, &yes)) != FILL_ANSWER)
				return rc;
			if (!yes)
				return FILL_AGAIN;
		}
		if (json_array_remove(items, p.item) || rewalk(fl))
			return FILL_ERROR;
		fl->changes++;
		printf(fill_text(fl, M_REMOVED), n.low, p.item + 1);
		fputc('\n', stdout);
		return FILL_AGAIN;
	}
	if (saola__walk_required(fl->w, p.field, 0, &required, err, sizeof err) != SAOLA_OK)
		fill_say(fl, fill_text(fl, M_UNCERTAIN), err);
	snprintf(question, sizeof question, fill_text(fl, M_ADD), n.a);
	for (;;) {
		if ((rc = fill_yesno(fl, question, back ? 0 : -1, 1, &yes)) != FILL_ANSWER)
			return rc;
		if (!yes && p.item == 0 && required) {
			fill_say(fl, fill_text(fl, M_NEED_ITEM), n.low);
			continue;
		}
		if (!yes)
			return FILL_ANSWER;
		if (!items) {
			if (!(items = json_array()) ||
			    json_object_set_new(fl->answers, fl->q[p.field].fi.name, items))
				return FILL_ERROR;
		}
		if (json_array_append_new(items, json_object()) || rewalk(fl))
			return FILL_ERROR;
		fl->changes++;
		return FILL_ANSWER;
	}
}

/* Prints the deprivations, their count and the class (the household form),
 * else every computed value of the record. */
static void summary(const fill *fl, json_t *doc)
{
	int i, nd = 0, deprived = 0;
	json_t *v;
	size_t c;

	printf("\n%s\n", fill_text(fl, M_RESULT));
	for (i = 0; i < fl->nq; i++)
		if (fl->q[i].fi.repeat < 0 && fl->q[i].fi.computed &&
		    strncmp(fl->q[i].fi.name, "d_", 2) == 0) {
			nd++;
			if (json_integer_value(json_object_get(doc, fl->q[i].fi.name)) != 1)
				continue;
			if (!deprived++)
				printf("%s\n", fill_text(fl, M_DEPRIVED));
			printf("  %s\n", fl->q[i].label);
		}
	if (nd && !deprived)
		printf("%s\n", fill_text(fl, M_NONE_DEPRIVED));
	for (i = 0; i < fl->nq; i++) {
		const char *name = fl->q[i].fi.name, *s;

		if (fl->q[i].fi.repeat >= 0 || !fl->q[i].fi.computed ||
		    (nd && strcmp(name, "deprivation_count") != 0 &&
		     strcmp(name, "classification") != 0) ||
		    !(v = json_object_get(doc, name)))
			continue;
		s = json_string_value(v);
		for (c = 0; s && c < sizeof classes / sizeof *classes; c++)
			if (strcmp(s, classes[c].value) == 0)
				s = fl->en ? classes[c].en : classes[c].vi;
		if (s)
			printf("%s: %s\n", fl->q[i].label, s);
		else if (json_is_integer(v))
			printf("%s: %" JSON_INTEGER_FORMAT "\n", fl->q[i].label, json_integer_value(v));
		else if (json_is_number(v))
			printf("%s: %.15g\n", fl->q[i].label, json_number_value(v));
	}
}

/* Adds the answer now (null when there is none, which clears it) under
 * name when it differs from the answer was. */
static int put_changed(json_t *o, const char *name, json_t *now, json_t *was)
{
	if (json_equal(now ? now : json_null(), was ? was : json_null()))
		return 0;
	return json_object_set(o, name, now ? now : json_null());
}

/* The item of items whose _id is id, or NULL. */
static json_t *item_by_id(json_t *items, json_t *id)
{
	json_t *item;
	size_t k;

	json_array_foreach(items, k, item)
		if (id && json_equal(json_object_get(item, "_id"), id))
			return item;
	return NULL;
}

/* The edit of repeat r for saola_put: the changed answers of each item by
 * its _id, new items whole, "_remove" for the stored items that are gone.
 * Added to put only when it has something. */
static int put_items(const fill *fl, int r, json_t *put)
{
	const fill_q *q = &fl->q[r];
	json_t *arr = json_array(), *was = json_object_get(fl->original, q->fi.name);
	json_t *item, *o, *old, *id;
	size_t k;
	int j;

	if (!arr)
		return -1;
	json_array_foreach(items_of(fl, r), k, item) {
		id = json_object_get(item, "_id");
		old = item_by_id(was, id);
		if (!(o = json_object()) || json_array_append_new(arr, o) ||
		    (id && json_object_set(o, "_id", id)))
			goto nomem;
		for (j = r + 1; j < q->fi.end; j++)
			if (entered(&fl->q[j]) &&
			    put_changed(o, fl->q[j].fi.name, json_object_get(item, fl->q[j].fi.name),
			                json_object_get(old, fl->q[j].fi.name)))
				goto nomem;
		if (old && json_object_size(o) == 1) /* an item as it was */
			json_array_remove(arr, json_array_size(arr) - 1);
	}
	json_array_foreach(was, k, old) {
		id = json_object_get(old, "_id");
		if (id && !item_by_id(items_of(fl, r), id) &&
		    (!(o = json_pack("{s:O,s:b}", "_id", id, "_remove", 1)) ||
		     json_array_append_new(arr, o)))
			goto nomem;
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return 0;
	}
	return json_object_set_new(put, q->fi.name, arr);
nomem:
	json_decref(arr);
	return -1;
}

/* What saola_put gets: the answers that differ from the stored ones (all of
 * them for a new record), so that an edit merged in from elsewhere while
 * the interview went on is not overwritten with what it replaced. New
 * reference, or NULL when out of memory. */
static json_t *put_data(const fill *fl)
{
	json_t *put = json_object();
	int i;

	for (i = 0; put && i < fl->nq; i++) {
		const fill_q *q = &fl->q[i];
		const char *name = q->fi.name;

		if (q->fi.repeat >= 0)
			continue;
		if ((q->fi.type == SAOLA__F_REPEAT && put_items(fl, i, put)) ||
		    (entered(q) && put_changed(put, name, json_object_get(fl->answers, name),
		                               json_object_get(fl->original, name)))) {
			json_decref(put);
			return NULL;
		}
	}
	return put;
}

/* Cuts the history back to before its last visit of p, when it has one. */
static void forget_after(fill *fl, fill_pos p)
{
	size_t h = fl->nhist;

	while (h > 0) {
		fill_pos *s = &fl->hist[--h];
		if (s->field == p.field && s->item == p.item && s->add == p.add) {
			fl->nhist = h;
			return;
		}
	}
}

/* The end of the form: a last check of every answer, the result, and the
 * save. Returns the exit code, or -1 to go on interviewing at *p. */
static int finish(fill *fl, fill_pos *p)
{
	json_t *doc = NULL, *put;
	char err[512], id[37];
	int field, rc, yes;
	size_t item;

	if (saola__walk_validate(fl->w, &field, &item, err, sizeof err) != SAOLA_OK) {
		*p = (fill_pos){field, item, 0};
		if (field >= 0 && fl->q[field].fi.type == SAOLA__F_REPEAT)
			*p = (fill_pos){field, 0, 1};
		/* Sent back to the same place with nothing changed since: the
		 * question cannot fix it (an expression of the form that fails). */
		if (!askable(fl, *p) || (fl->changes == fl->fix_changes &&
		    p->field == fl->fix.field && p->item == fl->fix.item && p->add == fl->fix.add)) {
			printf(fill_text(fl, M_SAVE_FAILED), err);
			fputc('\n', stdout);
			return 1;
		}
		fill_say(fl, fill_text(fl, M_FIX), err);
		fl->fix = *p;
		fl->fix_changes = fl->changes;
		forget_after(fl, *p);
		return -1;
	}
	if (saola__form_process(fl->form, fl->answers, &fl->params, NULL, &doc, err,
	                        sizeof err) != SAOLA_OK) {
		printf("saola fill: %s\n", err);
		return 1;
	}
	summary(fl, doc);
	rc = fl->stored && json_equal(doc, fl->stored);
	json_decref(doc);
	if (rc) {
		printf("%s\n", fill_text(fl, M_NO_CHANGE));
		return 0;
	}
	fputc('\n', stdout);
	rc = fill_yesno(fl, fill_text(fl, M_SAVE), -1, 1, &yes);
	if (rc == FILL_BACK) {
		if (fl->nhist)
			*p = fl->hist[--fl->nhist];
		return -1;
	}
	if (rc == FILL_EOF)
		printf("\n%s\n", fill_text(fl, M_EOF));
	else if (rc == FILL_QUIT)
		printf("%s\n", fill_text(fl, M_QUIT_DONE));
	else if (rc != FILL_ANSWER || !yes)
		printf("%s\n", fill_text(fl, M_NOT_SAVED));
	if (rc != FILL_ANSWER || !yes)
		return 1;
	if (!(put = put_data(fl))) {
		printf(fill_text(fl, M_SAVE_FAILED), "out of memory");
		fputc('\n', stdout);
		return 1;
	}
	rc = saola_put(fl->db, fl->form_id, fl->record_id, put, id);
	json_decref(put);
	if (rc != SAOLA_OK) {
		printf(fill_text(fl, M_SAVE_FAILED), saola_errmsg(fl->db));
		fputc('\n', stdout);
		return 1;
	}
	printf(fill_text(fl, M_SAVED), id);
	fputc('\n', stdout);
	return 0;
}

static int push(fill *fl, fill_pos p)
{
	fill_pos *grown;

	if (fl->nhist == fl->caphist) {
		grown = realloc(fl->hist, (fl->caphist ? fl->caphist * 2 : 64) * sizeof *grown);
		if (!grown)
			return -1;
		fl->hist = grown;
		fl->caphist = fl->caphist ? fl->caphist * 2 : 64;
	}
	fl->hist[fl->nhist++] = p;
	return 0;
}

/* The interview, from the first question to the save. Returns the exit
 * code. */
static int interview(fill *fl)
{
	fill_pos p = {0, 0, 0};
	int back = 0, rc;

	for (;;) {
		if (!back || !askable(fl, p))
			p = next_from(fl, p);
		if (p.field >= fl->nq) {
			if ((rc = finish(fl, &p)) >= 0)
				return rc;
			back = 1;
			continue;
		}
		announce(fl, p);
		rc = p.add ? ask_add(fl, p, back) : ask_question(fl, p);
		back = 0;
		switch (rc) {
		case FILL_ANSWER:
			if (push(fl, p)) {
				printf("saola fill: out of memory\n");
				return 1;
			}
			p = after(fl, p);
			break;
		case FILL_AGAIN:
			break;
		case FILL_BACK:
			back = 1;
			if (fl->nhist)
				p = fl->hist[--fl->nhist];
			else
				printf("%s\n", fill_text(fl, M_FIRST));
			break;
		case FILL_QUIT:
			printf("%s\n", fill_text(fl, M_QUIT_DONE));
			return 1;
		case FILL_EOF:
			printf("\n%s\n", fill_text(fl, M_EOF));
			return 1;
		default:
			printf("saola fill: out of memory\n");
			return 1;
		}
	}
}

/* The questions of the form, in the interview's language. */
static int load_questions(fill *fl)
{
	const char *lang = fl->en ? "en" : "vi";
	json_t *lists = json_object_get(saola__form_def(fl->form), "choices"), *def;
	int i;

	fl->nq = saola__form_nfields(fl->form);
	if (!(fl->q = calloc((size_t)fl->nq + 1, sizeof *fl->q)))
		return -1;
	for (i = 0; i < fl->nq; i++) {
		fill_q *q = &fl->q[i];

		saola__form_field_info(fl->form, i, &q->fi);
		def = q->fi.def;
		q->label = cli_label(json_object_get(def, "label"), lang);
		if (!q->label)
			q->label = q->fi.name;
		q->hint = cli_label(json_object_get(def, "hint"), lang);
		q->cmsg = cli_label(json_object_get(def, "constraint_message"), lang);
		q->choices = json_object_get(lists, json_string_value(json_object_get(def, "choices")));
		q->dflt = json_object_get(def, "default");
		if (json_is_null(q->dflt))
			q->dflt = NULL;
	}
	return 0;
}

/* The entered answers of a stored record's data, repeat items with _id. */
static json_t *entered_answers(const fill *fl, json_t *data)
{
	json_t *a = json_object(), *arr, *item, *o, *v;
	size_t k;
	int i, j;

	for (i = 0; a && i < fl->nq; i++) {
		const fill_q *q = &fl->q[i];

		if (q->fi.repeat >= 0)
			continue;
		if (entered(q) && (v = json_object_get(data, q->fi.name)) &&
		    json_object_set(a, q->fi.name, v))
			goto nomem;
		if (q->fi.type != SAOLA__F_REPEAT || !json_is_array(json_object_get(data, q->fi.name)))
			continue;
		if (!(arr = json_array()) || json_object_set_new(a, q->fi.name, arr))
			goto nomem;
		json_array_foreach(json_object_get(data, q->fi.name), k, item) {
			if (!(o = json_object()) || json_array_append_new(arr, o) ||
			    ((v = json_object_get(item, "_id")) && json_object_set(o, "_id", v)))
				goto nomem;
			for (j = i + 1; j < q->fi.end; j++)
				if (entered(&fl->q[j]) && (v = json_object_get(item, fl->q[j].fi.name)) &&
				    json_object_set(o, fl->q[j].fi.name, v))
					goto nomem;
		}
	}
	return a;
nomem:
	json_decref(a);
	return NULL;
}

/* With --id: the stored record, of the form asked for. */
static int load_record(fill *fl, const char *rid, const char **form_id, json_t **rec)
{
	const char *rform;

	if (saola_get(fl->db, rid, rec) != SAOLA_OK)
		return cli_fail(fl->db, "fill");
	rform = json_string_value(json_object_get(*rec, "form"));
	if (json_is_true(json_object_get(*rec, "deleted"))) {
		fprintf(stderr, "saola fill: record %s is deleted\n", rid);
		return 1;
	}
	if (*form_id && rform && strcmp(*form_id, rform) != 0) {
		fprintf(stderr, "saola fill: record %s is a %s record, not %s\n", rid, rform, *form_id);
		return 1;
	}
	*form_id = rform;
	fl->stored = json_object_get(*rec, "data");
	fl->record_id = rid;
	return 0;
}

int cmd_fill(int argc, char **argv)
{
	const char *form_id = NULL, *rid = NULL, *lang = NULL, *env, *title;
	const cli_opt opts[] = {{"--form", &form_id, NULL}, {"--id", &rid, NULL},
	                        {"--lang", &lang, NULL}, {NULL, NULL, NULL}};
	const char *usage = "saola fill --form ID [--db PATH] [--lang vi|en] [--id RID]";
	json_t *rec = NULL;
	fill fl;
	int rc;

	if ((rc = cli_parse(argc, argv, opts, NULL, 0, NULL, usage)))
		return rc;
	if (lang && strcmp(lang, "vi") != 0 && strcmp(lang, "en") != 0) {
		fprintf(stderr, "saola fill: --lang: expected vi or en, got \"%s\"\nusage: %s\n",
		        lang, usage);
		return EXIT_USAGE;
	}
	if (!form_id && !rid) {
		fprintf(stderr, "saola fill: which form? (--form ID)\nusage: %s\n", usage);
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
	if (rid && (rc = load_record(&fl, rid, &form_id, &rec)) != 0)
		goto out;
	rc = 1;
	if (saola__form_open_db(fl.db, form_id, &fl.form, &fl.params) != SAOLA_OK) {
		rc = cli_fail(fl.db, "fill");
		goto out;
	}
	fl.form_id = form_id;
	if (load_questions(&fl) ||
	    !(fl.answers = rec ? entered_answers(&fl, fl.stored) : json_object()) ||
	    (rec && !(fl.original = json_deep_copy(fl.answers)))) {
		fprintf(stderr, "saola fill: out of memory\n");
		goto out;
	}
	if (rewalk(&fl))
		goto out;
	title = cli_label(json_object_get(saola__form_def(fl.form), "title"), fl.en ? "en" : "vi");
	printf(fill_text(&fl, M_INTRO), title ? title : form_id, form_id,
	       saola__form_version(fl.form));
	if (rid)
		printf(fill_text(&fl, M_EDIT), rid);
	rc = interview(&fl);
out:
	fflush(stdout);
	saola__walk_free(fl.w);
	json_decref(fl.answers);
	json_decref(fl.original);
	json_decref(rec);
	free(fl.q);
	free(fl.hist);
	free(fl.line);
	saola_close(fl.db);
	return rc;
}
