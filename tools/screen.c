/* screen.c: the smallest screen over the interview API (saola/form.h), as
 * docs/forms.md shows it: every question in order, answers read a line at
 * a time, refusals and warnings said in the interview's language, a repeat
 * item added on "y", a draft saved after each answer, the record saved at
 * the end. Usage: saola-screen DB FORM [LANG] < answers */
#include <stdio.h>
#include <string.h>

#include <saola/core.h>
#include <saola/form.h>

/* One line of stdin, without its newline; NULL at the end. */
static const char *read_line(char *buf, size_t len)
{
	if (!fgets(buf, (int)len, stdin))
		return NULL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf;
}

/* Asks step s until it is answered; 0 done, -1 input ended. */
static int ask(saola_interview *iv, saola_step s)
{
	saola_field f;
	const char *text, *warn;
	char line[512];

	saola_interview_field(iv, s.field, &f);
	for (;;) {
		if (s.kind == SAOLA_STEP_ITEM)
			printf("%s: add one? (y/n)\n", f.label);
		else if (f.kind == SAOLA_FIELD_CONFIRM)
			printf("%s (y/n)\n", f.label);
		else
			printf("%s\n", f.label);
		if (!(text = read_line(line, sizeof line)))
			return -1;
		if (s.kind == SAOLA_STEP_ITEM)
			return saola_yes_no(text) == 1 ? saola_interview_add_item(iv, s.field, NULL) : 0;
		if (saola_interview_set_text(iv, s.field, s.item, text) != SAOLA_OK) {
			printf("  ! %s\n", saola_interview_errmsg(iv));
			continue;
		}
		if (saola_interview_warning(iv, s.field, s.item, &warn))
			printf("  ? %s\n", warn);
		return 0;
	}
}

int main(int argc, char **argv)
{
	saola *db = NULL;
	saola_interview *iv = NULL;
	saola_step s;
	char id[37];
	int rc = 1;

	if (argc < 3) {
		fprintf(stderr, "usage: saola-screen DB FORM [LANG] < answers\n");
		return 2;
	}
	if (saola_open(argv[1], 0, &db) != SAOLA_OK ||
	    saola_interview_open(db, argv[2], argc > 3 ? argv[3] : NULL, &iv) != SAOLA_OK) {
		fprintf(stderr, "saola-screen: %s\n", saola_errmsg(db));
		goto out;
	}
	for (saola_interview_first(iv, &s); s.kind != SAOLA_STEP_END;
	     saola_interview_next(iv, &s, &s)) {
		if (s.kind == SAOLA_STEP_NOTE)
			continue;
		if (ask(iv, s) != 0)
			goto out; /* the draft saved so far stays */
		saola_interview_save_draft(iv, s.field, s.item);
	}
	if (saola_interview_save(iv, id) != SAOLA_OK) {
		fprintf(stderr, "saola-screen: %s\n", saola_interview_errmsg(iv));
		goto out;
	}
	printf("saved %s\n", id);
	rc = 0;
out:
	saola_interview_close(iv);
	saola_close(db);
	return rc;
}
