/* dashboard.c: the officers' dashboard's handlers of the route table
 * (routes.c): its embedded files, and the reports, lists, households,
 * conflicts and devices of the caller's area (report_http.c,
 * dashboard_api.c). */
#include <string.h>

#include "dashboard.h"

static const saola__asset *asset(const char *url)
{
	size_t i;

	if (strcmp(url, "/") == 0)
		url = "/index.html";
	for (i = 0; i < saola__n_assets; i++)
		if (strcmp(saola__assets[i].path, url) == 0)
			return &saola__assets[i];
	return NULL;
}

int saola__web_asset(const char *url)
{
	return asset(url) != NULL;
}

const char *saola__web_arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

enum MHD_Result saola__serve_file(const saola__call *call)
{
	const saola__asset *a = asset(call->url);

	return a ? saola__reply_body(call->c, 200, a->type, a->data, a->len, NULL) : MHD_NO;
}

enum MHD_Result saola__serve_reports(const saola__call *call)
{
	return saola__web_reports(call->web, call->c, call->url, call->store, call->user);
}

enum MHD_Result saola__serve_households(const saola__call *call)
{
	return saola__web_households(call->web, call->c, call->store, call->user);
}

enum MHD_Result saola__serve_lists(const saola__call *call)
{
	return saola__web_lists(call->web, call->c, call->url, call->store, call->user);
}

enum MHD_Result saola__serve_conflicts(const saola__call *call)
{
	return saola__web_conflicts(call->c, call->store, call->user);
}

enum MHD_Result saola__serve_devices(const saola__call *call)
{
	return saola__web_devices(call->c, call->store, call->user);
}
