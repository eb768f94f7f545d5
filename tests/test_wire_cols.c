/* test_wire_cols.c: the columnar batch of sync's protocol 2 (wire_cols.h):
 * batches of every shape come back as they went (absent keys, mixed kinds,
 * UUIDs, hex, wide and deep objects, repeats, escapes, generated
 * households), the text of small batches is exactly the format, every
 * refusal of the decoder says where and why (and which are for size), and
 * the encoder refuses what is not a batch's object. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "gen.h"
#include "wire_cols.h"

/* Far more than any batch here makes. */
#define NO_LIMIT ((size_t)1 << 30)

/* ---- helpers ---- */

/* The columnar text of batch (an array of objects), malloc()ed, or fails
 * the test. */
static char *encode(const json_t *batch, size_t *len)
{
	saola__cols *c = saola__cols_new();
	saola__text t = {NULL, 0, 0};
	json_t *obj;
	size_t i;

	assert_non_null(c);
	json_array_foreach(batch, i, obj)
		assert_int_equal(saola__cols_add(c, obj), SAOLA_OK);
	assert_int_equal(saola__cols_rows(c), json_array_size(batch));
	assert_int_equal(saola__cols_write(c, saola__text_put, &t), SAOLA_OK);
	saola__cols_free(c);
	assert_non_null(t.p);
	*len = t.n;
	return t.p;
}

/* JSON text as the tests read it: strings may hold NUL (\u0000), which
 * jansson refuses unless asked. New reference, or fails the test. */
static json_t *parse(const char *s, size_t n)
{
	json_error_t jerr;
	json_t *v = json_loadb(s, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	                       &jerr);

	if (!v)
		fail_msg("bad JSON: %s: %.*s", jerr.text, (int)(n > 400 ? 400 : n), s);
	return v;
}

/* The tables below write JSON with ' for " (it reads better so): the
 * JSON, in one of 4 rotating static buffers. */
static const char *dq(const char *s)
{
	static char bufs[4][2048];
	static int next;
	char *b = bufs[next++ % 4];
	size_t i;

	assert_true(strlen(s) < sizeof bufs[0]);
	for (i = 0; s[i]; i++)
		b[i] = s[i] == '\'' ? '"' : s[i];
	b[i] = '\0';
	return b;
}

static void assert_same(const json_t *got, const json_t *want, const char *name)
{
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
		char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
		fail_msg("%s: came back different\n got:  %.2000s\n want: %.2000s", name, g, w);
	}
}

/* Encodes batch, reads the text back and decodes it: it must be batch
 * again. expect (may be NULL): a part of the text that must be there. */
static void round_trip(const char *name, const json_t *batch, const char *expect)
{
	size_t len;
	char *s = encode(batch, &len), err[512] = "";
	json_t *v = parse(s, len), *back;
	int too_big = -1;

	back = saola__cols_decode(v, "changes", NO_LIMIT, &too_big, err, sizeof err);
	if (!back)
		fail_msg("%s: decode: %s\n text: %.2000s", name, err, s);
	assert_int_equal(too_big, 0);
	assert_same(back, batch, name);
	if (expect && !strstr(s, expect))
		fail_msg("%s: the text lacks %s\n text: %.2000s", name, expect, s);
	/* The values given verbatim are shared with v: they outlive it. */
	json_decref(v);
	assert_same(back, batch, name);
	json_decref(back);
	free(s);
}

/* ---- batches built in code ---- */

/* {"k0": 0, ..., "k<n-1>": n-1}. */
static json_t *wide_object(int n)
{
	json_t *o = json_object();
	char key[16];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%d", i);
		json_object_set_new(o, key, json_integer(i));
	}
	return o;
}

/* Nested objects wider than a level's columns travel whole; the widest
 * that is split has SAOLA__COLS_WIDTH keys. */
static json_t *make_wide(void)
{
	json_t *b = json_array(), *r;

	/* w: the first is too wide. x: the first fills the columns, the
	 * second brings one key more. */
	r = json_object();
	json_object_set_new(r, "w", wide_object(SAOLA__COLS_WIDTH + 1));
	json_object_set_new(r, "x", wide_object(SAOLA__COLS_WIDTH));
	json_array_append_new(b, r);
	r = json_object();
	json_object_set_new(r, "x", wide_object(SAOLA__COLS_WIDTH + 1));
	json_array_append_new(b, r);
	/* repeat items: the first item's keys alone are too many */
	r = json_object();
	json_object_set_new(r, "m", json_pack("[o, o]", wide_object(3),
	                                      wide_object(SAOLA__COLS_WIDTH + 1)));
	json_array_append_new(b, r);
	return b;
}

/* {"a": {"a": ... 1}} with n objects, inside each row; and the same
 * with arrays of one object, {"m": [{"m": [... 1]}]}. */
static json_t *make_deep(void)
{
	json_t *b = json_array(), *a = json_integer(1), *m = json_integer(1);
	int i;

	for (i = 0; i < SAOLA__COLS_DEPTH + 4; i++) {
		a = json_pack("{s:o}", "a", a);
		m = json_pack("[{s:o}]", "m", m);
	}
	json_array_append_new(b, json_pack("{s:o, s:o}", "a", a, "m", m));
	json_array_append_new(b, json_pack("{s:{s:{s:i}}, s:[{s:[{s:i}]}]}", "a", "a", "a", 2,
	                                   "m", "m", "m", 3));
	return b;
}

/* Strings holding NUL (jansson can make them; JSON writes \u0000). */
static json_t *make_nul(void)
{
	static const char almost[] = "0b7c5d0e-6a43-4b51-9a40-4f4b1c1d2a1";
	json_t *b = json_array();

	/* s: the first decides that strings go verbatim; x: hex, then one
	 * that is hex but for its NUL */
	json_array_append_new(b, json_pack("{s:o, s:s}", "s", json_stringn("a\0b", 3), "x", "ab"));
	json_array_append_new(b, json_pack("{s:o, s:o}", "s", json_stringn("\0", 1), "x",
	                                   json_stringn("ab\0", 3)));
	/* a UUID's length, its terminating NUL for a last digit */
	json_array_append_new(b, json_pack("{s:o}", "s", json_stringn(almost, sizeof almost)));
	json_array_append_new(b, json_pack("{s:o}", "s", json_stringn("ab\0", 3)));
	json_array_append_new(b, json_pack("{s:s}", "s", "ab"));
	return b;
}

/* A device's push of n households as protocol 1's changes carry them:
 * {"r": record UUID, "f", "fv", "d": the household with its members'
 * _id, "vs": {"_": 1}}. */
static json_t *make_households(size_t n)
{
	saola_gen *g = saola_gen_new(46);
	json_t *b = json_array();
	size_t i, j;

	assert_non_null(g);
	for (i = 0; i < n; i++) {
		json_t *h = saola_gen_household(g, NULL), *m;
		uint64_t hi = saola_gen_below(g, UINT64_MAX), lo = saola_gen_below(g, UINT64_MAX);
		char uuid[37], id[9];

		assert_non_null(h);
		json_array_foreach(json_object_get(h, "members"), j, m) {
			uint64_t x = saola_gen_below(g, (uint64_t)1 << 32);
			snprintf(id, sizeof id, "%08" PRIx64, x);
			json_object_set_new(m, "_id", json_string(id));
		}
		hi = (hi & ~(uint64_t)0xf000) | 0x4000;
		lo = (lo & ~((uint64_t)3 << 62)) | (uint64_t)2 << 62;
		snprintf(uuid, sizeof uuid, "%08" PRIx64 "-%04" PRIx64 "-%04" PRIx64 "-%04" PRIx64
		         "-%012" PRIx64, hi >> 32, hi >> 16 & 0xffff, hi & 0xffff, lo >> 48,
		         lo & 0xffffffffffff);
		json_array_append_new(b, json_pack("{s:s, s:s, s:s, s:o, s:{s:i}}", "r", uuid,
		                                   "f", "household", "fv", "2026.1", "d", h,
		                                   "vs", "_", 1));
	}
	saola_gen_free(g);
	return b;
}

static json_t *make_village(void)
{
	return make_households(300);
}

/* ---- round trips ---- */

typedef struct trip {
	const char *name;
	const char *json;          /* the batch, or NULL: make() */
	json_t *(*make)(void);
	const char *expect;        /* a part of its text (may be NULL) */
} trip;

static const trip TRIPS[] = {
	{"empty batch", "[]", NULL, "{\"n\":0,\"c\":{}}"},
	{"empty objects", "[{},{},{}]", NULL, "{\"n\":3,\"c\":{}}"},
	{"keys in some rows",
	 "[{\"a\":1},{\"b\":2},{},{\"a\":3,\"b\":4,\"c\":5},{\"c\":null}]", NULL,
	 "\"a\":{\"p\":\"10010\",\"v\":[1,3]},\"b\":{\"p\":\"01010\",\"v\":[2,4]},"
	 "\"c\":{\"p\":\"00011\",\"v\":[5,null]}"},
	{"mixed kinds",
	 "[{\"x\":{\"k\":1}},{\"x\":\"s\"},{\"x\":[{\"i\":1},{\"i\":2,\"j\":\"q\"}]},{\"x\":[]},"
	 "{\"x\":null},{\"x\":42},{\"x\":-7.25},{\"x\":true},{\"x\":false},"
	 "{\"x\":[[1,2],[3,[4,\"five\"]],\"six\"]},{\"x\":1e300},{\"x\":-9223372036854775808},"
	 "{\"x\":9223372036854775807},{\"x\":0.1},{\"x\":2.0},{\"x\":-0.0},{\"x\":{}},"
	 "{\"x\":[{}]},{\"x\":[{\"k\":[]}]},{\"x\":[1,{\"i\":1}]},{\"x\":{\"k\":\"0a\"}},{}]",
	 NULL, "\"x\":{\"p\":\"1111111111111111111110\",\"t\":\"ovavvvvvvvvvvvvvoaavo\""},
	{"uuids",
	 "[{\"r\":\"0b7c5d0e-6a43-4b51-9a40-4f4b1c1d2a11\"},"
	 "{\"r\":\"ffffffff-ffff-ffff-ffff-ffffffffffff\"},"
	 "{\"r\":\"00000000-0000-0000-0000-000000000000\"},{\"r\":\"not a uuid\"},"
	 "{\"r\":\"0B7C5D0E-6A43-4B51-9A40-4F4B1C1D2A11\"},{},"
	 "{\"r\":\"0b7c5d0e6a434b519a404f4b1c1d2a11\"},"
	 "{\"r\":\"0b7c5d0e-6a43-4b51-9a40-4f4b1c1d2a1\"},"
	 "{\"r\":\"0b7c5d0e-6a434-b51-9a40-4f4b1c1d2a11\"},"
	 "{\"r\":\"0b7c5d0e-6a43-4b51-9a40-4f4b1c1d2a11\","
	 "\"R\":\"0B7C5D0E-6A43-4B51-9A40-4F4B1C1D2A11\"},"
	 "{\"R\":\"0b7c5d0e-6a43-4b51-9a40-4f4b1c1d2a11\"}]",
	 NULL, "\"r\":{\"p\":\"11111011110\",\"t\":\"uuuvvvvvu\""},
	{"hex",
	 "[{\"w\":\"0a1b2c\",\"l\":\"123456789abcdef\",\"d\":\"1234\",\"n\":\"xyz\"},"
	 "{\"w\":\"0a1b2d\",\"l\":\"fffffffffffffff\",\"d\":\"0001\",\"n\":\"abc\"},"
	 "{\"w\":\"0a1b2c\",\"l\":\"000000000000000\",\"d\":\"9999\"},"
	 "{\"w\":\"ffffff\",\"l\":\"fffffffffffffff\"},"
	 "{\"w\":\"000000\",\"l\":\"0123456789abcdef\"},"
	 "{\"w\":\"abc\"},{\"w\":\"xyz\"},{\"w\":\"ABCDEF\"},{\"w\":\"0a1b2e\"}]",
	 NULL, "{\"n\":9,\"c\":{"
	 "\"w\":{\"t\":\"hhhhhvvvh\",\"v\":[\"abc\",\"xyz\",\"ABCDEF\"],"
	 "\"h\":[\"0a1b2c\",1,-1,16114899,-16777215,662318]},"
	 "\"l\":{\"p\":\"111110000\",\"t\":\"hhhhv\",\"v\":[\"0123456789abcdef\"],"
	 "\"h\":[\"123456789abcdef\",1070935975390360080,-1152921504606846975,"
	 "1152921504606846975]},"
	 "\"d\":{\"p\":\"111000000\",\"h\":[\"1234\",-4659,39320]},"
	 "\"n\":{\"p\":\"110000000\",\"v\":[\"xyz\",\"abc\"]}}}"},
	{"hex of one digit and of leading zeros",
	 "[{\"h\":\"0\"},{\"h\":\"f\"},{\"h\":\"0\"},{\"h\":\"00\"},{\"z\":\"000000000000001\"},"
	 "{\"z\":\"000000000000000\"}]",
	 NULL, "\"h\":{\"p\":\"111100\",\"t\":\"hhhv\",\"v\":[\"00\"],\"h\":[\"0\",15,-15]}"},
	{"wide nested objects", NULL, make_wide, "\"w\":{\"p\":\"100\",\"v\":[{\"k0\":0,"},
	/* split five levels down (the second row stops at the third, 2 a
	 * value there); below that, the rest whole */
	{"deep nested objects", NULL, make_deep,
	 "\"a\":{\"o\":{\"a\":{\"o\":{\"a\":{\"t\":\"ov\",\"v\":[2],\"o\":{\"a\":{\"o\":{\"a\":"
	 "{\"o\":{\"a\":{\"v\":[{\"a\":{\"a\":{\"a\":{\"a\":{\"a\":1}}}}}]}"},
	{"repeats with varying keys",
	 "[{\"m\":[{\"_id\":\"34e221ed\",\"n\":\"A\"},"
	 "{\"_id\":\"34e221ee\",\"n\":\"B\",\"age\":3}]},"
	 "{\"m\":[{\"_id\":\"00000001\",\"x\":[{\"y\":1}]}]},{\"m\":[]},{},{\"m\":[{}]},"
	 "{\"m\":[{\"n\":\"C\"},{\"_id\":\"zz\"}]},"
	 "{\"m\":[{\"_id\":\"ffffffff\",\"m\":[{\"_id\":1}]}]}]",
	 NULL, "\"m\":{\"p\":\"1110111\",\"t\":\"aavaaa\",\"v\":[[]],\"a\":{\"n\":[2,1,1,2,1],"},
	{"unicode and escapes",
	 "[{\"t\\u00ean\":\"Ph\\u1ea1m V\\u0103n Quang\",\"a\\\"b\":\"c\\\\d\","
	 "\"\\n\\t\":\"\\u0001\\u001f\","
	 "\"emoji \\ud83d\\ude00\":\"\\ud83d\\ude00\",\"\":\"empty key\",\"s\":\"/<>&'\\b\\f\\r\","
	 "\"\\u007f\":\"\\u2028\\u2029\"},"
	 "{\"s\":\"\\\"\",\"\":\"\",\"a\\\"b\":\"\\\\\",\"tên\":\"Đinh Thị Lan\"}]",
	 NULL, "\"a\\\"b\":{\"v\":[\"c\\\\d\",\"\\\\\"]}"},
	{"strings with NUL", NULL, make_nul,
	 "\"x\":{\"p\":\"11000\",\"t\":\"hv\",\"v\":[\"ab\\u0000\"],\"h\":[\"ab\"]}"},
	{"a village's households", NULL, make_village, "{\"n\":300,\"c\":{\"r\":{\"u\":\""},
};

static void test_round_trips(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof TRIPS / sizeof TRIPS[0]; i++) {
		const trip *t = &TRIPS[i];
		json_t *batch = t->json ? tu_json(t->json) : t->make();
		assert_true(json_is_array(batch));
		round_trip(t->name, batch, t->expect);
		json_decref(batch);
	}
}

/* The households of a village, as columns against as an array: the text
 * the compressor sees (reported, not checked: docs/protocol.md). */
static void test_village_sizes(void **state)
{
	json_t *b = make_village();
	char *plain = json_dumps(b, JSON_COMPACT), *cols;
	size_t len;

	(void)state;
	cols = encode(b, &len);
	print_message("300 households: %zu bytes as columns, %zu as an array\n", len,
	              strlen(plain));
	assert_true(len < strlen(plain));
	free(cols);
	free(plain);
	json_decref(b);
}

/* ---- the text itself ---- */

static const struct {
	const char *batch, *text;
} EXACT[] = {
	{"[]", "{'n':0,'c':{}}"},
	{"[{}]", "{'n':1,'c':{}}"},
	/* a: two values, both verbatim ("x" is no hex); r: present in the
	 * first row only, one UUID as 16 bytes in base64url, no padding */
	{"[{'a':1,'r':'0b7c5d0e-6a43-4b51-9a40-4f4b1c1d2a11'},{'a':'x'}]",
	 "{'n':2,'c':{'a':{'v':[1,'x']},'r':{'p':'10','u':'C3xdDmpDS1GaQE9LHB0qEQ'}}}"},
	/* id: hex of 4 digits, the first then differences; m: an array of
	 * objects (lengths, then their items as columns) and an empty array
	 * (verbatim), "t" saying which; g: an object split again, and a
	 * string */
	{"[{'id':'00ff','m':[{'x':1},{'x':2,'y':'z'}],'g':{'k':true}},"
	 "{'id':'0100','m':[],'g':'s'}]",
	 "{'n':2,'c':{'id':{'h':['00ff',1]},"
	 "'m':{'t':'av','v':[[]],'a':{'n':[2],'c':{'x':{'v':[1,2]},"
	 "'y':{'p':'01','v':['z']}}}},"
	 "'g':{'t':'ov','v':['s'],'o':{'k':{'v':[true]}}}}}"},
	/* two UUIDs: 32 bytes, 43 characters */
	{"[{'r':'00000000-0000-0000-0000-000000000001'},"
	 "{'r':'ffffffff-ffff-ffff-ffff-fffffffffffe'}]",
	 "{'n':2,'c':{'r':{'u':'AAAAAAAAAAAAAAAAAAAAAf____________________4'}}}"},
};

static void test_exact_text(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof EXACT / sizeof EXACT[0]; i++) {
		json_t *b = tu_json(dq(EXACT[i].batch));
		char *s = encode(b, &len);
		assert_string_equal(s, dq(EXACT[i].text));
		assert_int_equal(len, strlen(s));
		round_trip(EXACT[i].batch, b, NULL);
		free(s);
		json_decref(b);
	}
}

/* ---- what the decoder takes that the encoder does not write ---- */

static const struct {
	const char *cols, *batch;
} LENIENT[] = {
	/* every mark '1', and a "t" that names one kind */
	{"{'n':2,'c':{'a':{'p':'11','t':'vv','v':[1,2]}}}", "[{'a':1},{'a':2}]"},
	/* a column absent from every row */
	{"{'n':2,'c':{'a':{'p':'00'}}}", "[{},{}]"},
	{"{'n':2,'c':{'h':{'h':['fffffffffffffff',-1152921504606846975]}}}",
	 "[{'h':'fffffffffffffff'},{'h':'000000000000000'}]"},
	/* a column of no rows */
	{"{'n':0,'c':{'a':{'v':[]},'b':{'o':{}}}}", "[]"},
};

static void test_lenient(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof LENIENT / sizeof LENIENT[0]; i++) {
		json_t *v = tu_json(dq(LENIENT[i].cols)), *got, *want;
		char err[256] = "";
		int too_big = -1;

		got = saola__cols_decode(v, "changes", 1000, &too_big, err, sizeof err);
		if (!got)
			fail_msg("%s: %s", LENIENT[i].cols, err);
		assert_int_equal(too_big, 0);
		want = tu_json(dq(LENIENT[i].batch));
		assert_same(got, want, LENIENT[i].cols);
		json_decref(want);
		json_decref(got);
		json_decref(v);
	}
}

/* ---- refusals ---- */

typedef struct refusal {
	const char *input;
	const char *err;      /* a part of the message */
	int too_big;
	size_t max;           /* 0: 1000 */
} refusal;

#define TOP "changes: expected {\"n\": the number of objects, \"c\": their columns}"
#define UUID1 "C3xdDmpDS1GaQE9LHB0qEQ"
#define A_SHAPE "changes.c.m: \"a\": expected {\"n\": [lengths], \"c\": columns}"
#define H_FIRST                                                                         \
	"changes.c.h: \"h\": expected [first value (1-15 lowercase hex digits), differences...]"

static const refusal REFUSALS[] = {
	/* the batch */
	{"[]", TOP, 0, 0},
	{"'x'", TOP, 0, 0},
	{"{'c':{}}", TOP, 0, 0},
	{"{'n':0}", TOP, 0, 0},
	{"{'n':0,'c':{},'x':1}", TOP, 0, 0},
	{"{'n':-1,'c':{}}", TOP, 0, 0},
	{"{'n':1.0,'c':{}}", TOP, 0, 0},
	{"{'n':'1','c':{}}", TOP, 0, 0},
	{"{'n':1001,'c':{}}", "changes.c: 1001 objects, more than allowed (1000)", 1, 0},
	{"{'n':9223372036854775807,'c':{}}", "more than allowed (1000)", 1, 0},
	{"{'n':1,'c':[]}", "changes.c: expected an object of columns", 0, 0},
	{"{'n':1,'c':null}", "changes.c: expected an object of columns", 0, 0},
	/* a column */
	{"{'n':1,'c':{'a':1}}", "changes.c.a: expected a column (an object)", 0, 0},
	{"{'n':1,'c':{'a':[]}}", "changes.c.a: expected a column (an object)", 0, 0},
	{"{'n':1,'c':{'a':{'v':[1],'x':1}}}", "changes.c.a: unknown member \"x\"", 0, 0},
	{"{'n':1,'c':{'a':{'vv':[1]}}}", "changes.c.a: unknown member \"vv\"", 0, 0},
	{"{'n':1,'c':{'a':{'':[1]}}}", "changes.c.a: unknown member \"\"", 0, 0},
	{"{'n':1,'c':{'a':{}}}", "changes.c.a: 1 values present and none given", 0, 0},
	/* "p" */
	{"{'n':2,'c':{'a':{'p':'1','v':[1]}}}",
	 "changes.c.a: \"p\": expected a string of 2 marks ('1' present, '0' absent)", 0, 0},
	{"{'n':2,'c':{'a':{'p':'101','v':[1]}}}", "\"p\": expected a string of 2 marks", 0, 0},
	{"{'n':2,'c':{'a':{'p':10,'v':[1]}}}", "\"p\": expected a string of 2 marks", 0, 0},
	{"{'n':2,'c':{'a':{'p':'1x','v':[1]}}}", "changes.c.a: \"p\": mark 2 is not '0' or '1'",
	 0, 0},
	{"{'n':2,'c':{'a':{'p':'1\\u0000','v':[1]}}}", "\"p\": mark 2 is not '0' or '1'", 0, 0},
	/* "t" */
	{"{'n':2,'c':{'a':{'t':'v','v':[1,2]}}}",
	 "changes.c.a: \"t\": expected a string of 2 kinds", 0, 0},
	{"{'n':2,'c':{'a':{'p':'10','t':'vv','v':[1]}}}", "\"t\": expected a string of 1 kinds",
	 0, 0},
	{"{'n':1,'c':{'a':{'t':['v'],'v':[1]}}}", "\"t\": expected a string of 1 kinds", 0, 0},
	{"{'n':2,'c':{'a':{'t':'vx','v':[1]}}}",
	 "changes.c.a: \"t\": character 2 is not one of \"voauh\"", 0, 0},
	{"{'n':1,'c':{'a':{'t':'p','v':[1]}}}", "\"t\": character 1 is not one of", 0, 0},
	{"{'n':2,'c':{'a':{'v':[1,2],'u':'" UUID1 "'}}}",
	 "changes.c.a: several kinds of values and no \"t\" to say which is which", 0, 0},
	{"{'n':2,'c':{'a':{'t':'vu','v':[1]}}}",
	 "changes.c.a: \"u\": missing (\"t\" names 1 such values)", 0, 0},
	{"{'n':3,'c':{'a':{'t':'voo','v':[1]}}}", "\"o\": missing (\"t\" names 2 such values)",
	 0, 0},
	/* "v" */
	{"{'n':2,'c':{'a':{'v':[1]}}}", "changes.c.a: \"v\": 1 values, expected 2", 0, 0},
	{"{'n':1,'c':{'a':{'v':[1,2]}}}", "\"v\": 2 values, expected 1", 0, 0},
	{"{'n':2,'c':{'a':{'t':'vu','v':[1,2],'u':'" UUID1 "'}}}",
	 "\"v\": 2 values, expected 1", 0, 0},
	{"{'n':1,'c':{'a':{'v':{'0':1}}}}", "changes.c.a: \"v\": expected an array of values",
	 0, 0},
	/* "u" */
	{"{'n':1,'c':{'a':{'u':1}}}", "changes.c.a: \"u\": expected a string (base64url)", 0, 0},
	{"{'n':1,'c':{'a':{'u':'AAAA'}}}",
	 "changes.c.a: \"u\": 4 characters, expected 22 (1 UUIDs)", 0, 0},
	{"{'n':2,'c':{'a':{'u':'" UUID1 "'}}}", "\"u\": 22 characters, expected 43 (2 UUIDs)",
	 0, 0},
	{"{'n':1,'c':{'a':{'u':'C3xdDmpDS1GaQE9LHB0q+Q'}}}",
	 "changes.c.a: \"u\": character 21 is not base64url", 0, 0},
	{"{'n':1,'c':{'a':{'u':'C3xdDmpDS1GaQE9LHB0qE='}}}", "\"u\": character 22 is not base64url",
	 0, 0},
	{"{'n':1,'c':{'a':{'u':'C3xdDmpDS1GaQE9LHB0q\\u0000Q'}}}",
	 "\"u\": character 21 is not base64url", 0, 0},
	{"{'n':1,'c':{'a':{'u':'C3xdDmpDS1GaQE9LHB0qEB'}}}",
	 "changes.c.a: \"u\": the last character has bits past the end set", 0, 0},
	{"{'n':1,'c':{'a':{'u':'AAAAAAAAAAAAAAAAAAAAAI'}}}",
	 "\"u\": the last character has bits past the end set", 0, 0},
	{"{'n':2,'c':{'a':{'u':'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB'}}}",
	 "\"u\": the last character has bits past the end set", 0, 0},
	/* "h" */
	{"{'n':1,'c':{'h':{'h':'0a'}}}", H_FIRST, 0, 0},
	{"{'n':1,'c':{'h':{'h':[]}}}", H_FIRST, 0, 0},
	{"{'n':1,'c':{'h':{'h':[10]}}}", H_FIRST, 0, 0},
	{"{'n':1,'c':{'h':{'h':['']}}}", H_FIRST, 0, 0},
	{"{'n':1,'c':{'h':{'h':['0A']}}}", H_FIRST, 0, 0},
	{"{'n':1,'c':{'h':{'h':['0g']}}}", H_FIRST, 0, 0},
	{"{'n':1,'c':{'h':{'h':['0123456789abcdef']}}}", H_FIRST, 0, 0},
	{"{'n':2,'c':{'h':{'h':['0a']}}}", "changes.c.h: \"h\": 1 values, expected 2", 0, 0},
	{"{'n':1,'c':{'h':{'h':['0a',1]}}}", "changes.c.h: \"h\": 2 values, expected 1", 0, 0},
	{"{'n':2,'c':{'h':{'h':['0a',1.5]}}}",
	 "changes.c.h: \"h\"[1]: expected an integer difference", 0, 0},
	{"{'n':2,'c':{'h':{'h':['0a','1']}}}", "\"h\"[1]: expected an integer difference", 0, 0},
	{"{'n':2,'c':{'h':{'h':['ff',1]}}}", "changes.c.h: \"h\"[1]: the value leaves 2 hex digits",
	 0, 0},
	{"{'n':3,'c':{'h':{'h':['00',1,-2]}}}", "\"h\"[2]: the value leaves 2 hex digits", 0, 0},
	{"{'n':2,'c':{'h':{'h':['f',-9223372036854775808]}}}",
	 "\"h\"[1]: the value leaves 1 hex digits", 0, 0},
	{"{'n':3,'c':{'h':{'h':['f',-15,9223372036854775807]}}}",
	 "\"h\"[2]: the value leaves 1 hex digits", 0, 0},
	{"{'n':2,'c':{'h':{'h':['fffffffffffffff',1]}}}",
	 "\"h\"[1]: the value leaves 15 hex digits",
	 0, 0},
	{"{'n':2,'c':{'h':{'p':'01','h':['0a',1]}}}", "\"h\": 2 values, expected 1", 0, 0},
	/* "a" */
	{"{'n':1,'c':{'m':{'a':[]}}}", A_SHAPE, 0, 0},
	{"{'n':1,'c':{'m':{'a':{'n':[1]}}}}", A_SHAPE, 0, 0},
	{"{'n':1,'c':{'m':{'a':{'c':{}}}}}", A_SHAPE, 0, 0},
	{"{'n':1,'c':{'m':{'a':{'n':1,'c':{}}}}}", A_SHAPE, 0, 0},
	{"{'n':1,'c':{'m':{'a':{'n':[1],'c':{},'x':1}}}}", A_SHAPE, 0, 0},
	{"{'n':2,'c':{'m':{'a':{'n':[1],'c':{}}}}}", "changes.c.m: \"a\": 1 lengths, expected 2",
	 0, 0},
	{"{'n':1,'c':{'m':{'a':{'n':[1,0],'c':{}}}}}", "\"a\": 2 lengths, expected 1", 0, 0},
	{"{'n':1,'c':{'m':{'a':{'n':[-1],'c':{}}}}}",
	 "changes.c.m: \"a\".n[0]: expected a length >= 0", 0, 0},
	{"{'n':2,'c':{'m':{'a':{'n':[1,'1'],'c':{}}}}}", "\"a\".n[1]: expected a length >= 0",
	 0, 0},
	{"{'n':1,'c':{'m':{'a':{'n':[1.0],'c':{}}}}}", "\"a\".n[0]: expected a length >= 0", 0, 0},
	{"{'n':1,'c':{'m':{'a':{'n':[1],'c':[]}}}}",
	 "changes.c.m.a.c: expected an object of columns",
	 0, 0},
	{"{'n':1,'c':{'m':{'a':{'n':[1],'c':{'x':{'v':[]}}}}}}",
	 "changes.c.m.a.c.x: \"v\": 0 values, expected 1", 0, 0},
	{"{'n':1,'c':{'m':{'a':{'n':[2],'c':{'x':{'p':'1','v':[1]}}}}}}",
	 "changes.c.m.a.c.x: \"p\": expected a string of 2 marks", 0, 0},
	/* "o" */
	{"{'n':1,'c':{'g':{'o':[]}}}", "changes.c.g.o: expected an object of columns", 0, 0},
	{"{'n':1,'c':{'g':{'o':{'k':{'v':[]}}}}}", "changes.c.g.o.k: \"v\": 0 values, expected 1",
	 0, 0},
	{"{'n':2,'c':{'g':{'t':'ov','v':[1],'o':{'k':{'h':['0a',1]}}}}}",
	 "changes.c.g.o.k: \"h\": 2 values, expected 1", 0, 0},
	/* one level more than SAOLA__COLS_DEPTH + 1 (the decoder's limit) */
	{"{'n':1,'c':{'k':{'o':{'k':{'o':{'k':{'o':{'k':{'o':{'k':{'o':{'k':{'o':"
	 "{'k':{'o':{}}}}}}}}}}}}}}}}",
	 "changes.c.k.o.k.o.k.o.k.o.k.o.k.o.k.o: columns nested deeper than 6 levels", 0, 0},
	{"{'n':1,'c':{'k':{'a':{'n':[1],'c':{'k':{'o':{'k':{'a':{'n':[1],'c':"
	 "{'k':{'o':{'k':{'a':{'n':[1],'c':{'k':{'o':{'k':{'o':{}}}}}}}}}}}}}}}}}}}",
	 "changes.c.k.a.c.k.o.k.a.c.k.o.k.a.c.k.o.k.o: columns nested deeper than 6 levels", 0, 0},
	/* size: lengths past the budget, alone or summed */
	{"{'n':1,'c':{'m':{'a':{'n':[999999],'c':{}}}}}",
	 "changes.c.m: the batch makes more values than allowed", 1, 0},
	{"{'n':1,'c':{'m':{'a':{'n':[9223372036854775807],'c':{}}}}}",
	 "changes.c.m: the batch makes more values than allowed", 1, 0},
	{"{'n':3,'c':{'m':{'a':{'n':[400,400,400],'c':{}}}}}",
	 "changes.c.m: the batch makes more values than allowed", 1, 0},
	/* 2 rows, 2 arrays and one item: one too many for 4 */
	{"{'n':2,'c':{'m':{'a':{'n':[0,1],'c':{}}}}}",
	 "changes.c.m.a.c: the batch makes more values than allowed", 1, 4},
	/* many empty objects: 600 rows and 600 objects */
	{"{'n':600,'c':{'g':{'o':{}}}}", "changes.c.g.o: the batch makes more values than allowed",
	 1, 0},
	/* 100 rows, each an object in an object in an object...: 700 values */
	{"{'n':100,'c':{'k':{'o':{'k':{'o':{'k':{'o':{'k':{'o':{'k':{'o':"
	 "{'k':{'o':{}}}}}}}}}}}}}}",
	 "changes.c.k.o.k.o.k.o.k.o.k.o.k.o: the batch makes more values than allowed", 1, 650},
	/* UUIDs and hex count too */
	{"{'n':2,'c':{'a':{'u':'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'}}}",
	 "changes.c.a: the batch makes more values than allowed", 1, 3},
	{"{'n':2,'c':{'h':{'h':['0a',1]}}}",
	 "changes.c.h: the batch makes more values than allowed",
	 1, 3},
	{"{'n':2,'c':{'m':{'a':{'n':[0,0],'c':{}}}}}",
	 "changes.c.m: the batch makes more values than allowed", 1, 3},
	/* a refusal deep inside is still no "too big" */
	{"{'n':1,'c':{'m':{'a':{'n':[1],'c':{'g':{'o':{'x':{'u':'AAAA'}}}}}}}}",
	 "changes.c.m.a.c.g.o.x: \"u\": 4 characters, expected 22 (1 UUIDs)", 0, 0},
};

static void test_refusals(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof REFUSALS / sizeof REFUSALS[0]; i++) {
		const refusal *r = &REFUSALS[i];
		const char *input = dq(r->input);
		json_t *v = parse(input, strlen(input)), *got;
		char err[512] = "";
		int too_big = -1;

		got = saola__cols_decode(v, "changes", r->max ? r->max : 1000, &too_big, err,
		                         sizeof err);
		if (got)
			fail_msg("%s: decoded, expected \"%s\"", r->input, r->err);
		if (strncmp(err, "changes", 7) != 0 || !strstr(err, r->err))
			fail_msg("%s:\n err:  %s\n want: %s", r->input, err, r->err);
		if (too_big != r->too_big)
			fail_msg("%s: too_big %d, expected %d (%s)", r->input, too_big, r->too_big,
			         err);
		json_decref(v);
	}
}

/* The budget counts exactly: what a batch makes passes with that many,
 * and is refused as too big with one fewer. */
static void test_budget_exact(void **state)
{
	static const struct {
		const char *cols;
		size_t values;
	} CASES[] = {
		{"{'n':0,'c':{}}", 0},
		{"{'n':3,'c':{}}", 3},
		{"{'n':2,'c':{'a':{'v':[1,2]}}}", 2},
		{"{'n':2,'c':{'g':{'o':{}}}}", 4},
		{"{'n':2,'c':{'m':{'a':{'n':[2,3],'c':{}}}}}", 9},
		{"{'n':1,'c':{'r':{'u':'" UUID1 "'}}}", 2},
		{"{'n':3,'c':{'h':{'h':['0a',1,1]}}}", 6},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		json_t *v = tu_json(dq(CASES[i].cols)), *got;
		char err[256] = "";
		int too_big = -1;

		got = saola__cols_decode(v, "changes", CASES[i].values, &too_big, err, sizeof err);
		if (!got)
			fail_msg("%s with %zu: %s", CASES[i].cols, CASES[i].values, err);
		json_decref(got);
		if (CASES[i].values > 0) {
			got = saola__cols_decode(v, "changes", CASES[i].values - 1, &too_big, err,
			                         sizeof err);
			assert_null(got);
			assert_int_equal(too_big, 1);
		}
		json_decref(v);
	}
}

/* What only text can say (a device reads a page of records from the
 * answer's text, wire_cols_read.c): members out of their order or given
 * twice, a column named twice, text after the batch, refused by the
 * first pass; a verbatim value that is not JSON, only when its object is
 * made (saola__cols_next gives NULL and says where). */
static const struct {
	const char *text, *err;
} TEXT_REFUSALS[] = {
	{"{'n':1,'c':{'a':{'v':[1],'p':'1'}}}", "changes.c.a: \"p\" after \"v\""},
	{"{'n':1,'c':{'a':{'v':[1],'v':[1]}}}", "changes.c.a: \"v\" after \"v\""},
	{"{'c':{},'n':0}", "changes: expected {\"n\""},
	{"{'n':1,'c':{'a':{'v':[1]},'a':{'v':[2]}}}", "changes.c: column \"a\" given twice"},
	{"{'n':0,'c':{}} x", "changes: text after the columns"},
	{"{'n':1,'c':{'a':{'v':[1,]}}}", "changes.c.a: \"v\": bad JSON"},
	{"{'n':1,'c':{'a':{'a':{'n':[1],'c':{},'x':1}}}}", "changes.c.a: \"a\": expected"},
};

static void test_text_refusals(void **state)
{
	size_t i;
	saola__cols_reader *rd;
	json_t *obj;
	char err[256];
	const char *bad;

	(void)state;
	for (i = 0; i < sizeof TEXT_REFUSALS / sizeof TEXT_REFUSALS[0]; i++) {
		const char *t = dq(TEXT_REFUSALS[i].text);
		err[0] = '\0';
		rd = saola__cols_open_text(t, strlen(t), "changes", 1000, NULL, err, sizeof err);
		if (rd || !strstr(err, TEXT_REFUSALS[i].err))
			fail_msg("%s:\n err:  %s\n want: %s", TEXT_REFUSALS[i].text, err,
			         TEXT_REFUSALS[i].err);
	}
	/* The structure is whole, the second value is not JSON: the first
	 * object is made, the second is not. */
	bad = dq("{'n':2,'c':{'a':{'v':[1,tru]}}}");
	rd = saola__cols_open_text(bad, strlen(bad), "records", 1000, NULL, err, sizeof err);
	assert_non_null(rd);
	assert_int_equal(saola__cols_count(rd), 2);
	obj = saola__cols_next(rd);
	assert_non_null(obj);
	assert_int_equal(json_integer_value(json_object_get(obj, "a")), 1);
	json_decref(obj);
	assert_null(saola__cols_next(rd));
	assert_non_null(strstr(saola__cols_error(rd), "c.a: \"v\""));
	assert_null(saola__cols_next(rd));
	saola__cols_close(rd);
}

/* No room for the message, or no too_big to set: still refused, still
 * made, nothing written past the end. */
static void test_small_err(void **state)
{
	json_t *v = tu_json("{\"n\":2,\"c\":{\"a\":{\"v\":[1]}}}"), *got;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof err);
	assert_null(saola__cols_decode(v, "changes", 1000, NULL, err, 4));
	assert_string_equal(err, "cha");
	assert_int_equal(err[4], 'x');
	assert_null(saola__cols_decode(v, "changes", 1000, NULL, NULL, 0));
	json_decref(v);
	v = tu_json("{\"n\":1,\"c\":{\"a\":{\"v\":[1]}}}");
	got = saola__cols_decode(v, "changes", 1000, NULL, NULL, 0);
	assert_non_null(got);
	json_decref(got);
	json_decref(v);
}

/* ---- the encoder's refusals ---- */

static int put_stop(void *ctx, const char *s, size_t n)
{
	int *calls = ctx;

	(void)s;
	(void)n;
	return ++*calls == 2 ? 7 : 0;
}

static void test_misuse(void **state)
{
	static const char *NOT_OBJECTS[] = {"[]", "[{}]", "\"x\"", "1", "null", "true"};
	saola__cols *c = saola__cols_new();
	json_t *v, *wide;
	saola__text t = {NULL, 0, 0};
	size_t i;
	int calls = 0;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < sizeof NOT_OBJECTS / sizeof NOT_OBJECTS[0]; i++) {
		v = json_loads(NOT_OBJECTS[i], JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		assert_int_equal(saola__cols_add(c, v), SAOLA_MISUSE);
		json_decref(v);
	}
	assert_int_equal(saola__cols_add(c, NULL), SAOLA_MISUSE);
	assert_int_equal(saola__cols_rows(c), 0);
	saola__cols_free(c);

	/* SAOLA__COLS_WIDTH * 4 keys at the top: taken; one more: refused */
	wide = wide_object(SAOLA__COLS_WIDTH * 4 + 1);
	c = saola__cols_new();
	assert_int_equal(saola__cols_add(c, wide), SAOLA_MISUSE);
	saola__cols_free(c);
	json_object_del(wide, "k0");
	c = saola__cols_new();
	assert_int_equal(saola__cols_add(c, wide), SAOLA_OK);
	/* the keys of all rows count: one fresh key is one too many */
	v = json_pack("{s:i}", "fresh", 1);
	assert_int_equal(saola__cols_add(c, v), SAOLA_MISUSE);
	json_decref(v);
	saola__cols_free(c);
	v = json_pack("[O]", wide);
	round_trip("the widest top", v, NULL);
	json_decref(v);
	json_decref(wide);

	/* no encoder */
	v = json_object();
	assert_int_equal(saola__cols_add(NULL, v), SAOLA_MISUSE);
	assert_int_equal(saola__cols_write(NULL, saola__text_put, &t), SAOLA_MISUSE);
	assert_int_equal(saola__cols_rows(NULL), 0);
	saola__cols_free(NULL);
	assert_null(t.p);

	/* put's result stops the writing and is the result */
	c = saola__cols_new();
	json_object_set_new(v, "a", json_integer(1));
	assert_int_equal(saola__cols_add(c, v), SAOLA_OK);
	assert_int_equal(saola__cols_write(c, put_stop, &calls), 7);
	assert_int_equal(calls, 2);
	saola__cols_free(c);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_village_sizes),
		cmocka_unit_test(test_exact_text),
		cmocka_unit_test(test_lenient),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_budget_exact),
		cmocka_unit_test(test_small_err),
		cmocka_unit_test(test_text_refusals),
		cmocka_unit_test(test_misuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
