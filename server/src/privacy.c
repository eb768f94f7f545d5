/* privacy.c: who sees personal fields, and which fields are personal (the
 * forms say, through the core's compiled form). */
#include <string.h>

#include "permissions.h"
#include "privacy.h"
#include "saola_form.h"

int saola__role_above_commune(const char *role)
{
	return role && (strcmp(role, "district") == 0 || strcmp(role, "province") == 0 ||
	                strcmp(role, "admin") == 0);
}

int saola__privacy_show(const saola__user *u, const char *asked, int *show, saola__err *e)
{
	int ask;

	*show = 0;
	if (!asked || !*asked || strcmp(asked, "0") == 0)
		ask = 0;
	else if (strcmp(asked, "1") == 0)
		ask = 1;
	else
		return saola__err_set(e, SAOLA_PROTOCOL, "personal \"%.20s\": expected 0 or 1",
		                      asked);
	if (!saola__role_above_commune(u->role)) {
		*show = 1;
		return 0;
	}
	if (ask && !saola__user_may(u, SAOLA__PERM_PERSONAL))
		return saola__err_set(e, SAOLA_AUTH, "personal fields: user %s (%s) does not have"
		                      " the permission \"personal\" (an operator grants it:"
		                      " saola-server user grant --name %s --allow personal)",
		                      u->name, u->role, u->name);
	*show = ask;
	return 0;
}

int saola__privacy_may_pull(const saola__user *u, const char *what, saola__err *e)
{
	if (!saola__role_above_commune(u->role) || saola__user_may(u, SAOLA__PERM_PERSONAL))
		return 0;
	return saola__err_set(e, SAOLA_AUTH, "%s: user %s (%s) may not pull records: a replica"
	                      " holds personal fields (names), which a role above the commune gets"
	                      " only with the permission \"personal\" (an operator grants it:"
	                      " saola-server user grant --name %s --allow personal)", what, u->name,
	                      u->role, u->name);
}

int saola__privacy_path(saola *db, const char *form_id, const char *path)
{
	saola__form *f = NULL;

	if (!db || !form_id || !path || saola__form_lookup(db, form_id, &f) != SAOLA_OK)
		return 1;
	return saola__form_path_personal(f, path);
}
