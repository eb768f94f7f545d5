/* test_interview.c: the public interview API (saola/form.h) driven as a
 * screen would: a household walked question by question with relevance,
 * repeat items added, removed and gone to, answers refused with messages
 * in Vietnamese and English, a warning confirmed, a draft saved, listed
 * and resumed, an edit that sends only what changed, places found by
 * name, and generated households of the shipped form walked whole, cut by
 * a draft midway. Only public headers are used here, as a screen would
 * (and the generator's, tools/gen.h, to have households to walk). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "saola/core.h"
#include "saola/form.h"
#include "testutil.h"
#include "gen.h"

/* A small form with every feature a screen meets: text, a constraint and a
 * warning with its confirmation, a relevant repeat with a relevant choice
 * inside, a computed count. */
static const char form_text[] =
	"{\"id\":\"t_iv\",\"version\":\"1\",\"title\":{\"vi\":\"Phiếu thử\",\"en\":\"Trial\"},"
	"\"default_language\":\"vi\","
	"\"choices\":{\"lvl\":[{\"value\":\"a\",\"label\":{\"vi\":\"Một\",\"en\":\"One\"}},"
	"  {\"value\":\"b\",\"label\":{\"vi\":\"Hai\",\"en\":\"Two\"}}]},"
	"\"fields\":["
	" {\"name\":\"name\",\"type\":\"text\",\"label\":{\"vi\":\"Tên\",\"en\":\"Name\"},"
	"  \"required\":true},"
	" {\"name\":\"income\",\"type\":\"integer\",\"label\":{\"vi\":\"Thu nhập\",\"en\":\"Income\"},"
	"  \"required\":true,\"constraint\":\". >= 0\","
	"  \"constraint_message\":{\"vi\":\"Không được âm\",\"en\":\"must not be negative\"},"
	"  \"warning\":\". <= 1000\",\"warning_confirm\":\"income_ok\","
	"  \"warning_message\":{\"vi\":\"Thu nhập cao bất thường\",\"en\":\"unusually high income\"}},"
	" {\"name\":\"income_ok\",\"type\":\"boolean\",\"label\":{\"vi\":\"Xác nhận\",\"en\":\"Confirmed\"}},"
	" {\"name\":\"has_kids\",\"type\":\"boolean\",\"label\":{\"vi\":\"Có con\",\"en\":\"Has children\"},"
	"  \"required\":true},"
	" {\"name\":\"kids\",\"type\":\"repeat\",\"relevant\":\"${has_kids}\",\"required\":true,"
	"  \"label\":{\"vi\":\"Con\",\"en\":\"Children\"},\"fields\":["
	"  {\"name\":\"kid\",\"type\":\"text\",\"label\":{\"vi\":\"Tên con\",\"en\":\"Child's name\"},"
	"   \"required\":true},"
	"  {\"name\":\"age\",\"type\":\"integer\",\"label\":{\"vi\":\"Tuổi\",\"en\":\"Age\"},"
	"   \"required\":true},"
	"  {\"name\":\"level\",\"type\":\"select_one\",\"choices\":\"lvl\",\"relevant\":\"${age} >= 6\","
	"   \"label\":{\"vi\":\"Cấp học\",\"en\":\"School level\"}}]},"
	" {\"name\":\"n_kids\",\"type\":\"calculate\",\"calculate\":\"count(${kids})\","
	"  \"label\":{\"vi\":\"Số con\",\"en\":\"Children\"}}]}";

typedef struct fx {
	const char *dir;
	saola *db;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	char *id = NULL;

	f->dir = tu_tmpdir("interview");
	f->db = tu_open(tu_path(f->dir, "device.db"), 1);
	assert_int_equal(saola_form_load(f->db, form_text, &id), SAOLA_OK);
	saola_free(id);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	saola_close(f->db);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

static int field(saola_interview *iv, const char *name)
{
	int i = saola_interview_find(iv, name);

	if (i < 0)
		fail_msg("no field %s", name);
	return i;
}

/* Steps to the next place and checks it is field name (item k). */
static saola_step expect(saola_interview *iv, saola_step at, saola_step_kind kind,
                         const char *name, int k)
{
	saola_step s;

	assert_int_equal(saola_interview_next(iv, &at, &s), SAOLA_OK);
	if (s.kind != kind || (name && s.field != field(iv, name)) || s.item != k)
		fail_msg("expected %s %d (kind %d), got field %d item %d kind %d",
		         name ? name : "end", k, (int)kind, s.field, s.item, (int)s.kind);
	return s;
}

static void set(saola_interview *iv, saola_step s, const char *text)
{
	if (saola_interview_set_text(iv, s.field, s.item, text) != SAOLA_OK)
		fail_msg("answer \"%s\": %s", text, saola_interview_errmsg(iv));
}

static void refused(saola_interview *iv, saola_step s, const char *text, const char *msg)
{
	assert_int_equal(saola_interview_set_text(iv, s.field, s.item, text), SAOLA_INVALID);
	assert_string_equal(saola_interview_errmsg(iv), msg);
}

/* The first part of the interview, to has_kids answered yes, with the
 * messages of the interview's language. */
static saola_step walk_start(saola_interview *iv)
{
	int en = strcmp(saola_interview_lang(iv), "en") == 0;
	saola_step s;
	const char *warn;

	assert_int_equal(saola_interview_first(iv, &s), SAOLA_OK);
	assert_int_equal(s.field, field(iv, "name"));
	set(iv, s, "Lan");
	s = expect(iv, s, SAOLA_STEP_QUESTION, "income", 0);
	refused(iv, s, "-5", en ? "must not be negative" : "Không được âm");
	refused(iv, s, "năm nghìn", en ? "expected a whole number, digits only"
	                               : "Cần một số nguyên, chỉ gồm chữ số");
	set(iv, s, "5.000");
	/* the warning stands: its confirmation is the next question */
	assert_int_equal(saola_interview_warning(iv, s.field, 0, &warn), 1);
	assert_string_equal(warn, en ? "unusually high income" : "Thu nhập cao bất thường");
	s = expect(iv, s, SAOLA_STEP_QUESTION, "income_ok", 0);
	assert_int_equal(saola_interview_confirm(iv, field(iv, "income"), 0, 1), SAOLA_OK);
	assert_int_equal(saola_interview_warning(iv, field(iv, "income"), 0, &warn), 0);
	s = expect(iv, s, SAOLA_STEP_QUESTION, "has_kids", 0);
	set(iv, s, en ? "y" : "c");
	return s;
}

/* A whole interview: relevance inside a repeat, items added, the computed
 * count, the record saved as walked. */
static void test_walk(void **state)
{
	fx *f = *state;
	saola_interview *iv = NULL;
	saola_step s;
	json_t *v, *rec;
	char id[37];
	int item;

	assert_int_equal(saola_interview_open(f->db, "t_iv", NULL, &iv), SAOLA_OK);
	assert_string_equal(saola_interview_title(iv), "Phiếu thử");
	s = walk_start(iv);
	s = expect(iv, s, SAOLA_STEP_ITEM, "kids", 0);
	assert_int_equal(saola_interview_add_item(iv, s.field, &item), SAOLA_OK);
	assert_int_equal(item, 0);
	s = expect(iv, s, SAOLA_STEP_QUESTION, "kid", 0);
	set(iv, s, "Minh");
	s = expect(iv, s, SAOLA_STEP_QUESTION, "age", 0);
	set(iv, s, "4");
	/* a child of 4 is not asked the school level */
	s = expect(iv, s, SAOLA_STEP_ITEM, "kids", 1);
	assert_int_equal(saola_interview_add_item(iv, s.field, NULL), SAOLA_OK);
	s = expect(iv, s, SAOLA_STEP_QUESTION, "kid", 1);
	set(iv, s, "Hoa");
	s = expect(iv, s, SAOLA_STEP_QUESTION, "age", 1);
	set(iv, s, "8");
	s = expect(iv, s, SAOLA_STEP_QUESTION, "level", 1);
	refused(iv, s, "1 2", "Chỉ chọn một");
	refused(iv, s, "7", "\"7\" không phải một lựa chọn: chọn số từ 1 đến 2");
	set(iv, s, "2");
	s = expect(iv, s, SAOLA_STEP_ITEM, "kids", 2);
	s = expect(iv, s, SAOLA_STEP_END, NULL, 0);
	assert_int_equal(saola_interview_get(iv, field(iv, "n_kids"), 0, &v), SAOLA_OK);
	assert_int_equal(json_integer_value(v), 2);
	json_decref(v);
	assert_string_equal(saola_interview_item_title(iv, field(iv, "kids"), 1), "Hoa");
	assert_int_equal(saola_interview_check(iv, NULL, NULL), SAOLA_OK);
	assert_int_equal(saola_interview_save(iv, id), SAOLA_OK);
	saola_interview_close(iv);

	assert_int_equal(saola_get(f->db, id, &rec), SAOLA_OK);
	v = json_object_get(rec, "data");
	assert_int_equal(json_integer_value(json_object_get(v, "income")), 5000);
	assert_true(json_is_true(json_object_get(v, "income_ok")));
	assert_int_equal(json_integer_value(json_object_get(v, "n_kids")), 2);
	v = json_object_get(v, "kids");
	assert_null(json_object_get(json_array_get(v, 0), "level"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 1), "level")), "b");
	json_decref(rec);
}

/* What holds the save back: a required repeat with no item, then an
 * unanswered question, each named with the place to go back to. */
static void test_check(void **state)
{
	fx *f = *state;
	saola_interview *iv = NULL;
	saola_step s;
	int fld, item, k;

	assert_int_equal(saola_interview_open(f->db, "t_iv", "en", &iv), SAOLA_OK);
	s = walk_start(iv);
	assert_int_equal(saola_interview_check(iv, &fld, &item), SAOLA_INVALID);
	assert_int_equal(fld, field(iv, "kids"));
	assert_string_equal(saola_interview_errmsg(iv), "Children: at least one is required");
	assert_int_equal(saola_interview_add_item(iv, fld, &k), SAOLA_OK);
	assert_int_equal(saola_interview_check(iv, &fld, &item), SAOLA_INVALID);
	assert_int_equal(fld, field(iv, "kid"));
	assert_int_equal(item, 0);
	assert_string_equal(saola_interview_errmsg(iv), "Child's name: an answer is required");
	assert_int_equal(saola_interview_save(iv, NULL), SAOLA_INVALID);
	assert_int_equal(tu_count(tu_path(f->dir, "device.db"), "SELECT count(*) FROM records"), 0);
	(void)s;
	saola_interview_close(iv);
}

/* The same form in English: labels, choices, every message. */
static void test_english(void **state)
{
	fx *f = *state;
	saola_interview *iv = NULL;
	saola_field fd;
	saola_step s = {SAOLA_STEP_QUESTION, 0, 0};
	const char *value, *label, *warn;
	int i;

	assert_int_equal(saola_interview_open(f->db, "t_iv", "en", &iv), SAOLA_OK);
	assert_string_equal(saola_interview_title(iv), "Trial");
	i = field(iv, "income");
	assert_int_equal(saola_interview_field(iv, i, &fd), SAOLA_OK);
	assert_string_equal(fd.label, "Income");
	assert_string_equal(fd.type, "integer");
	assert_int_equal(fd.kind, SAOLA_FIELD_QUESTION);
	assert_int_equal(fd.confirm, field(iv, "income_ok"));
	assert_int_equal(saola_interview_field(iv, fd.confirm, &fd), SAOLA_OK);
	assert_int_equal(fd.kind, SAOLA_FIELD_CONFIRM);
	assert_int_equal(fd.confirms, i);
	assert_int_equal(saola_interview_choice(iv, field(iv, "level"), 1, &value, &label),
	                 SAOLA_OK);
	assert_string_equal(value, "b");
	assert_string_equal(label, "Two");
	assert_int_equal(saola_interview_choice(iv, field(iv, "level"), 2, &value, &label),
	                 SAOLA_NOTFOUND);
	s.field = i;
	refused(iv, s, "-5", "must not be negative");
	refused(iv, s, "five", "expected a whole number, digits only");
	set(iv, s, "5000");
	assert_int_equal(saola_interview_warning(iv, i, 0, &warn), 1);
	assert_string_equal(warn, "unusually high income");
	/* a plausible income takes the warning and its confirmation away */
	assert_int_equal(saola_interview_confirm(iv, i, 0, 1), SAOLA_OK);
	set(iv, s, "500");
	assert_int_equal(saola_interview_warning(iv, i, 0, &warn), 0);
	assert_int_equal(saola_interview_relevant(iv, field(iv, "income_ok"), 0), 0);
	assert_int_equal(saola_interview_confirm(iv, i, 0, 1), SAOLA_INVALID);
	assert_string_equal(saola_interview_errmsg(iv), "Income: there is no warning to confirm");
	saola_interview_close(iv);
	assert_int_equal(saola_interview_open(f->db, "t_iv", "fr", &iv), SAOLA_INVALID);
	assert_null(iv);
}

/* Items removed and gone to. */
static void test_items(void **state)
{
	fx *f = *state;
	saola_interview *iv = NULL;
	saola_step s;
	int r;

	assert_int_equal(saola_interview_open(f->db, "t_iv", NULL, &iv), SAOLA_OK);
	s = walk_start(iv);
	r = field(iv, "kids");
	assert_int_equal(saola_interview_add_item(iv, r, NULL), SAOLA_OK);
	assert_int_equal(saola_interview_add_item(iv, r, NULL), SAOLA_OK);
	s = (saola_step){SAOLA_STEP_QUESTION, field(iv, "kid"), 1};
	set(iv, s, "Hoa");
	assert_int_equal(saola_interview_remove_item(iv, r, 0), SAOLA_OK);
	assert_int_equal(saola_interview_items(iv, r), 1);
	assert_string_equal(saola_interview_item_title(iv, r, 0), "Hoa");
	assert_int_equal(saola_interview_goto(iv, r, 0, &s), SAOLA_OK);
	assert_int_equal(s.field, field(iv, "kid"));
	assert_int_equal(s.item, 0);
	assert_int_equal(saola_interview_goto(iv, r, 1, &s), SAOLA_NOTFOUND);
	assert_int_equal(saola_interview_remove_item(iv, r, 3), SAOLA_NOTFOUND);
	/* no kids: the repeat is not asked, its items not kept */
	set(iv, (saola_step){SAOLA_STEP_QUESTION, field(iv, "has_kids"), 0}, "k");
	s = expect(iv, (saola_step){SAOLA_STEP_QUESTION, field(iv, "has_kids"), 0},
	           SAOLA_STEP_END, NULL, 0);
	saola_interview_close(iv);
}

/* A draft saved midway, listed, resumed where it was left, finished: the
 * draft goes when the record is saved, and nothing was queued before. */
static void test_draft(void **state)
{
	fx *f = *state;
	const char *db = tu_path(f->dir, "device.db");
	saola_interview *iv = NULL;
	saola_step s;
	json_t *list, *v;
	char draft[64];
	int fld = -1, item = -1;

	assert_int_equal(saola_interview_open(f->db, "t_iv", "en", &iv), SAOLA_OK);
	s = walk_start(iv);
	assert_null(saola_interview_draft_id(iv));
	assert_int_equal(saola_interview_save_draft(iv, s.field, s.item), SAOLA_OK);
	snprintf(draft, sizeof draft, "%s", saola_interview_draft_id(iv));
	assert_int_equal(saola_interview_save_draft(iv, s.field, s.item), SAOLA_OK);
	assert_string_equal(saola_interview_draft_id(iv), draft);
	saola_interview_close(iv); /* the app is killed */
	assert_int_equal(tu_count(db, "SELECT count(*) FROM outbox"), 0);

	assert_int_equal(saola_drafts_list(f->db, &list), SAOLA_OK);
	assert_int_equal(json_array_size(list), 1);
	v = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(v, "id")), draft);
	assert_string_equal(json_string_value(json_object_get(v, "title")), "Lan");
	assert_string_equal(json_string_value(json_object_get(v, "form")), "t_iv");
	assert_true(json_is_null(json_object_get(v, "record")) ||
	            !json_object_get(v, "record"));
	json_decref(list);

	assert_int_equal(saola_interview_resume(f->db, draft, NULL, &fld, &item, &iv), SAOLA_OK);
	assert_string_equal(saola_interview_lang(iv), "en");
	assert_int_equal(fld, field(iv, "has_kids"));
	assert_int_equal(item, 0);
	assert_int_equal(saola_interview_get(iv, field(iv, "income_ok"), 0, &v), SAOLA_OK);
	assert_true(json_is_true(v));
	json_decref(v);
	s = expect(iv, (saola_step){SAOLA_STEP_QUESTION, fld, item}, SAOLA_STEP_ITEM, "kids", 0);
	assert_int_equal(saola_interview_add_item(iv, s.field, NULL), SAOLA_OK);
	set(iv, (saola_step){SAOLA_STEP_QUESTION, field(iv, "kid"), 0}, "Minh");
	set(iv, (saola_step){SAOLA_STEP_QUESTION, field(iv, "age"), 0}, "3");
	assert_int_equal(saola_interview_save(iv, NULL), SAOLA_OK);
	saola_interview_close(iv);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM drafts"), 0);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM records"), 1);
	assert_int_equal(saola_interview_resume(f->db, draft, NULL, NULL, NULL, &iv),
	                 SAOLA_NOTFOUND);
	assert_int_equal(saola_draft_delete(f->db, draft), SAOLA_NOTFOUND);
}

/* Editing a stored record: its answers are there, and saving sends only
 * what changed. */
static void test_edit(void **state)
{
	fx *f = *state;
	const char *db = tu_path(f->dir, "device.db");
	saola_interview *iv = NULL;
	json_t *q, *changes;
	char id[37];

	assert_int_equal(saola_interview_open(f->db, "t_iv", NULL, &iv), SAOLA_OK);
	walk_start(iv);
	set(iv, (saola_step){SAOLA_STEP_QUESTION, field(iv, "has_kids"), 0}, "k");
	assert_int_equal(saola_interview_save(iv, id), SAOLA_OK);
	saola_interview_close(iv);

	assert_int_equal(saola_interview_edit(f->db, id, NULL, &iv), SAOLA_OK);
	assert_string_equal(saola_interview_record_id(iv), id);
	assert_int_equal(saola_interview_changed(iv), 0);
	set(iv, (saola_step){SAOLA_STEP_QUESTION, field(iv, "name"), 0}, "Lan Anh");
	assert_int_equal(saola_interview_changed(iv), 1);
	assert_int_equal(saola_interview_save(iv, NULL), SAOLA_OK);
	saola_interview_close(iv);
	assert_int_equal(tu_count(db, "SELECT count(*) FROM outbox"), 2);
	assert_int_equal(saola_outbox_read(f->db, 0, 10, &q), SAOLA_OK);
	changes = json_object_get(json_array_get(q, 1), "changes");
	assert_int_equal(json_object_size(changes), 1);
	assert_string_equal(json_string_value(json_object_get(changes, "name")), "Lan Anh");
	json_decref(q);
	assert_int_equal(saola_interview_edit(f->db, "no-such-record", NULL, &iv),
	                 SAOLA_NOTFOUND);
}

/* Places found by name, marks and case aside, inside the province
 * answered, among the units of the survey year. */
static void test_places(void **state)
{
	fx *f = *state;
	saola_interview *iv = NULL;
	json_t *found;
	int commune;

	assert_int_equal(saola_interview_open(f->db, "household", NULL, &iv), SAOLA_OK);
	commune = field(iv, "commune");
	assert_int_equal(saola_interview_places(iv, commune, "cuc phuong", &found), SAOLA_INVALID);
	assert_string_equal(saola_interview_errmsg(iv), "Cần trả lời năm rà soát trước");
	set(iv, (saola_step){SAOLA_STEP_QUESTION, field(iv, "survey_year"), 0}, "2025");
	set(iv, (saola_step){SAOLA_STEP_QUESTION, field(iv, "province"), 0}, "37");
	assert_int_equal(saola_interview_places(iv, commune, "cuc phuong", &found), SAOLA_OK);
	assert_int_equal(json_array_size(found), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(found, 0), "code")),
	                    "14404");
	assert_string_equal(json_string_value(json_object_get(json_array_get(found, 0), "name")),
	                    "Xã Cúc Phương");
	json_decref(found);
	assert_int_equal(saola_interview_places(iv, commune, "CÚC PHƯƠNG", &found), SAOLA_OK);
	assert_int_equal(json_array_size(found), 1);
	json_decref(found);
	assert_int_equal(saola_interview_places(iv, commune, "no such place", &found), SAOLA_OK);
	assert_int_equal(json_array_size(found), 0);
	json_decref(found);
	/* a commune that does not exist is refused with the reason */
	assert_int_equal(saola_interview_set_text(iv, commune, 0, "99999"), SAOLA_INVALID);
	assert_non_null(strstr(saola_interview_errmsg(iv), "99999"));
	set(iv, (saola_step){SAOLA_STEP_QUESTION, commune, 0}, "14404");
	assert_int_equal(saola_interview_places(iv, field(iv, "village"), "x", &found),
	                 SAOLA_INVALID);
	saola_interview_close(iv);
}

/* The smallest screen of docs/forms.md, linked with the shared library
 * alone, fills the form from answers on stdin. */
static void test_screen(void **state)
{
	fx *f = *state;
	static char out[1 << 14], err[1 << 12];
	const char *in = tu_path(f->dir, "answers.txt");
	FILE *fp = fopen(in, "w");
	int rc;

	assert_non_null(fp);
	fputs("Lan\n-5\n5000\ny\ny\ny\nMinh\n4\nn\n", fp);
	fclose(fp);
	rc = tu_runf(out, sizeof out, err, sizeof err, "%s %s t_iv en < %s", tu_bin("saola-screen"),
	             tu_path(f->dir, "device.db"), in);
	if (rc != 0)
		fail_msg("saola-screen: %d\n%s\n%s", rc, out, err);
	assert_non_null(strstr(out, "Income\n  ! must not be negative\nIncome\n"));
	assert_non_null(strstr(out, "  ? unusually high income\nConfirmed (y/n)\n"));
	assert_non_null(strstr(out, "saved "));
	assert_int_equal(tu_count(tu_path(f->dir, "device.db"), "SELECT count(*) FROM records"), 1);
	assert_int_equal(tu_count(tu_path(f->dir, "device.db"), "SELECT count(*) FROM drafts"), 0);
}

/* ------------------------------------------------------------------ */
/* Generated households of the shipped form, walked as a screen would  */

/* household h's answer to field f in item k (members' fields by item). */
static json_t *answer_of(const json_t *h, const saola_field *f, int k)
{
	if (f->repeat < 0)
		return json_object_get(h, f->name);
	return json_object_get(json_array_get(json_object_get(h, "members"), (size_t)k), f->name);
}

/* Answers the question at s from h (a warning's confirmation: yes). */
static void answer_from(saola_interview *iv, const json_t *h, saola_step s)
{
	saola_field f;
	json_t *v;
	int rc;

	assert_int_equal(saola_interview_field(iv, s.field, &f), SAOLA_OK);
	if (f.kind == SAOLA_FIELD_CONFIRM)
		rc = saola_interview_confirm(iv, f.confirms, s.item, 1);
	else if ((v = answer_of(h, &f, s.item)) != NULL)
		rc = saola_interview_set(iv, s.field, s.item, v);
	else
		return;
	if (rc != SAOLA_OK)
		fail_msg("%s (item %d): %s", f.name, s.item, saola_interview_errmsg(iv));
}

/* Walks h from s to the end, or until `stop` answers were given (then
 * saves a draft at the next place and returns 0); 1 at the end. */
static int walk_from(saola_interview *iv, const json_t *h, saola_step s, int stop)
{
	size_t members = json_array_size(json_object_get(h, "members"));
	int given = 0;

	while (s.kind != SAOLA_STEP_END) {
		if (s.kind == SAOLA_STEP_ITEM && (size_t)s.item < members)
			assert_int_equal(saola_interview_add_item(iv, s.field, NULL), SAOLA_OK);
		if (s.kind == SAOLA_STEP_QUESTION) {
			answer_from(iv, h, s);
			given++;
		}
		assert_int_equal(saola_interview_next(iv, &s, &s), SAOLA_OK);
		if (stop > 0 && given == stop) {
			assert_int_equal(saola_interview_save_draft(iv, s.field, s.item), SAOLA_OK);
			return 0;
		}
	}
	return 1;
}

/* The stored answers of record id, without the members' item ids. */
static json_t *stored_answers(saola *db, const char *id)
{
	json_t *rec = NULL, *data, *m;
	size_t i;

	assert_int_equal(saola_get(db, id, &rec), SAOLA_OK);
	data = json_deep_copy(json_object_get(rec, "data"));
	json_decref(rec);
	json_array_foreach(json_object_get(data, "members"), i, m)
		json_object_del(m, "_id");
	return data;
}

/* Generated households of the shipped form walked through the API alone,
 * in Vietnamese and in English, each cut midway: a draft saved, the
 * handle closed, the draft taken up by a new handle at its place and the
 * walk finished. The record saved holds what the same household put
 * straight into the store holds (the answers the form keeps, the
 * computed fields), and the draft is gone. */
static void test_households(void **state)
{
	static const char *const langs[] = {"vi", "en"};
	fx *f = *state;
	saola_gen_opts go = {.province = "37", .commune = "14404", .survey_year = 2025};
	saola_gen *g = saola_gen_new_schemas(15, SAOLA_TEST_SCHEMAS, NULL, 0);
	char walked[37], put[37], draft[37];
	json_t *h, *a, *b;
	int i, fld, item;

	assert_non_null(g);
	saola_gen_set_household_ids(g, 1);
	for (i = 0; i < 12; i++) {
		saola_interview *iv = NULL;
		saola_step s;

		assert_non_null(h = saola_gen_household(g, &go));
		assert_int_equal(saola_interview_open(f->db, "household", langs[i % 2], &iv), SAOLA_OK);
		assert_int_equal(saola_interview_first(iv, &s), SAOLA_OK);
		assert_int_equal(walk_from(iv, h, s, 12 + i), 0);
		snprintf(draft, sizeof draft, "%s", saola_interview_draft_id(iv));
		saola_interview_close(iv);
		assert_int_equal(saola_interview_resume(f->db, draft, NULL, &fld, &item, &iv), SAOLA_OK);
		assert_string_equal(saola_interview_lang(iv), langs[i % 2]);
		assert_int_equal(saola_interview_at(iv, fld, item, &s), SAOLA_OK);
		assert_int_equal(walk_from(iv, h, s, 0), 1);
		if (saola_interview_save(iv, walked) != SAOLA_OK)
			fail_msg("household %d: %s", i, saola_interview_errmsg(iv));
		saola_interview_close(iv);
		assert_int_equal(saola_put(f->db, "household", NULL, h, put), SAOLA_OK);
		a = stored_answers(f->db, walked);
		b = stored_answers(f->db, put);
		if (!json_equal(a, b)) {
			char *ja = json_dumps(a, JSON_SORT_KEYS), *jb = json_dumps(b, JSON_SORT_KEYS);

			fail_msg("household %d walked:\n%s\nput:\n%s", i, ja, jb);
		}
		json_decref(a);
		json_decref(b);
		json_decref(h);
	}
	assert_int_equal(tu_count(tu_path(f->dir, "device.db"), "SELECT count(*) FROM drafts"), 0);
	saola_gen_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_english, setup, teardown),
		cmocka_unit_test_setup_teardown(test_items, setup, teardown),
		cmocka_unit_test_setup_teardown(test_draft, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_places, setup, teardown),
		cmocka_unit_test_setup_teardown(test_screen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_households, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
