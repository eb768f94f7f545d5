/* saola/xlsform.h: forms from Excel. An XLSForm (.xlsx: the survey,
 * choices and settings sheets that ODK, Kobo, SurveyCTO and Ona read) is
 * turned into saola's form definition (docs/forms.md), and a definition
 * into an XLSForm; docs/forms.md, "XLSForm", gives the columns.
 *
 * Conventions: a result code, SAOLA_OK (0) on success; on failure err
 * (errlen bytes, may be NULL) says what and where, naming the cell
 * ("survey!H12: column 5: expected ')'"), and nothing is written. Strings
 * returned through char ** are malloc'd; the caller frees them with
 * saola_free(). Nothing here touches a database: the definition made is
 * loaded (and so compiled and checked) as any form is, by saola_form_load
 * or the server's forms command. */
#ifndef SAOLA_XLSFORM_H
#define SAOLA_XLSFORM_H

#include <stddef.h>

#include "saola/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the XLSForm in file path (or len bytes at data) and makes the form
 * definition: *definition a new JSON text. Without a form_id in settings,
 * a file's form takes its file name as ODK's tools do ("field-list.xlsx":
 * field_list); from memory, form_id is required. SAOLA_INVALID for a file that is
 * not an xlsx, a missing survey sheet, a column, type or feature saola does
 * not support (named, never dropped), or an expression that does not parse;
 * SAOLA_LIMIT past the reader's bounds (docs/forms.md); SAOLA_IO when the
 * file cannot be read; SAOLA_NOMEM. */
SAOLA_API int saola_xlsform_read(const char *path, char **definition, char *err, size_t errlen);
SAOLA_API int saola_xlsform_read_mem(const void *data, size_t len, char **definition,
                                     char *err, size_t errlen);

/* Writes form definition (JSON text, as saola_form_load takes) to path as
 * an XLSForm that saola_xlsform_read turns back into the same definition.
 * SAOLA_INVALID for a definition that is not a form; SAOLA_IO when the
 * file cannot be written. */
SAOLA_API int saola_xlsform_write(const char *definition, const char *path, char *err,
                                  size_t errlen);

#ifdef __cplusplus
}
#endif
#endif /* SAOLA_XLSFORM_H */
