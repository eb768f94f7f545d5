/* store_sqlite_records.c: the SQLite store's records: merges and pulls are
 * every store's (store_records.c, store_pull.c); a pull reads wire records
 * through the store's forms engine. */
#include "store_sqlite.h"
#include "store_sql.h"

int saola__sq_pull(saola__store *base, const char *area, const char *device,
                   int64_t cursor, int limit, size_t max_bytes, json_t *records,
                   int64_t *next, int *more)
{
	return saola__records_pull(base, saola__store_forms_engine(base), area, device, cursor,
	                           limit, max_bytes, records, next, more);
}
