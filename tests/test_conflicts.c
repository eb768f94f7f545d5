/* test_conflicts.c: review states (transitions, who may make them, their
 * merge) and the conflict log end to end: two devices edit one household
 * offline, the server logs what lost, an officer lists, inspects and
 * resolves it (command line and HTTP), and every replica ends with the
 * resolution; a record returned with a comment reaches the surveyor, who
 * edits and submits it again, and the commune approves it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "testutil.h"
#include "pgtest.h"
#include "servertest.h"
#include "synctest.h"
#include "saola_int.h"
#include "merge.h"
#include "versions.h"
#include "wire.h"
#include "saola/server.h"
#include "saola/sync.h"

/* ------------------------------------------------------------------ */
/* Review states in the core                                           */

typedef struct pair {
	char dir[512];
	saola *dev, *srv;      /* a device; a server's database */
	json_t *log;
} pair;

static int setup_pair(void **state)
{
	pair *p = calloc(1, sizeof *p);

	assert_non_null(p);
	snprintf(p->dir, sizeof p->dir, "%s", tu_tmpdir("review"));
	p->dev = tu_open(tu_path(p->dir, "dev.db"), 0);
	assert_int_equal(saola_open(tu_path(p->dir, "srv.db"), SAOLA_OPEN_CREATE | SAOLA_OPEN_SERVER,
	                            &p->srv), SAOLA_OK);
	assert_int_equal(saola_forms_load_dir(p->srv, SAOLA_TEST_DATA "/schemas", NULL), SAOLA_OK);
	p->log = json_array();
	*state = p;
	return 0;
}

static int teardown_pair(void **state)
{
	pair *p = *state;

	saola_close(p->dev);
	saola_close(p->srv);
	json_decref(p->log);
	tu_rmtree(p->dir);
	free(p);
	return 0;
}

static int log_loser(void *ctx, const saola__loser *l)
{
	pair *p = ctx;

	json_array_append_new(p->log, json_pack("{s:s, s:O, s:O, s:O?}", "path", l->path,
	                                        "value", l->value, "winner", l->winner,
	                                        "base", l->base));
	return 0;
}

/* from's queued changes merged into to (a push), then acknowledged. */
static void push(pair *p, saola *from, saola *to)
{
	json_t *ob = NULL, *e;
	size_t i;

	assert_int_equal(saola_outbox_read(from, 0, 0, &ob), SAOLA_OK);
	json_array_foreach(ob, i, e) {
		json_t *wire = saola__wire_from_outbox(e, saola_origin(from));
		saola__remote r;
		char err[256];
		if (saola__wire_decode(to, wire, saola_origin(from), &r, err, sizeof err) != SAOLA_OK)
			fail_msg("decode: %s", err);
		if (saola__apply_remote(to, &r, log_loser, p, NULL) != SAOLA_OK)
			fail_msg("apply: %s", saola_errmsg(to));
		saola__wire_remote_free(&r);
		json_decref(wire);
	}
	json_decref(ob);
	assert_int_equal(saola_outbox_ack(from, INT64_MAX), SAOLA_OK);
}

/* from's whole record merged into to (a pull). */
static void pull(saola *from, saola *to, const char *id)
{
	json_t *wire = NULL;
	saola__remote r;
	char err[256];

	assert_int_equal(saola__wire_record(from, id, &wire), SAOLA_OK);
	if (saola__wire_decode(to, wire, NULL, &r, err, sizeof err) != SAOLA_OK)
		fail_msg("decode: %s", err);
	if (saola__apply_remote(to, &r, NULL, NULL, NULL) != SAOLA_OK)
		fail_msg("apply: %s", saola_errmsg(to));
	saola__wire_remote_free(&r);
	json_decref(wire);
}

static json_t *get(saola *db, const char *id)
{
	json_t *rec = NULL;

	assert_int_equal(saola_get(db, id, &rec), SAOLA_OK);
	return rec;
}

static void assert_state(saola *db, const char *id, const char *state, const char *comment)
{
	json_t *rec = get(db, id);

	assert_string_equal(json_string_value(json_object_get(rec, "state")), state);
	if (comment)
		assert_string_equal(json_string_value(json_object_get(rec, "comment")), comment);
	else
		assert_true(!json_is_string(json_object_get(rec, "comment")));
	json_decref(rec);
}

static void put(saola *db, const char *id, const char *text, int want)
{
	json_t *d = tu_json(text);

	assert_int_equal(saola_put(db, "survey", id, d, NULL), want);
	json_decref(d);
}

/* draft -> submitted (device) -> returned (server, with a comment) ->
 * edited and submitted again (device) -> approved (server); approved
 * records are read-only on the device. Each move syncs as a change. */
static void test_review_transitions(void **state)
{
	pair *p = *state;
	char id[37];
	json_t *d = tu_json("{\"name\":\"Lan\",\"age\":30}"), *ob = NULL;

	assert_int_equal(saola_put(p->dev, "survey", NULL, d, id), SAOLA_OK);
	json_decref(d);
	assert_state(p->dev, id, "draft", NULL);
	/* who may do what */
	assert_int_equal(saola_set_state(p->dev, id, "returned", "why"), SAOLA_AUTH);
	assert_int_equal(saola_set_state(p->dev, id, "approved", NULL), SAOLA_AUTH);
	assert_int_equal(saola_set_state(p->dev, id, "draft", NULL), SAOLA_INVALID);
	assert_int_equal(saola_set_state(p->dev, id, "done", NULL), SAOLA_INVALID);
	assert_int_equal(saola_set_state(p->dev, "nope", "submitted", NULL), SAOLA_NOTFOUND);
	assert_int_equal(saola_set_state(p->dev, id, "submitted", NULL), SAOLA_OK);
	assert_state(p->dev, id, "submitted", NULL);
	assert_int_equal(saola_set_state(p->dev, id, "submitted", NULL), SAOLA_INVALID);
	/* the move is a queued change of the path "_state" */
	assert_int_equal(saola_outbox_read(p->dev, 0, 0, &ob), SAOLA_OK);
	assert_int_equal(json_array_size(ob), 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	        json_array_get(ob, 1), "changes"), "_state")), "submitted");
	json_decref(ob);
	push(p, p->dev, p->srv);
	assert_state(p->srv, id, "submitted", NULL);
	/* the officer returns it: a comment is required */
	assert_int_equal(saola_set_state(p->srv, id, "returned", NULL), SAOLA_INVALID);
	assert_int_equal(saola_set_state(p->srv, id, "returned", ""), SAOLA_INVALID);
	assert_int_equal(saola_set_state(p->srv, id, "returned", "age: ask again"), SAOLA_OK);
	assert_int_equal(saola_set_state(p->srv, id, "approved", NULL), SAOLA_INVALID);
	pull(p->srv, p->dev, id);
	assert_state(p->dev, id, "returned", "age: ask again");
	/* the surveyor corrects and submits again */
	put(p->dev, id, "{\"age\":31}", SAOLA_OK);
	assert_int_equal(saola_set_state(p->dev, id, "submitted", NULL), SAOLA_OK);
	push(p, p->dev, p->srv);
	assert_state(p->srv, id, "submitted", "age: ask again");
	assert_int_equal(saola_set_state(p->srv, id, "approved", "ok"), SAOLA_OK);
	pull(p->srv, p->dev, id);
	assert_state(p->dev, id, "approved", "ok");
	/* approved: read-only on the device, not on the server */
	put(p->dev, id, "{\"age\":32}", SAOLA_AUTH);
	assert_non_null(strstr(saola_errmsg(p->dev), "approved"));
	assert_int_equal(saola_delete(p->dev, id), SAOLA_AUTH);
	assert_int_equal(saola_set_state(p->dev, id, "submitted", NULL), SAOLA_INVALID);
	put(p->srv, id, "{\"age\":33}", SAOLA_OK);
	/* found wrong later, an approved record goes back for re-survey */
	assert_int_equal(saola_set_state(p->srv, id, "returned", NULL), SAOLA_INVALID);
	assert_int_equal(saola_set_state(p->srv, id, "returned", "age again"), SAOLA_OK);
	pull(p->srv, p->dev, id);
	assert_state(p->dev, id, "returned", "age again");
	put(p->dev, id, "{\"age\":34}", SAOLA_OK);
	/* the review paths never reach the form */
	put(p->srv, id, "{\"_state\":\"draft\"}", SAOLA_INVALID);
	d = get(p->srv, id);
	assert_null(json_object_get(json_object_get(d, "data"), "_state"));
	json_decref(d);
	assert_int_equal(json_array_size(p->log), 0);
}

/* The state and the comment merge like answers: concurrent moves, the
 * higher version wins everywhere, the other is logged; a whole state
 * carries both, and the record's status counts states. */
static void test_review_merge(void **state)
{
	pair *p = *state;
	saola *other = NULL;
	json_t *wire = NULL, *st = NULL, *l;
	char id[37];
	json_t *d = tu_json("{\"name\":\"Mai\"}");

	assert_int_equal(saola_put(p->dev, "survey", NULL, d, id), SAOLA_OK);
	json_decref(d);
	assert_int_equal(saola_set_state(p->dev, id, "submitted", NULL), SAOLA_OK);
	push(p, p->dev, p->srv);
	/* a second server replica (another tier) sees the submitted record */
	assert_int_equal(saola_open(tu_path(p->dir, "srv2.db"), SAOLA_OPEN_CREATE | SAOLA_OPEN_SERVER,
	                            &other), SAOLA_OK);
	assert_int_equal(saola_forms_load_dir(other, SAOLA_TEST_DATA "/schemas", NULL), SAOLA_OK);
	pull(p->srv, other, id);
	/* concurrently: one returns it, the other (later clock) approves */
	assert_int_equal(saola_set_state(p->srv, id, "returned", "check the name"), SAOLA_OK);
	put(other, id, "{\"name\":\"Mai Anh\"}", SAOLA_OK);
	assert_int_equal(saola_set_state(other, id, "approved", NULL), SAOLA_OK);
	assert_int_equal(saola_outbox_ack(p->srv, INT64_MAX), SAOLA_OK);
	push(p, other, p->srv);
	pull(p->srv, other, id);
	assert_state(p->srv, id, "approved", "check the name");
	assert_state(other, id, "approved", "check the name");
	assert_true(st_same_record(p->srv, other, id));
	l = json_array_get(p->log, 0);
	assert_non_null(l);
	assert_string_equal(json_string_value(json_object_get(l, "path")), "_state");
	assert_string_equal(json_string_value(json_object_get(l, "value")), "returned");
	assert_string_equal(json_string_value(json_object_get(l, "winner")), "approved");
	/* on the wire: _state and _comment are paths of d with their versions */
	assert_int_equal(saola__wire_record(p->srv, id, &wire), SAOLA_OK);
	assert_string_equal(json_string_value(json_object_get(json_object_get(wire, "d"), "_state")),
	                    "approved");
	assert_non_null(json_object_get(json_object_get(wire, "vs"), "_state"));
	assert_non_null(json_object_get(json_object_get(wire, "vs"), "_comment"));
	json_decref(wire);
	pull(p->srv, p->dev, id);
	assert_state(p->dev, id, "approved", "check the name");
	assert_int_equal(saola_status(p->dev, &st), SAOLA_OK);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "states"),
	                                                    "approved")), 1);
	json_decref(st);
	/* a malformed state from elsewhere is refused */
	{
		saola__remote r;
		memset(&r, 0, sizeof r);
		r.record_id = id;
		r.form_id = "survey";
		r.values = tu_json("{\"_state\":\"lost\"}");
		r.versions = tu_json("{\"_state\":[999999,\"ffff\"]}");
		assert_int_equal(saola__apply_remote(p->dev, &r, NULL, NULL, NULL), SAOLA_INVALID);
		json_decref(r.values);
		json_decref(r.versions);
		assert_state(p->dev, id, "approved", "check the name");
	}
	saola_close(other);
}

/* The versions of every path of a record with a value, each its own. */
static json_t *versions_by_path(saola *db, const char *id)
{
	json_t *state = NULL, *out = json_object(), *v;
	const char *k;

	assert_int_equal(saola__record_state(db, id, &state), SAOLA_OK);
	json_object_foreach(json_object_get(state, "values"), k, v)
		json_object_set(out, k, saola__version_of(json_object_get(state, "versions"), k));
	json_decref(state);
	return out;
}

/* A district's pull: the upstream's whole record merged with, as base, the
 * versions last exchanged. Only a path changed on both sides since is
 * logged; a path changed on one side only merges silently. */
static void test_pull_with_base(void **state)
{
	pair *p = *state;
	json_t *d = tu_json("{\"name\":\"Hoa\",\"age\":40,\"colour\":\"red\"}");
	json_t *up, *wire = NULL, *l;
	saola__remote r;
	char id[37], err[256];

	assert_int_equal(saola_put(p->dev, "survey", NULL, d, id), SAOLA_OK);
	json_decref(d);
	pull(p->dev, p->srv, id);      /* the upstream has it ... */
	up = versions_by_path(p->dev, id); /* ... and this is what was exchanged */
	put(p->dev, id, "{\"name\":\"Hoà\",\"colour\":\"green\"}", SAOLA_OK); /* here */
	put(p->srv, id, "{\"age\":41,\"colour\":\"green\"}", SAOLA_OK);           /* there */
	put(p->srv, id, "{\"colour\":\"red\"}", SAOLA_OK);
	assert_int_equal(saola__wire_record(p->srv, id, &wire), SAOLA_OK);
	if (saola__wire_decode(p->dev, wire, NULL, &r, err, sizeof err) != SAOLA_OK)
		fail_msg("decode: %s", err);
	r.base = up;
	assert_int_equal(saola__apply_remote(p->dev, &r, log_loser, p, NULL), SAOLA_OK);
	saola__wire_remote_free(&r);
	json_decref(wire);
	/* name (here only) and age (there only) merged without a word; colour
	 * changed on both sides: the one that lost is logged */
	assert_int_equal(json_array_size(p->log), 1);
	l = json_array_get(p->log, 0);
	assert_string_equal(json_string_value(json_object_get(l, "path")), "colour");
	assert_string_equal(json_string_value(json_object_get(l, "value")), "green");
	assert_string_equal(json_string_value(json_object_get(l, "winner")), "red");
	d = get(p->dev, id);
	assert_string_equal(json_string_value(json_object_get(json_object_get(d, "data"), "name")),
	                    "Hoà");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "data"), "age")), 41);
	json_decref(d);
}

/* ------------------------------------------------------------------ */
/* End to end                                                          */

typedef struct fixture {
	char dir[512];
	char srvdb[1024];
	char url[64];
	saola_server *srv;
	char *s1, *s2;         /* surveyors of commune 14404 */
	char *officer;         /* commune officer of 14404 */
	char *elsewhere;       /* commune officer of 14383 */
} fixture;

static int setup_server(void **state)
{
	fixture *fx = calloc(1, sizeof *fx);
	saola_server_opts so;

	assert_non_null(fx);
	snprintf(fx->dir, sizeof fx->dir, "%s", tu_tmpdir("conflicts"));
	snprintf(fx->srvdb, sizeof fx->srvdb, "%s", pgt_db(tu_path(fx->dir, "server.db")));
	memset(&so, 0, sizeof so);
	so.db_path = fx->srvdb;
	so.listen = "127.0.0.1:0";
	so.schemas = SAOLA_TEST_SCHEMAS;
	if (saola_server_start(&so, &fx->srv) != SAOLA_OK)
		fail_msg("server start: %s", saola_server_errmsg(fx->srv));
	snprintf(fx->url, sizeof fx->url, "http://127.0.0.1:%d", saola_server_port(fx->srv));
	fx->s1 = st_user_add(fx->srvdb, "lan", "surveyor", "14404");
	fx->s2 = st_user_add(fx->srvdb, "hung", "surveyor", "14404");
	fx->officer = st_user_add(fx->srvdb, "officer", "commune", "14404");
	fx->elsewhere = st_user_add(fx->srvdb, "officer2", "commune", "14383");
	*state = fx;
	return 0;
}

static int teardown_server(void **state)
{
	fixture *fx = *state;

	saola_server_stop(fx->srv);
	free(fx->s1);
	free(fx->s2);
	free(fx->officer);
	free(fx->elsewhere);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

static void sync_ok(saola *db)
{
	saola_sync_opts o;

	memset(&o, 0, sizeof o);
	if (saola_sync(db, &o, NULL) != SAOLA_OK)
		fail_msg("sync: %s", saola_errmsg(db));
}

static json_t *field(saola *db, const char *id, const char *name)
{
	json_t *rec = get(db, id), *v = json_incref(json_object_get(json_object_get(rec, "data"),
	                                                            name));

	json_decref(rec);
	return v;
}

/* Runs a command line; returns its exit status, output in out. */
static int run(char *out, size_t outlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int run(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[8192], err[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	rc = tu_run(cmd, out, outlen, err, sizeof err);
	if (rc != 0 && getenv("SAOLA_TEST_VERBOSE"))
		fprintf(stderr, "%s: exit %d: %s\n", cmd, rc, err);
	if (rc != 0 && outlen > strlen(out) + 1)
		snprintf(out + strlen(out), outlen - strlen(out), "%s", err);
	return rc;
}

static sv_resp post_json(fixture *fx, const char *path, const char *token, const char *body)
{
	return sv_http(fx->url, "POST", path, token, NULL, body, strlen(body), 0);
}

/* Two devices change the same household's head name offline (member 1's
 * name, which head_name is computed from); the server
 * logs the value that lost; a commune officer finds it (command line and
 * HTTP) and takes the lost value back over HTTP; both devices end with it,
 * and the entry is closed. */
static void test_conflict_end_to_end(void **state)
{
	fixture *fx = *state;
	saola *d1 = st_device(tu_path(fx->dir, "d1.db"), fx->url, fx->s1);
	saola *d2 = st_device(tu_path(fx->dir, "d2.db"), fx->url, fx->s2);
	json_t *ids = json_array(), *v, *c, *st = NULL;
	char id[37], path[128], body[256], out[16384], head[128], *lost, *kept;
	sv_resp r;
	long long cid;
	char *s;

	st_put_households(d1, 11, "14404", 1, ids);
	snprintf(id, sizeof id, "%s", json_string_value(json_array_get(ids, 0)));
	sync_ok(d1);
	sync_ok(d2);
	assert_true(st_same_record(d1, d2, id));
	/* offline, both correct the head's name; d2's clock is ahead */
	st_head_path(d1, id, head, sizeof head);
	v = st_head_edit(d1, id, "Đinh Văn Hùng");
	assert_int_equal(saola_put(d1, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	v = json_pack("{s:s}", "village", "Thôn Bãi Cả");
	assert_int_equal(saola_put(d2, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	v = st_head_edit(d2, id, "Đinh Văn Hưng");
	assert_int_equal(saola_put(d2, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	sync_ok(d1);
	sync_ok(d2);
	/* the device says so */
	assert_int_equal(saola_status(d2, &st), SAOLA_OK);
	assert_string_equal(json_string_value(json_object_get(json_object_get(st, "sync"),
	                                                      "last_conflicted")), "1");
	json_decref(st);
	assert_int_equal(run(out, sizeof out, "'%s' status --db '%s'", tu_bin("saola"),
	                     tu_path(fx->dir, "d2.db")), 0);
	assert_non_null(strstr(out, "1 value in 1 record at the last sync"));
	/* the command line lists it, with the household and the field */
	assert_int_equal(run(out, sizeof out, "'%s' conflicts list --db '%s'", st_server_bin(),
	                     fx->srvdb), 0);
	assert_non_null(strstr(out, "Đinh Văn Hưng"));
	assert_non_null(strstr(out, "\"Đinh Văn Hùng\" -> \"Đinh Văn Hưng\""));
	cid = atoll(strstr(out, "\n") + 1);
	assert_true(cid > 0);
	assert_int_equal(run(out, sizeof out, "SAOLA_LANG=en '%s' conflicts show --db '%s' %lld",
	                     st_server_bin(), fx->srvdb, cid), 0);
	assert_non_null(strstr(out, head));
	assert_non_null(strstr(out, ": Household members › Đinh Văn Hưng › Full name"));
	assert_non_null(strstr(out, "user hung"));
	assert_non_null(strstr(out, "commune 14404"));
	assert_non_null(strstr(out, "made over version [1, "));
	assert_int_equal(run(out, sizeof out, "'%s' conflicts list --db '%s' --area 14383",
	                     st_server_bin(), fx->srvdb), 0);
	assert_non_null(strstr(out, "no conflicts"));
	assert_int_equal(run(out, sizeof out, "'%s' conflicts show --db '%s' 999", st_server_bin(),
	                     fx->srvdb), 1);
	assert_int_equal(run(out, sizeof out, "'%s' conflicts resolve --db '%s' %lld",
	                     st_server_bin(), fx->srvdb, cid), 2);
	/* and so does HTTP, for the officer */
	r = sv_http(fx->url, "GET", "/v1/conflicts?status=open", fx->officer, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(sv_jint(r.json, "count"), 1);
	c = json_array_get(json_object_get(r.json, "conflicts"), 0);
	assert_int_equal(sv_jint(c, "id"), cid);
	lost = json_dumps(json_object_get(c, "lost_value"), JSON_ENCODE_ANY);
	kept = json_dumps(json_object_get(c, "kept_value"), JSON_ENCODE_ANY);
	assert_string_equal(lost, "\"Đinh Văn Hùng\"");
	assert_string_equal(kept, "\"Đinh Văn Hưng\"");
	sv_resp_free(&r);
	/* who may resolve: commune officers and above, in their area */
	snprintf(path, sizeof path, "/v1/conflicts/%lld/resolve", cid);
	snprintf(body, sizeof body, "{\"choice\":\"lost\",\"comment\":\"called the household\"}");
	r = post_json(fx, path, fx->s1, body);
	assert_int_equal(r.status, 403);
	sv_resp_free(&r);
	r = post_json(fx, path, fx->elsewhere, body);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body, "outside your area"));
	sv_resp_free(&r);
	r = post_json(fx, path, NULL, body);
	assert_int_equal(r.status, 401);
	sv_resp_free(&r);
	r = sv_http(fx->url, "GET", path, fx->officer, NULL, NULL, 0, 0);
	assert_int_equal(r.status, 405);
	sv_resp_free(&r);
	r = post_json(fx, "/v1/conflicts/99999/resolve", fx->officer, body);
	assert_int_equal(r.status, 404);
	sv_resp_free(&r);
	r = post_json(fx, path, fx->officer, "{\"choice\":\"maybe\"}");
	assert_int_equal(r.status, 400);
	sv_resp_free(&r);
	r = post_json(fx, path, fx->officer, body);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "status")), "resolved");
	assert_string_equal(json_string_value(json_object_get(r.json, "resolved_by")), "officer");
	s = json_dumps(json_object_get(json_object_get(r.json, "current"), "value"), JSON_ENCODE_ANY);
	assert_string_equal(s, lost);
	free(s);
	{
		/* the resolution is a new edit, above both sides */
		json_t *res = json_object_get(r.json, "resolution"), *ver = json_object_get(res, "version");
		json_t *kv = json_object_get(json_object_get(r.json, "kept"), "version");
		assert_true(json_is_array(ver));
		assert_true(json_integer_value(json_array_get(ver, 0)) >
		            json_integer_value(json_array_get(kv, 0)));
		assert_string_equal(json_string_value(json_object_get(res, "comment")),
		                    "called the household");
	}
	sv_resp_free(&r);
	r = post_json(fx, path, fx->officer, body);
	assert_int_equal(r.status, 409);
	sv_resp_free(&r);
	/* every replica gets it at its next sync, head_name with it; the entry
	 * is closed */
	sync_ok(d1);
	sync_ok(d2);
	v = field(d1, id, "head_name");
	s = json_dumps(v, JSON_ENCODE_ANY);
	assert_string_equal(s, lost);
	free(s);
	json_decref(v);
	v = field(d2, id, "head_name");
	s = json_dumps(v, JSON_ENCODE_ANY);
	assert_string_equal(s, lost);
	free(s);
	json_decref(v);
	v = field(d2, id, "village");
	assert_string_equal(json_string_value(v), "Thôn Bãi Cả");
	json_decref(v);
	assert_true(st_same_record(d1, d2, id));
	r = sv_http(fx->url, "GET", "/v1/conflicts?status=open", fx->officer, NULL, NULL, 0, 0);
	assert_int_equal(sv_jint(r.json, "count"), 0);
	sv_resp_free(&r);
	r = sv_http(fx->url, "GET", "/v1/conflicts?status=resolved", fx->officer, NULL, NULL, 0, 0);
	assert_int_equal(sv_jint(r.json, "count"), 1);
	sv_resp_free(&r);
	/* another conflict, kept from the command line: the kept value stands,
	 * so no edit is made; the entry is closed */
	v = json_pack("{s:i}", "income_per_capita", 1400000);
	assert_int_equal(saola_put(d1, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	v = json_pack("{s:i}", "income_per_capita", 1650000);
	assert_int_equal(saola_put(d2, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	v = json_pack("{s:s}", "village", "Thôn 2");
	assert_int_equal(saola_put(d2, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	sync_ok(d1);
	sync_ok(d2);
	assert_int_equal(run(out, sizeof out, "'%s' conflicts --db '%s' --status open --json",
	                     st_server_bin(), fx->srvdb), 0);
	v = tu_json(out);
	assert_int_equal(json_array_size(v), 1);
	cid = json_integer_value(json_object_get(json_array_get(v, 0), "id"));
	json_decref(v);
	assert_int_equal(run(out, sizeof out, "'%s' conflicts resolve --db '%s' --keep --by"
	                     " 'Lê Thu' --comment 'income checked' %lld", st_server_bin(),
	                     fx->srvdb, cid), 0);
	assert_non_null(strstr(out, "no edit needed"));
	assert_non_null(strstr(out, "by Lê Thu"));
	assert_int_equal(run(out, sizeof out, "'%s' conflicts resolve --db '%s' --value 1500000 %lld",
	                     st_server_bin(), fx->srvdb, cid), 1);
	assert_non_null(strstr(out, "resolved already"));
	assert_int_equal(sv_count(fx->srvdb, "SELECT count(*) FROM conflicts WHERE resolved_at IS NULL"),
	                 0);
	free(lost);
	free(kept);
	json_decref(ids);
	saola_close(d1);
	saola_close(d2);
}

/* A record submitted on the device is returned by the commune with a
 * comment; the surveyor sees it (get, list, status), corrects it and
 * submits it again; the commune approves it; the device can no longer
 * change it. */
static void test_review_end_to_end(void **state)
{
	fixture *fx = *state;
	const char *dbp = tu_path(fx->dir, "rev.db");
	saola *d = st_device(dbp, fx->url, fx->s1);
	json_t *ids = json_array(), *v;
	char id[37], path[128], out[16384];
	sv_resp r;

	st_put_households(d, 21, "14404", 2, ids);
	snprintf(id, sizeof id, "%s", json_string_value(json_array_get(ids, 0)));
	saola_close(d);
	assert_int_equal(run(out, sizeof out, "'%s' submit --db '%s' %s", tu_bin("saola"), dbp, id), 0);
	assert_int_equal(run(out, sizeof out, "'%s' submit --db '%s' %s", tu_bin("saola"), dbp, id), 1);
	assert_non_null(strstr(out, "only a draft or a returned record"));
	d = st_device(dbp, NULL, NULL);
	sync_ok(d);
	/* the commune returns it over HTTP: a comment is required */
	snprintf(path, sizeof path, "/v1/records/%s/review", id);
	r = post_json(fx, path, fx->officer, "{\"action\":\"return\"}");
	assert_int_equal(r.status, 400);
	sv_resp_free(&r);
	r = post_json(fx, path, fx->s1, "{\"action\":\"approve\"}");
	assert_int_equal(r.status, 403);
	sv_resp_free(&r);
	r = post_json(fx, path, fx->elsewhere, "{\"action\":\"approve\"}");
	assert_int_equal(r.status, 403);
	sv_resp_free(&r);
	r = post_json(fx, "/v1/records/no-such-record/review", fx->officer, "{\"action\":\"approve\"}");
	assert_int_equal(r.status, 404);
	sv_resp_free(&r);
	r = post_json(fx, path, fx->officer,
	              "{\"action\":\"return\",\"comment\":\"Thu nhập chưa đúng: hỏi lại\"}");
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(r.json, "state")), "returned");
	sv_resp_free(&r);
	r = post_json(fx, path, fx->officer, "{\"action\":\"approve\"}");
	assert_int_equal(r.status, 409);
	sv_resp_free(&r);
	/* it reaches the surveyor with the comment */
	sync_ok(d);
	saola_close(d);
	assert_int_equal(run(out, sizeof out, "'%s' get --db '%s' %s", tu_bin("saola"), dbp, id), 0);
	assert_non_null(strstr(out, "\"state\": \"returned\""));
	assert_non_null(strstr(out, "Thu nhập chưa đúng: hỏi lại"));
	assert_int_equal(run(out, sizeof out, "'%s' list --db '%s'", tu_bin("saola"), dbp), 0);
	assert_non_null(strstr(out, "returned"));
	assert_int_equal(run(out, sizeof out, "'%s' status --db '%s'", tu_bin("saola"), dbp), 0);
	assert_non_null(strstr(out, "1 returned for re-survey"));
	/* corrected and submitted again */
	d = st_device(dbp, NULL, NULL);
	v = json_pack("{s:i}", "income_per_capita", 1300000);
	assert_int_equal(saola_put(d, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	saola_close(d);
	assert_int_equal(run(out, sizeof out, "'%s' submit --db '%s' %s", tu_bin("saola"), dbp, id), 0);
	d = st_device(dbp, NULL, NULL);
	sync_ok(d);
	/* the commune approves from the command line */
	assert_int_equal(run(out, sizeof out, "'%s' review --db '%s' approve %s --by 'Lê Thu'",
	                     st_server_bin(), fx->srvdb, id), 0);
	assert_non_null(strstr(out, "approved"));
	assert_int_equal(run(out, sizeof out, "'%s' review --db '%s' return %s", st_server_bin(),
	                     fx->srvdb, id), 2);
	sync_ok(d);
	assert_state(d, id, "approved", "Thu nhập chưa đúng: hỏi lại");
	v = json_pack("{s:i}", "income_per_capita", 1000);
	assert_int_equal(saola_put(d, "household", id, v, NULL), SAOLA_AUTH);
	json_decref(v);
	/* the server's copy agrees */
	{
		saola *prov = NULL;
		char *tok = st_user_add_allow(fx->srvdb, "reader", "province", "37", "personal");
		prov = st_device(tu_path(fx->dir, "reader.db"), fx->url, tok);
		sync_ok(prov);
		assert_true(st_same_record(prov, d, id));
		assert_state(prov, id, "approved", "Thu nhập chưa đúng: hỏi lại");
		saola_close(prov);
		free(tok);
	}
	json_decref(ids);
	saola_close(d);
}

static void assert_state_is(saola *db, const char *id, const char *state)
{
	json_t *rec = get(db, id);

	assert_string_equal(json_string_value(json_object_get(rec, "state")), state);
	json_decref(rec);
}

/* `review approve --area`: the commune approves every submitted household of
 * its commune at once; drafts stay drafts, and a second run finds none. */
static void test_review_approve_area(void **state)
{
	fixture *fx = *state;
	const char *dbp = tu_path(fx->dir, "area.db");
	saola *d = st_device(dbp, fx->url, fx->s1);
	json_t *ids = json_array();
	char out[4096];
	size_t i;

	st_put_households(d, 31, "14404", 3, ids);
	saola_close(d);
	for (i = 0; i < 2; i++)
		assert_int_equal(run(out, sizeof out, "'%s' submit --db '%s' %s", tu_bin("saola"), dbp,
		                     json_string_value(json_array_get(ids, i))), 0);
	d = st_device(dbp, NULL, NULL);
	sync_ok(d);
	assert_int_equal(run(out, sizeof out, "'%s' review --db '%s' return --area 14404",
	                     st_server_bin(), fx->srvdb), 2);
	assert_int_equal(run(out, sizeof out, "'%s' review --db '%s' approve --area 14404 --year 1999",
	                     st_server_bin(), fx->srvdb), 0);
	assert_non_null(strstr(out, "approved 0 submitted households of 14404"));
	assert_int_equal(run(out, sizeof out, "'%s' review --db '%s' approve --area 14404",
	                     st_server_bin(), fx->srvdb), 0);
	assert_non_null(strstr(out, "approved 2 submitted households of 14404"));
	assert_int_equal(run(out, sizeof out, "'%s' review --db '%s' approve --area 14404",
	                     st_server_bin(), fx->srvdb), 0);
	assert_non_null(strstr(out, "approved 0 submitted households"));
	sync_ok(d);
	assert_state_is(d, json_string_value(json_array_get(ids, 0)), "approved");
	assert_state_is(d, json_string_value(json_array_get(ids, 1)), "approved");
	assert_state_is(d, json_string_value(json_array_get(ids, 2)), "draft");
	json_decref(ids);
	saola_close(d);
}

/* An edit made on a device before it saw the approval reaches the server
 * after it: the answer is kept, the record goes back to submitted (the
 * officer's comment stays), the undone approval is in the conflict log, the
 * move in the audit log, and the device gets the new state at the same
 * sync. */
static void test_edit_after_approval(void **state)
{
	fixture *fx = *state;
	const char *dbp = tu_path(fx->dir, "late.db");
	saola *d = st_device(dbp, fx->url, fx->s1);
	json_t *ids = json_array(), *v, *rec;
	char id[37], out[16384];

	st_put_households(d, 31, "14404", 1, ids);
	snprintf(id, sizeof id, "%s", json_string_value(json_array_get(ids, 0)));
	assert_int_equal(saola_set_state(d, id, "submitted", NULL), SAOLA_OK);
	sync_ok(d);
	/* offline, the surveyor corrects the income; meanwhile it is approved */
	v = json_pack("{s:i}", "income_per_capita", 1234000);
	assert_int_equal(saola_put(d, "household", id, v, NULL), SAOLA_OK);
	json_decref(v);
	assert_int_equal(run(out, sizeof out, "'%s' review --db '%s' approve %s",
	                     st_server_bin(), fx->srvdb, id), 0);
	sync_ok(d);
	rec = get(d, id);
	assert_string_equal(json_string_value(json_object_get(rec, "state")), "submitted");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(rec, "data"),
	                                                    "income_per_capita")), 1234000);
	json_decref(rec);
	assert_int_equal(run(out, sizeof out, "'%s' conflicts list --db '%s'", st_server_bin(),
	                     fx->srvdb), 0);
	assert_non_null(strstr(out, "review state"));
	assert_non_null(strstr(out, "\"approved\" -> \"submitted\""));
	{
		/* the move is audited as the server's, under the device's batch */
		char sql[512];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM audit WHERE record_id = '%s'"
		         " AND source = 'server' AND path = '_state'"
		         " AND value = '\"submitted\"' AND batch IS NOT NULL"
		         " AND detail LIKE '%%approved record%%'", id);
		assert_int_equal(sv_count(fx->srvdb, sql), 1);
	}
	/* the officer looks again and approves */
	assert_int_equal(run(out, sizeof out, "'%s' review --db '%s' approve %s",
	                     st_server_bin(), fx->srvdb, id), 0);
	sync_ok(d);
	assert_state_is(d, id, "approved");
	json_decref(ids);
	saola_close(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_review_transitions, setup_pair, teardown_pair),
		cmocka_unit_test_setup_teardown(test_review_merge, setup_pair, teardown_pair),
		cmocka_unit_test_setup_teardown(test_pull_with_base, setup_pair, teardown_pair),
		cmocka_unit_test_setup_teardown(test_conflict_end_to_end, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_review_end_to_end, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_edit_after_approval, setup_server, teardown_server),
		cmocka_unit_test_setup_teardown(test_review_approve_area, setup_server, teardown_server),
	};

	setenv("SAOLA_SYNC_BACKOFF_MS", "5", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
