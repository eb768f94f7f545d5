/* epoch.c: a server database's epoch (epoch.h). */
#include <stdlib.h>
#include <string.h>

#include "epoch.h"
#include "saola_util.h"

static int make_epoch(saola__store *s, char out[SAOLA__EPOCH_LEN + 1], saola__err *e)
{
	if (saola__random_hex(out, SAOLA__EPOCH_LEN) != 0)
		return saola__err_set(e, SAOLA_ERROR, "epoch: no random numbers");
	if (s->ops->state_set(s, SAOLA__EPOCH_KEY, out) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "epoch: %s", s->ops->errmsg(s));
	return 0;
}

int saola__epoch_get(saola__store *s, char out[SAOLA__EPOCH_LEN + 1], saola__err *e)
{
	char *v = NULL;

	out[0] = '\0';
	if (s->ops->state_get(s, SAOLA__EPOCH_KEY, &v) != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "epoch: %s", s->ops->errmsg(s));
	if (v && strlen(v) == SAOLA__EPOCH_LEN) {
		memcpy(out, v, SAOLA__EPOCH_LEN + 1);
		free(v);
		return 0;
	}
	free(v);
	return make_epoch(s, out, e);
}

int saola__epoch_restored(saola__store *s, saola__err *e)
{
	char epoch[SAOLA__EPOCH_LEN + 1];

	if (make_epoch(s, epoch, e) != 0)
		return -1;
	if (saola__db_exec(saola__store_db(s),
	                   "UPDATE devices SET lineage = NULL, lineage_batch = NULL") != SAOLA_OK)
		return saola__err_set(e, SAOLA_ERROR, "epoch: devices: %s",
		                      saola__db_errmsg(saola__store_db(s)));
	return 0;
}
