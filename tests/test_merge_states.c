/* test_merge_states.c: saola__merge_states, the merge of two states of a
 * record in memory that every store calls, rule by rule of
 * docs/conflicts.md, each rule from both sides: a stored state, an incoming
 * one, and the merged values and versions, the losers and the changed
 * paths expected. No database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "saola_shared.h"
#include "form.h"

/* A household in miniature: a text with a maximum, an answer with its own
 * range, two answers that only together break a constraint, members, and
 * two computed fields. */
static const char form_text[] =
	"{'id':'hh','version':'1','default_language':'vi','fields':["
	" {'name':'name','type':'text','required':true,'max_length':10},"
	" {'name':'income','type':'integer','constraint':'. >= 0 and . <= 1000',"
	"  'constraint_message':'out of range'},"
	" {'name':'area','type':'integer'},"
	" {'name':'size','type':'integer','constraint':'. <= ${area}',"
	"  'constraint_message':'larger than the area'},"
	" {'name':'members','type':'repeat','fields':["
	"  {'name':'mname','type':'text'},"
	"  {'name':'age','type':'integer'}]},"
	" {'name':'n','type':'calculate','calculate':'count(${members})'},"
	" {'name':'double','type':'calculate','calculate':'${income} * 2'}]}";

/* The stored state every row starts from, unless it says "none" (no
 * record stored) or patches it. */
static const char stored_base[] =
	"{'values':{'name':'Lan','income':100,'area':50,'size':40,'members.m1':true,"
	"           'members.m1.mname':'Ba','members.m1.age':60},"
	" 'versions':{'_':[10,'a']}}";

enum { OWN = SAOLA__MERGE_OWN_CREATION };

typedef struct mcase {
	const char *rule;     /* what the row shows */
	const char *stored;   /* NULL: stored_base; "none": no record; else
	                       * {values, versions} patched over stored_base
	                       * (a null value: the path has none) */
	const char *in;       /* the incoming {values, versions} */
	const char *base;     /* what the sender edited over, or NULL */
	unsigned flags;       /* SAOLA__MERGE_CHANGES is always added */
	int rc;
	const char *err;      /* rc != SAOLA_OK: the message */
	const char *values;   /* the merged values (a patch over the stored
	                       * state, as stored is; the whole when none) */
	const char *versions; /* the merged versions, likewise */
	const char *losers;   /* {path: [value, version, winner, winner_version,
	                       * stored_lost]} */
	const char *changes;  /* NULL: nothing changed; else out->changes */
	const char *doc;      /* {key: value} expected in the stored doc (null:
	                       * absent), or NULL */
	const char *issues;   /* how out->issues starts, NULL: none */
} mcase;

#define NOLOSS "{}"
#define SAME "{}"

static const mcase cases[] = {
	/* Rule 2: answers merge one by one. */
	{"different paths both survive", NULL,
	 "{'values':{'area':60},'versions':{'area':[20,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'area':60}", "{'area':[20,'b']}", NOLOSS, "{'area':60}", NULL, NULL},
	{"the higher counter wins (and the computed field follows)", NULL,
	 "{'values':{'income':200},'versions':{'income':[20,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'income':200}", "{'income':[20,'b']}", NOLOSS, "{'income':200}",
	 "{'double':400,'n':1}", NULL},
	{"a lower counter loses, whatever its origin", NULL,
	 "{'values':{'income':200},'versions':{'income':[5,'z']}}", NULL, 0, SAOLA_OK, NULL,
	 SAME, SAME, NOLOSS, NULL, NULL, NULL},
	{"a tie on the counter: the greater origin wins",
	 "{'values':{'income':150},'versions':{'income':[20,'b']}}",
	 "{'values':{'income':300},'versions':{'income':[20,'c']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'income':300}", "{'income':[20,'c']}", NOLOSS, "{'income':300}", "{'double':600}",
	 NULL},
	{"a tie on the counter: the lesser origin loses",
	 "{'values':{'income':150},'versions':{'income':[20,'b']}}",
	 "{'values':{'income':300},'versions':{'income':[20,'a']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'income':150}", "{'income':[20,'b']}", NOLOSS, NULL, NULL, NULL},
	{"the same version: nothing changes", NULL,
	 "{'values':{'income':300},'versions':{'income':[10,'a']}}", NULL, 0, SAOLA_OK, NULL,
	 SAME, SAME, NOLOSS, NULL, NULL, NULL},
	/* A removal is a value like any other. */
	{"a removal with the higher version removes", NULL,
	 "{'values':{'income':null},'versions':{'income':[20,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'income':null}", "{'income':[20,'b']}", NOLOSS, "{'income':null}",
	 "{'double':null}", NULL},
	{"a removal with a lower version loses", NULL,
	 "{'values':{'income':null},'versions':{'income':[5,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 SAME, SAME, NOLOSS, NULL, NULL, NULL},
	{"a value over a stored removal: the higher version wins",
	 "{'values':{'income':null},'versions':{'income':[15,'a']}}",
	 "{'values':{'income':300},'versions':{'income':[20,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'income':300}", "{'income':[20,'b']}", NOLOSS, "{'income':300}", NULL, NULL},
	{"a value under a stored removal loses",
	 "{'values':{'income':null},'versions':{'income':[15,'a']}}",
	 "{'values':{'income':300},'versions':{'income':[12,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'income':null}", "{'income':[15,'a']}", NOLOSS, NULL, NULL, NULL},
	/* Rule 7: a tombstone on either side deletes; the answers still merge. */
	{"an incoming tombstone deletes, its edits merged into it", NULL,
	 "{'values':{'income':300},'versions':{'income':[20,'b'],'_deleted':[21,'b']}}", NULL,
	 0, SAOLA_OK, NULL, "{'income':300}", "{'income':[20,'b'],'_deleted':[21,'b']}", NOLOSS,
	 "{'income':300,'_deleted':true}", NULL, NULL},
	{"a stored tombstone stays, an edit merged into it",
	 "{'values':{},'versions':{'_deleted':[15,'a']}}",
	 "{'values':{'income':300},'versions':{'income':[20,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'income':300}", "{'income':[20,'b'],'_deleted':[15,'a']}", NOLOSS,
	 "{'income':300}", NULL, NULL},
	{"the higher tombstone is kept",
	 "{'values':{},'versions':{'_deleted':[15,'a']}}",
	 "{'values':{},'versions':{'_deleted':[20,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 SAME, "{'_deleted':[20,'b']}", NOLOSS, "{'_deleted':true}", NULL, NULL},
	{"a lower tombstone changes nothing",
	 "{'values':{},'versions':{'_deleted':[15,'a']}}",
	 "{'values':{},'versions':{'_deleted':[12,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 SAME, "{'_deleted':[15,'a']}", NOLOSS, NULL, NULL, NULL},
	/* Rule 5: the loser of a concurrent edit is kept. */
	{"a concurrent edit wins: the stored value is the loser",
	 "{'values':{'income':150},'versions':{'income':[15,'c']}}",
	 "{'values':{'income':200},'versions':{'income':[20,'b']}}", "{'income':[10,'a']}", 0,
	 SAOLA_OK, NULL, "{'income':200}", "{'income':[20,'b']}",
	 "{'income':[150,[15,'c'],200,[20,'b'],1]}", "{'income':200}", NULL, NULL},
	{"a concurrent edit loses: it is the loser, the record unchanged",
	 "{'values':{'income':150},'versions':{'income':[25,'c']}}",
	 "{'values':{'income':200},'versions':{'income':[20,'b']}}", "{'income':[10,'a']}", 0,
	 SAOLA_OK, NULL, "{'income':150}", "{'income':[25,'c']}",
	 "{'income':[200,[20,'b'],150,[25,'c'],0]}", NULL, NULL, NULL},
	{"an edit made over the stored value supersedes it: no loser",
	 "{'values':{'income':150},'versions':{'income':[15,'c']}}",
	 "{'values':{'income':200},'versions':{'income':[20,'b']}}", "{'income':[15,'c']}", 0,
	 SAOLA_OK, NULL, "{'income':200}", "{'income':[20,'b']}", NOLOSS, "{'income':200}",
	 NULL, NULL},
	{"a whole state (no base): no loser",
	 "{'values':{'income':150},'versions':{'income':[15,'c']}}",
	 "{'values':{'income':200},'versions':{'income':[20,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'income':200}", "{'income':[20,'b']}", NOLOSS, "{'income':200}", NULL, NULL},
	{"the same value twice: no conflict, the higher version kept",
	 "{'values':{'income':200},'versions':{'income':[15,'c']}}",
	 "{'values':{'income':200},'versions':{'income':[20,'b']}}", "{'income':[10,'a']}", 0,
	 SAOLA_OK, NULL, "{'income':200}", "{'income':[20,'b']}", NOLOSS, "{'income':200}",
	 NULL, NULL},
	{"a concurrent removal that loses is a loser (null)",
	 "{'values':{'income':150},'versions':{'income':[25,'c']}}",
	 "{'values':{'income':null},'versions':{'income':[20,'b']}}", "{'income':[10,'a']}", 0,
	 SAOLA_OK, NULL, "{'income':150}", "{'income':[25,'c']}",
	 "{'income':[null,[20,'b'],150,[25,'c'],0]}", NULL, NULL, NULL},
	/* Rule 3 and 6: members merge by identity; a removal beats an edit. */
	{"a member added here, edited there: both survive",
	 "{'values':{'members.m2':true,'members.m2.mname':'Em'},"
	 "  'versions':{'members.m2':[15,'a'],'members.m2.mname':[15,'a']}}",
	 "{'values':{'members.m1.age':61},'versions':{'members.m1.age':[20,'b']}}", NULL, 0,
	 SAOLA_OK, NULL,
	 "{'members.m2':true,'members.m2.mname':'Em','members.m1.age':61}",
	 "{'members.m2':[15,'a'],'members.m2.mname':[15,'a'],'members.m1.age':[20,'b']}",
	 NOLOSS, "{'members.m1.age':61}", "{'n':2}", NULL},
	{"a member removed there, edited here: removed, the edit a loser",
	 "{'values':{'members.m1.age':61},'versions':{'members.m1.age':[15,'a']}}",
	 "{'values':{'members.m1':null},'versions':{'members.m1':[20,'b']}}",
	 "{'members.m1':[10,'a'],'members.m1.mname':[10,'a']}", 0, SAOLA_OK, NULL,
	 "{'members.m1':null,'members.m1.mname':null,'members.m1.age':null}",
	 "{'members.m1':[20,'b'],'members.m1.age':[15,'a']}",
	 "{'members.m1.age':[61,[15,'a'],null,[20,'b'],1]}", "{'members.m1':null}", "{'n':0}",
	 NULL},
	{"a member removed there after seeing the edit: no loser",
	 "{'values':{'members.m1.age':61},'versions':{'members.m1.age':[15,'a']}}",
	 "{'values':{'members.m1':null},'versions':{'members.m1':[20,'b']}}",
	 "{'members.m1':[10,'a'],'members.m1.mname':[10,'a'],'members.m1.age':[15,'a']}", 0,
	 SAOLA_OK, NULL,
	 "{'members.m1':null,'members.m1.mname':null,'members.m1.age':null}",
	 "{'members.m1':[20,'b'],'members.m1.age':[15,'a']}", NOLOSS, "{'members.m1':null}",
	 "{'n':0}", NULL},
	{"a member removed here, edited there: stays removed, the edit a loser",
	 "{'values':{'members.m1':null,'members.m1.mname':null,'members.m1.age':null},"
	 "  'versions':{'members.m1':[15,'a']}}",
	 "{'values':{'members.m1.age':61},'versions':{'members.m1.age':[20,'b']}}",
	 "{'members.m1.age':[10,'a']}", 0, SAOLA_OK, NULL,
	 "{'members.m1':null,'members.m1.mname':null,'members.m1.age':null}",
	 "{'members.m1':[15,'a'],'members.m1.age':[20,'b']}",
	 "{'members.m1.age':[61,[20,'b'],null,[15,'a'],0]}", "{}", "{'n':0}", NULL},
	/* Rule 7 with a base: a delete and an edit that did not see each other. */
	{"deleted there while edited here: the edit a loser (_deleted)",
	 "{'values':{'income':150},'versions':{'income':[15,'c']}}",
	 "{'values':{},'versions':{'_deleted':[20,'b']}}", "{'_deleted':[10,'a']}", 0,
	 SAOLA_OK, NULL, "{'income':150}", "{'income':[15,'c'],'_deleted':[20,'b']}",
	 "{'_deleted':[false,[15,'c'],true,[20,'b'],1]}", "{'_deleted':true}", NULL, NULL},
	{"deleted there after seeing every edit here: no loser",
	 "{'values':{'income':150},'versions':{'income':[15,'c']}}",
	 "{'values':{},'versions':{'_deleted':[20,'b']}}", "{'_deleted':[15,'c']}", 0,
	 SAOLA_OK, NULL, "{'income':150}", "{'income':[15,'c'],'_deleted':[20,'b']}", NOLOSS,
	 "{'_deleted':true}", NULL, NULL},
	{"edited there while deleted here: the edit merged, a loser (_deleted)",
	 "{'values':{},'versions':{'_deleted':[15,'a']}}",
	 "{'values':{'income':200},'versions':{'income':[20,'b']}}", "{'income':[10,'a']}", 0,
	 SAOLA_OK, NULL, "{'income':200}", "{'income':[20,'b'],'_deleted':[15,'a']}",
	 "{'_deleted':[false,[20,'b'],true,[15,'a'],0]}", "{'income':200}", NULL, NULL},
	{"edited there after seeing the delete: no loser",
	 "{'values':{},'versions':{'_deleted':[15,'a']}}",
	 "{'values':{'income':200},'versions':{'income':[20,'b']}}",
	 "{'income':[10,'a'],'_deleted':[20,'b']}", 0, SAOLA_OK, NULL, "{'income':200}",
	 "{'income':[20,'b'],'_deleted':[15,'a']}", NOLOSS, "{'income':200}", NULL, NULL},
	/* A record absent on one side. */
	{"no record here: the incoming state is created", "none",
	 "{'values':{'name':'Hoa','income':5},'versions':{'_':[30,'b']}}", NULL, 0, SAOLA_OK,
	 NULL, "{'name':'Hoa','income':5}", "{'_':[30,'b']}", NOLOSS, "{}",
	 "{'double':10,'name':'Hoa'}", NULL},
	{"an incoming state with nothing new: unchanged", NULL, stored_base, NULL, 0,
	 SAOLA_OK, NULL, SAME, SAME, NOLOSS, NULL, NULL, NULL},
	/* Rule 9: a merge is kept with its issues; a device's own new record
	 * must pass. */
	{"a device's own new record must pass the form", "none",
	 "{'values':{'income':5},'versions':{'_':[30,'b']}}", NULL, OWN, SAOLA_INVALID,
	 "record r1: name: required", NULL, NULL, NULL, NULL, NULL, NULL},
	{"a new record from another replica is kept with its issues", "none",
	 "{'values':{'income':5},'versions':{'_':[30,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'income':5}", "{'_':[30,'b']}", NOLOSS, "{}", "{'double':10}", "name: required"},
	{"a device's edit of a stored record is a merge: kept with its issues", NULL,
	 "{'values':{'size':70},'versions':{'size':[20,'b']}}", NULL, OWN, SAOLA_OK, NULL,
	 "{'size':70}", "{'size':[20,'b']}", NOLOSS, "{'size':70}", NULL,
	 "size: constraint failed: larger than the area"},
	{"a device's answer out of its own range is refused, even on a stored record", NULL,
	 "{'values':{'income':5000},'versions':{'income':[20,'b']}}", NULL, OWN, SAOLA_INVALID,
	 "record r1: income: constraint failed: out of range", NULL, NULL, NULL, NULL, NULL,
	 NULL},
	{"another replica's answer out of its range is kept with its issues", NULL,
	 "{'values':{'income':5000},'versions':{'income':[20,'b']}}", NULL, 0, SAOLA_OK, NULL,
	 "{'income':5000}", "{'income':[20,'b']}", NOLOSS, "{'income':5000}",
	 "{'double':10000}", "income: constraint failed: out of range"},
	{"a text over the form's maximum is refused, even when it would lose", NULL,
	 "{'values':{'name':'abcdefghijklmnop'},'versions':{'name':[5,'a']}}", NULL, 0,
	 SAOLA_INVALID,
	 "record r1: name: text of 16 characters is longer than the form's maximum of 10",
	 NULL, NULL, NULL, NULL, NULL, NULL},
	{"an answer of the wrong type is refused with the form's message", NULL,
	 "{'values':{'income':'abc'},'versions':{'income':[20,'b']}}", NULL, 0, SAOLA_INVALID,
	 "record r1: income: expected integer, got \"abc\"", NULL, NULL, NULL, NULL, NULL,
	 NULL},
	{"an unknown field is refused", NULL,
	 "{'values':{'foo':1},'versions':{'foo':[20,'b']}}", NULL, 0, SAOLA_INVALID,
	 "record r1: foo: unknown field", NULL, NULL, NULL, NULL, NULL, NULL},
	/* The review paths merge like answers, outside the form. */
	{"_state: the higher version wins", NULL,
	 "{'values':{'_state':'submitted'},'versions':{'_state':[20,'b']}}", NULL, 0, SAOLA_OK,
	 NULL, "{'_state':'submitted'}", "{'_state':[20,'b']}", NOLOSS,
	 "{'_state':'submitted'}", "{'_state':null}", NULL},
	{"_state: a lower version loses",
	 "{'values':{'_state':'approved'},'versions':{'_state':[15,'c']}}",
	 "{'values':{'_state':'submitted'},'versions':{'_state':[12,'b']}}", NULL, 0, SAOLA_OK,
	 NULL, "{'_state':'approved'}", "{'_state':[15,'c']}", NOLOSS, NULL, NULL, NULL},
	{"_state: concurrent moves, the stored one a loser",
	 "{'values':{'_state':'approved'},'versions':{'_state':[15,'c']}}",
	 "{'values':{'_state':'returned','_comment':'again'},"
	 "  'versions':{'_state':[20,'b'],'_comment':[20,'b']}}", "{'_state':[10,'a']}", 0,
	 SAOLA_OK, NULL, "{'_state':'returned','_comment':'again'}",
	 "{'_state':[20,'b'],'_comment':[20,'b']}",
	 "{'_state':['approved',[15,'c'],'returned',[20,'b'],1]}",
	 "{'_state':'returned','_comment':'again'}", NULL, NULL},
	{"_state: a value that is no state is refused", NULL,
	 "{'values':{'_state':'done'},'versions':{'_state':[20,'b']}}", NULL, 0, SAOLA_INVALID,
	 "record r1: _state: expected draft, submitted, returned or approved", NULL, NULL,
	 NULL, NULL, NULL, NULL},
	{"_comment: a value that is no text is refused", NULL,
	 "{'values':{'_comment':5},'versions':{'_comment':[20,'b']}}", NULL, 0, SAOLA_INVALID,
	 "record r1: _comment: expected text", NULL, NULL, NULL, NULL, NULL, NULL},
};

/* JSON text written with ' for " (so the table stays readable): a new
 * reference, or the test fails. */
static json_t *J(const char *text)
{
	char *s = strdup(text), *p;
	json_t *v;

	assert_non_null(s);
	for (p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	v = tu_json(s);
	free(s);
	return v;
}

/* onto with patch's keys set over it, a null removing the key. */
static void patch_onto(json_t *onto, json_t *patch)
{
	const char *k;
	json_t *v;

	json_object_foreach(patch, k, v)
		if (json_is_null(v))
			json_object_del(onto, k);
		else
			json_object_set(onto, k, v);
}

/* The stored state of row c: {values, versions}, or NULL for none. */
static json_t *stored_of(const mcase *c)
{
	json_t *st, *p;

	if (c->stored && strcmp(c->stored, "none") == 0)
		return NULL;
	st = J(stored_base);
	if (c->stored) {
		p = J(c->stored);
		patch_onto(json_object_get(st, "values"), json_object_get(p, "values"));
		patch_onto(json_object_get(st, "versions"), json_object_get(p, "versions"));
		json_decref(p);
	}
	return st;
}

/* The expected object: the stored one (or {}) with the row's patch. */
static json_t *expected(json_t *stored, const char *key, const char *patch)
{
	json_t *want = stored ? json_copy(json_object_get(stored, key)) : json_object();
	json_t *p = J(patch);

	patch_onto(want, p);
	json_decref(p);
	return want;
}

static void assert_json(const mcase *c, const char *what, json_t *got, json_t *want)
{
	char *g, *w;

	if (json_equal(got, want))
		return;
	g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	fail_msg("%s: %s: got %s, expected %s", c->rule, what, g ? g : "NULL", w ? w : "NULL");
}

/* The losers as the table writes them. */
static json_t *losers_of(const mcase *c, const saola__merge_out *o)
{
	json_t *all = json_object();
	size_t i;

	for (i = 0; i < o->nlosers; i++) {
		const saola__loser *l = &o->losers[i];
		assert_string_equal(l->record_id, "r1");
		if (json_object_get(all, l->path))
			fail_msg("%s: %s lost twice", c->rule, l->path);
		json_object_set_new(all, l->path, json_pack("[O,O,O,O,i]", l->value, l->version,
		                                            l->winner, l->winner_version,
		                                            l->stored_lost));
	}
	return all;
}

static void check_doc(const mcase *c, const saola__merge_out *o)
{
	json_t *want = J(c->doc), *v;
	const char *k;

	assert_non_null(o->doc);
	json_object_foreach(want, k, v) {
		json_t *got = json_object_get(o->doc, k);
		if (json_is_null(v) ? got != NULL : !json_equal(got, v))
			fail_msg("%s: doc.%s is not as expected", c->rule, k);
	}
	json_decref(want);
}

/* The merged state, its losers and what changed, as the row says. */
static void check_merged(const mcase *c, json_t *stored, const saola__merge_out *o)
{
	json_t *want;

	want = expected(stored, "values", c->values);
	assert_json(c, "values", o->values, want);
	json_decref(want);
	want = expected(stored, "versions", c->versions);
	assert_json(c, "versions", o->versions, want);
	assert_int_equal(o->deleted, json_object_get(want, "_deleted") != NULL);
	json_decref(want);
	want = J(c->losers);
	{
		json_t *got = losers_of(c, o);
		assert_json(c, "losers", got, want);
		json_decref(got);
	}
	json_decref(want);
	if (!c->changes) {
		if (o->changed)
			fail_msg("%s: changed, expected unchanged", c->rule);
		assert_null(o->doc);
		return;
	}
	if (!o->changed)
		fail_msg("%s: unchanged, expected a change", c->rule);
	assert_int_equal(o->created, stored == NULL);
	assert_string_equal(o->form_id, "hh");
	assert_string_equal(o->form_version, "1");
	want = J(c->changes);
	assert_json(c, "changes", o->changes, want);
	json_decref(want);
	if (c->doc)
		check_doc(c, o);
	if (!c->issues && o->issues)
		fail_msg("%s: issues \"%s\", expected none", c->rule, o->issues);
	if (c->issues && (!o->issues || strncmp(o->issues, c->issues, strlen(c->issues)) != 0))
		fail_msg("%s: issues \"%s\", expected \"%s...\"", c->rule,
		         o->issues ? o->issues : "(none)", c->issues);
}

static void test_rules(void **state)
{
	saola__form *f = *state;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		const mcase *c = &cases[i];
		json_t *stored = stored_of(c), *in = J(c->in), *base = c->base ? J(c->base) : NULL;
		saola__rec_state s, r;
		saola__merge_out o;
		char err[512];
		int rc;

		memset(&s, 0, sizeof s);
		memset(&r, 0, sizeof r);
		s.record_id = r.record_id = "r1";
		s.values = json_object_get(stored, "values");
		s.versions = json_object_get(stored, "versions");
		r.values = json_object_get(in, "values");
		r.versions = json_object_get(in, "versions");
		rc = saola__merge_states(f, NULL, stored ? &s : NULL, &r, base,
		                         c->flags | SAOLA__MERGE_CHANGES, &o, err, sizeof err);
		if (rc != c->rc)
			fail_msg("%s: rc %d (%s), expected %d", c->rule, rc, rc ? err : "",
			         c->rc);
		if (rc != SAOLA_OK) {
			if (strcmp(err, c->err) != 0)
				fail_msg("%s: \"%s\", expected \"%s\"", c->rule, err, c->err);
			assert_null(o.values);
			assert_int_equal(o.nlosers, 0);
		} else {
			check_merged(c, stored, &o);
		}
		saola__merge_out_free(&o);
		json_decref(stored);
		json_decref(in);
		json_decref(base);
	}
}

/* Merging is symmetric in what it keeps: a merges b, b merges a, both
 * hold the same values and versions (rule 2: nothing depends on the order
 * in which changes arrive). */
static void test_symmetric(void **state)
{
	saola__form *f = *state;
	saola__rec_state a, b;
	saola__merge_out ab, ba;
	json_t *sa = J("{'values':{'name':'Lan','income':150,'area':70,'members.m2':true},"
	               " 'versions':{'_':[10,'a'],'income':[15,'c'],'members.m2':[16,'c']}}");
	json_t *sb = J("{'values':{'name':'Lam','income':200,'area':50},"
	               " 'versions':{'_':[10,'a'],'name':[12,'b'],'income':[15,'d'],"
	               "             'area':[9,'z']}}");
	char err[512];

	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.record_id = b.record_id = "r1";
	a.values = json_object_get(sa, "values"), a.versions = json_object_get(sa, "versions");
	b.values = json_object_get(sb, "values"), b.versions = json_object_get(sb, "versions");
	assert_int_equal(saola__merge_states(f, NULL, &a, &b, NULL, 0, &ab, err, sizeof err),
	                 SAOLA_OK);
	assert_int_equal(saola__merge_states(f, NULL, &b, &a, NULL, 0, &ba, err, sizeof err),
	                 SAOLA_OK);
	assert_true(json_equal(ab.values, ba.values));
	assert_true(json_equal(ab.doc, ba.doc));
	assert_string_equal(json_string_value(json_object_get(ab.values, "name")), "Lam");
	assert_int_equal(json_integer_value(json_object_get(ab.values, "income")), 200);
	assert_int_equal(json_integer_value(json_object_get(ab.values, "area")), 70);
	saola__merge_out_free(&ab);
	saola__merge_out_free(&ba);
	json_decref(sa);
	json_decref(sb);
}

/* A stored row's values as a state holds them: flattened answers and the
 * review paths (draft is no value). */
static void test_state_values(void **state)
{
	saola__form *f = *state;
	json_t *doc = J("{'name':'Lan','income':1,'double':2,'n':1,"
	                " 'members':[{'_id':'m1','age':3}]}");
	json_t *v = saola__state_values(f, doc, "returned", "why"), *want;

	want = J("{'name':'Lan','income':1,'members.m1':true,'members.m1.age':3,"
	         " '_state':'returned','_comment':'why'}");
	assert_true(json_equal(v, want));
	json_decref(v);
	json_decref(want);
	v = saola__state_values(f, doc, "draft", NULL);
	assert_null(json_object_get(v, "_state"));
	json_decref(v);
	json_decref(doc);
}

static int setup(void **state)
{
	saola__form *f = NULL;
	json_t *def = J(form_text);
	char err[256];

	if (saola__form_compile(def, &f, err, sizeof err) != SAOLA_OK)
		fail_msg("compile: %s", err);
	json_decref(def);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	saola__form_free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_symmetric),
		cmocka_unit_test(test_state_values),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
