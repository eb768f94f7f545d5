/* store_forms.c: the forms, standards and units a store serves to devices,
 * written once over db.h for every backend. */
#include <stdio.h>
#include <stdlib.h>

#include "saola/core.h"
#include "saola_places.h"
#include "store_sql.h"

int saola__forms_current(saola__store *s, json_t **out)
{
	saola__dbstmt *st = NULL;
	json_t *res = json_object();
	int rc, step;

	*out = NULL;
	if (!res)
		return saola__db_fail(s->db, SAOLA_NOMEM, "forms: out of memory");
	if ((rc = saola__db_prepare(s->db, "SELECT id, version FROM forms WHERE current = 1"
	                            " ORDER BY id", &st)) != SAOLA_OK) {
		json_decref(res);
		return rc;
	}
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW)
		if (json_object_set_new(res, saola__db_column_text(st, 0),
		                        json_string(saola__db_column_text(st, 1))) != 0) {
			step = saola__db_fail(s->db, SAOLA_NOMEM, "forms: out of memory");
			break;
		}
	saola__db_finalize(st);
	if (step != SAOLA__DB_DONE) {
		json_decref(res);
		return step;
	}
	*out = res;
	return SAOLA_OK;
}

/* Appends the parsed definitions that sql selects to arr. */
static int definitions(saola__store *s, const char *sql, json_t *arr)
{
	saola__dbstmt *st = NULL;
	json_t *def;
	int rc, step;

	if ((rc = saola__db_prepare(s->db, sql, &st)) != SAOLA_OK)
		return rc;
	while ((step = saola__db_step(st)) == SAOLA__DB_ROW) {
		if (!(def = json_loads(saola__db_column_text(st, 0), 0, NULL))) {
			step = saola__db_fail(s->db, SAOLA_CORRUPT, "forms: a stored definition is"
			                      " not JSON");
			break;
		}
		if (json_array_append_new(arr, def) != 0) {
			step = saola__db_fail(s->db, SAOLA_NOMEM, "forms: out of memory");
			break;
		}
	}
	saola__db_finalize(st);
	return step == SAOLA__DB_DONE ? SAOLA_OK : step;
}

int saola__forms_all(saola__store *s, struct saola *engine, json_t **out)
{
	json_t *forms = json_array(), *standards = json_array(), *units = NULL, *res = NULL;
	int rc;

	*out = NULL;
	if (!forms || !standards) {
		rc = saola__db_fail(s->db, SAOLA_NOMEM, "forms: out of memory");
		goto out;
	}
	rc = definitions(s, "SELECT definition FROM forms WHERE current = 1 ORDER BY id", forms);
	if (rc == SAOLA_OK)
		rc = definitions(s, "SELECT definition FROM standards ORDER BY family, valid_from",
		                 standards);
	if (rc == SAOLA_OK && (rc = saola__places_export(engine, &units)) != SAOLA_OK)
		rc = saola__db_fail(s->db, rc, "units: %s", saola_errmsg(engine));
	if (rc != SAOLA_OK)
		goto out;
	/* Units travel with the forms, so that a device checks places offline. */
	if (!(res = json_pack("{s:O, s:O, s:O}", "forms", forms, "standards", standards,
	                      "units", units)))
		rc = saola__db_fail(s->db, SAOLA_NOMEM, "forms: out of memory");
	*out = res;
out:
	json_decref(forms);
	json_decref(standards);
	json_decref(units);
	return rc;
}

int saola__form_current_def(saola__store *s, const char *id, json_t **out)
{
	saola__dbstmt *st = NULL;
	int rc, step;

	*out = NULL;
	if ((rc = saola__db_prepare(s->db, "SELECT definition FROM forms WHERE id = ? AND"
	                            " current = 1", &st)) != SAOLA_OK)
		return rc;
	if ((rc = saola__db_bind_text(st, 1, id, -1)) != SAOLA_OK) {
		saola__db_finalize(st);
		return rc;
	}
	step = saola__db_step(st);
	if (step == SAOLA__DB_ROW && !(*out = json_loads(saola__db_column_text(st, 0), 0, NULL)))
		step = saola__db_fail(s->db, SAOLA_CORRUPT, "form %s: the stored definition is not"
		                      " JSON", id);
	saola__db_finalize(st);
	return step == SAOLA__DB_ROW || step == SAOLA__DB_DONE ? SAOLA_OK : step;
}
