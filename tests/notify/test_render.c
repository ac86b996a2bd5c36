/*
 * test_render.c - notify/render.h: finding a template set (override
 * directory first, then the built-in one; the message's locale, then "en"),
 * rendering subject, text and HTML from a stored view, and the errors.
 * The HTML layout: <channel>/<locale>/_layout.html wraps each message's own
 * .html (its {{>content}} partial), found like a set (override directory
 * first, the set's locale then "en"); a whole-document .html is not
 * wrapped.  Also checks that the shipped templates/ render with a real
 * view, each email inside its locale's layout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "notify/render.h"
#include "base/banned.h"

struct fx {
	char root[64];
	char over[96];
	char builtin[96];
};

static void put(const char *dir, const char *rel, const char *text)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->root, sizeof(f->root), "/tmp/wismo-render-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->over, sizeof(f->over), "%s/over", f->root);
	snprintf(f->builtin, sizeof(f->builtin), "%s/builtin", f->root);
	mkdir(f->over, 0700);
	mkdir(f->builtin, 0700);
	put(f->builtin, "email/en/shipped.subject", "Order {{order_number}} shipped\n");
	put(f->builtin, "email/en/shipped.txt", "Hi {{first_name}}: {{note}}\n");
	put(f->builtin, "email/en/shipped.html", "<p>Hi {{first_name}}: {{note}}</p>\n");
	put(f->builtin, "email/de/shipped.txt", "Hallo {{first_name}}\n");
	put(f->builtin, "sms/en/ofd.txt", "{{order_number}} is out for delivery\n");
	put(f->builtin, "email/en/broken.txt", "{{#open}} never closed\n");
	put(f->over, "email/en/shipped.txt", "Custom {{first_name}}\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static const char view[] = "{\"first_name\":\"Ada\",\"order_number\":\"1001\",\"note\":\"<b>&\"}";

static void builtin_en(void **state)
{
	struct fx *f = *state;
	struct rendered r;
	char err[256];

	assert_int_equal(notify_render_in(NULL, f->builtin, "email", "en", "shipped", view, &r, err, sizeof(err)),
			 WERR_OK);
	assert_string_equal(r.subject, "Order 1001 shipped");
	assert_string_equal(r.text, "Hi Ada: <b>&\n");                 /* plain text: not escaped */
	assert_string_equal(r.html, "<p>Hi Ada: &lt;b&gt;&amp;</p>\n"); /* HTML: escaped */
	assert_string_equal(r.locale, "en");
	rendered_release(&r);
}

static void locale_and_override(void **state)
{
	struct fx *f = *state;
	struct rendered r;
	char err[256];

	/* de exists in the built-in set: used whole (no subject there) */
	assert_int_equal(notify_render_in(NULL, f->builtin, "email", "de", "shipped", view, &r, err, sizeof(err)),
			 WERR_OK);
	assert_string_equal(r.text, "Hallo Ada\n");
	assert_null(r.subject);
	assert_string_equal(r.locale, "de");
	rendered_release(&r);
	/* fr does not exist: falls back to en, where the override wins */
	assert_int_equal(notify_render_in(f->over, f->builtin, "email", "fr", "shipped", view, &r, err, sizeof(err)),
			 WERR_OK);
	assert_string_equal(r.text, "Custom Ada\n");
	assert_string_equal(r.locale, "en");
	assert_non_null(strstr(r.dir, "/over/email/en"));
	rendered_release(&r);
	/* SMS: text only, no HTML */
	assert_int_equal(notify_render_in(f->over, f->builtin, "sms", "en", "ofd", view, &r, err, sizeof(err)),
			 WERR_OK);
	assert_string_equal(r.text, "1001 is out for delivery\n");
	assert_null(r.html);
	rendered_release(&r);
}

static void errors(void **state)
{
	struct fx *f = *state;
	struct rendered r;
	char err[256];

	assert_int_equal(notify_render_in(f->over, f->builtin, "email", "en", "missing", view, &r, err, sizeof(err)),
			 WERR_NOT_FOUND);
	assert_non_null(strstr(err, "no template 'missing'"));
	assert_int_equal(notify_render_in(NULL, f->builtin, "email", "en", "broken", view, &r, err, sizeof(err)),
			 WERR_INVALID);
	assert_non_null(strstr(err, "broken.txt"));
	assert_int_equal(notify_render_in(NULL, f->builtin, "email", "en", "../x", view, &r, err, sizeof(err)),
			 WERR_INVALID);
	assert_int_equal(notify_render_in(NULL, f->builtin, "email", "en", "shipped", "[1]", &r, err, sizeof(err)),
			 WERR_INVALID);
	assert_int_equal(notify_render_in(NULL, f->builtin, "webhook", "en", "milestone", view, &r, err,
					  sizeof(err)),
			 WERR_UNSUPPORTED);
}

/* Every shipped email, SMS and ticket template renders with a full view. */
static void shipped_templates(void **state)
{
	static const char *const sets[][2] = {
		{ "email", "order_confirmed" }, { "email", "shipped" },	      { "email", "delayed" },
		{ "email", "delivered" },	{ "email", "delivery_attempted" }, { "email", "return_received" },
		{ "email", "returning_to_sender" }, { "email", "return_approved" },
		{ "email", "refund_issued" },	{ "sms", "out_for_delivery" },     { "sms", "delivery_attempted" },
		{ "ticket", "delivery_attempted" }, { "ticket", "exception" },
	};
	static const char full[] =
		"{\"first_name\":\"Ada\",\"order_number\":\"1001\",\"status\":\"shipped\",\"refund\":\"full\","
		"\"tracking_url\":\"https://shop.example/track/t\",\"has_items\":true,"
		"\"items\":[{\"name\":\"Mug\",\"sku\":\"M\",\"quantity\":2}],"
		"\"dates\":{\"placed\":\"2024-06-01\",\"shipped\":\"2024-06-02\",\"estimated\":\"2024-06-05\","
		"\"promised\":\"2024-06-04\",\"delivered\":null,\"refunded\":null},"
		"\"packages\":[{\"tracking_number\":\"1Z9\",\"carrier\":\"ups\",\"carrier_link\":\"https://u/1Z9\","
		"\"status\":\"in_transit\"}],\"package\":{\"tracking_number\":\"1Z9\",\"carrier\":\"ups\","
		"\"detail\":\"damaged\"},\"return\":{\"id\":\"R1\",\"label\":\"Return received\",\"has_items\":true,"
		"\"items\":[{\"name\":\"Mug\",\"sku\":\"M\",\"quantity\":1}],\"received\":\"2024-06-09\","
		"\"instructions\":\"Use the label in the box.\"},"
		"\"support\":{\"email\":\"help@shop.example\",\"phone\":null}}";
	const char *src = getenv("WISMO_SRCDIR");
	char dir[512], err[256];
	struct rendered r;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/templates", src ? src : ".");
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		for (int de = 0; de < 2; de++) {
			enum werr e = notify_render_in(NULL, dir, sets[i][0], de ? "de" : "en", sets[i][1], full, &r, err,
						       sizeof(err));
			if (e)
				fprintf(stderr, "%s/%s: %s\n", sets[i][0], sets[i][1], err);
			assert_int_equal(e, WERR_OK);
			assert_non_null(strstr(r.text, "1001"));
			if (!strcmp(sets[i][0], "email")) {
				assert_non_null(r.subject);
				assert_non_null(r.html);
				assert_string_equal(r.locale, de ? "de" : "en");
				assert_non_null(strstr(r.text, de ? "Hallo Ada" : "Hello Ada"));
			}
			rendered_release(&r);
		}
	}
}

static void html(struct fx *f, const char *over, const char *locale, const char *name, const char *v, char *out,
		 size_t cap)
{
	struct rendered r;
	char err[256];

	assert_int_equal(notify_render_in(over, f->builtin, "email", locale, name, v, &r, err, sizeof(err)), WERR_OK);
	assert_non_null(r.html);
	snprintf(out, cap, "%s", r.html);
	rendered_release(&r);
}

static void layout_applied(void **state)
{
	struct fx *f = *state;
	struct rendered r;
	char got[512], err[256];

	put(f->builtin, "email/en/_layout.html",
	    "{{! the frame }}\n<main>\n{{>content}}\n<footer>{{order_number}}</footer>\n</main>\n");
	assert_int_equal(notify_render_in(NULL, f->builtin, "email", "en", "shipped", view, &r, err, sizeof(err)),
			 WERR_OK);
	/* the body in place of its standalone partial line, escaped as before */
	assert_string_equal(r.html, "<main>\n<p>Hi Ada: &lt;b&gt;&amp;</p>\n<footer>1001</footer>\n</main>\n");
	/* subject and text have no layout */
	assert_string_equal(r.subject, "Order 1001 shipped");
	assert_string_equal(r.text, "Hi Ada: <b>&\n");
	rendered_release(&r);
	/* a value that looks like a tag stays a value: the body is a partial
	 * of template text, never a rendered string read again */
	html(f, NULL, "en", "shipped", "{\"first_name\":\"{{order_number}}\",\"order_number\":\"1001\"}", got,
	     sizeof(got));
	assert_string_equal(got, "<main>\n<p>Hi {{order_number}}: </p>\n<footer>1001</footer>\n</main>\n");
	/* de has no layout of its own: the en one */
	put(f->builtin, "email/de/shipped.html", "<p>Hallo {{first_name}}</p>\n");
	html(f, NULL, "de", "shipped", view, got, sizeof(got));
	assert_string_equal(got, "<main>\n<p>Hallo Ada</p>\n<footer>1001</footer>\n</main>\n");
	/* ... until it has one */
	put(f->builtin, "email/de/_layout.html", "<de>\n{{>content}}\n</de>\n");
	html(f, NULL, "de", "shipped", view, got, sizeof(got));
	assert_string_equal(got, "<de>\n<p>Hallo Ada</p>\n</de>\n");
	/* a whole document is sent as it is, not nested in the layout */
	put(f->builtin, "email/en/full.txt", "full\n");
	put(f->builtin, "email/en/full.html", "\n<!DOCTYPE html>\n<p>{{first_name}}</p>\n");
	html(f, NULL, "en", "full", view, got, sizeof(got));
	assert_string_equal(got, "\n<!DOCTYPE html>\n<p>Ada</p>\n");
	/* SMS and tickets have no HTML part, layout or not */
	put(f->builtin, "sms/en/_layout.html", "<x>{{>content}}</x>\n");
	assert_int_equal(notify_render_in(NULL, f->builtin, "sms", "en", "ofd", view, &r, err, sizeof(err)), WERR_OK);
	assert_null(r.html);
	assert_string_equal(r.text, "1001 is out for delivery\n");
	rendered_release(&r);
}

static void override_layout_wins(void **state)
{
	struct fx *f = *state;
	char got[512];

	put(f->builtin, "email/en/_layout.html", "<builtin>\n{{>content}}\n</builtin>\n");
	put(f->builtin, "email/en/note.txt", "note\n");
	put(f->builtin, "email/en/note.html", "<p>{{first_name}}</p>\n");
	html(f, f->over, "en", "note", view, got, sizeof(got));
	assert_string_equal(got, "<builtin>\n<p>Ada</p>\n</builtin>\n");
	/* one file in the override directory rebrands every message, the
	 * built-in ones included */
	put(f->over, "email/en/_layout.html", "<over>\n{{>content}}\n</over>\n");
	html(f, f->over, "en", "note", view, got, sizeof(got));
	assert_string_equal(got, "<over>\n<p>Ada</p>\n</over>\n");
	/* and an override set's own body too */
	put(f->over, "email/en/mine.txt", "mine\n");
	put(f->over, "email/en/mine.html", "<p>mine {{order_number}}</p>\n");
	html(f, f->over, "en", "mine", view, got, sizeof(got));
	assert_string_equal(got, "<over>\n<p>mine 1001</p>\n</over>\n");
	/* without the override directory the built-in layout again */
	html(f, NULL, "en", "note", view, got, sizeof(got));
	assert_string_equal(got, "<builtin>\n<p>Ada</p>\n</builtin>\n");
}

static void layout_errors(void **state)
{
	struct fx *f = *state;
	struct rendered r;
	char err[256];

	put(f->builtin, "email/en/_layout.html", "<main>\n{{>content}}\n</main>\n");
	/* a mistake in the message is reported against the message's file */
	put(f->builtin, "email/en/bad.txt", "bad\n");
	put(f->builtin, "email/en/bad.html", "<p>\n{{#open}}\n");
	assert_int_equal(notify_render_in(NULL, f->builtin, "email", "en", "bad", view, &r, err, sizeof(err)),
			 WERR_INVALID);
	assert_non_null(strstr(err, "bad.html"));
	assert_null(strstr(err, "partial"));
	/* one in the layout, against the layout */
	put(f->builtin, "email/en/_layout.html", "<main>\n{{#open}}\n{{>content}}\n</main>\n");
	assert_int_equal(notify_render_in(NULL, f->builtin, "email", "en", "shipped", view, &r, err, sizeof(err)),
			 WERR_INVALID);
	assert_non_null(strstr(err, "_layout.html"));
}

/* The shipped emails: each inside its locale's layout, whole documents. */
static void shipped_layout(void **state)
{
	static const char *const names[] = { "order_confirmed", "shipped", "delayed", "delivered",
					     "delivery_attempted", "return_received", "returning_to_sender",
					     "return_approved", "refund_issued" };
	const char *src = getenv("WISMO_SRCDIR");
	char dir[512], err[256];
	struct rendered r;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/templates", src ? src : ".");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (int de = 0; de < 2; de++) {
			const char *head = de ? "<!doctype html>\n<html lang=\"de\">\n<body"
					      : "<!doctype html>\n<html lang=\"en\">\n<body";
			assert_int_equal(notify_render_in(NULL, dir, "email", de ? "de" : "en", names[i],
							  "{\"order_number\":\"1001\"}", &r, err, sizeof(err)),
					 WERR_OK);
			assert_true(!strncmp(r.html, head, strlen(head)));
			assert_non_null(strstr(r.html, "<h1 "));
			assert_non_null(strstr(r.html, "1001"));
			assert_true(strlen(r.html) > 16);
			assert_string_equal(r.html + strlen(r.html) - 16, "</body>\n</html>\n");
			rendered_release(&r);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(builtin_en, setup, teardown),
		cmocka_unit_test_setup_teardown(locale_and_override, setup, teardown),
		cmocka_unit_test_setup_teardown(errors, setup, teardown),
		cmocka_unit_test(shipped_templates),
		cmocka_unit_test_setup_teardown(layout_applied, setup, teardown),
		cmocka_unit_test_setup_teardown(override_layout_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(layout_errors, setup, teardown),
		cmocka_unit_test(shipped_layout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
