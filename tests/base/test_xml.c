/*
 * test_xml.c - the small XML reader (base/xml.h): what carrier answers need
 * (attributes, entities, CDATA, namespaces dropped, repeated elements) and
 * what it refuses (DOCTYPE, bad nesting, unbounded depth).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "../../src/base/xml.h"

static struct xml_node *parse(const char *s, const char **err)
{
	*err = NULL;
	return xml_parse(s, strlen(s), err);
}

static void test_elements_attributes_entities(void **state)
{
	const char *err;
	struct xml_node *x = parse("\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- c -->"
				   "<s:Envelope xmlns:s=\"urn:x\"><s:Body a:kind='p&amp;q &#233;' n=\"1\">"
				   "<v>A &lt;b&gt; <![CDATA[<raw>]]></v><e/></s:Body></s:Envelope>",
				   &err);
	const struct xml_node *body;

	(void)state;
	assert_non_null(x);
	assert_string_equal(x->name, "Envelope");
	assert_null(x->attrs); /* xmlns declarations are dropped */
	body = xml_child(x, "Body");
	assert_non_null(body);
	assert_string_equal(xml_attr(body, "kind"), "p&q \xc3\xa9");
	assert_string_equal(xml_attr(body, "n"), "1");
	assert_null(xml_attr(body, "missing"));
	assert_string_equal(xml_path(x, "Body", "v", NULL), "A <b> <raw>");
	assert_string_equal(xml_path(x, "Body", "e", NULL), "");
	assert_string_equal(xml_path(x, "Body", "nothing", NULL), "");
	xml_free(x);
}

static void test_refusals(void **state)
{
	static const char *const bad[] = {
		"<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>", /* no entity expansion, ever */
		"<a><b></a></b>",                            /* mismatched */
		"<a>",                                       /* unterminated */
		"<a x=1/>",                                  /* unquoted attribute */
		"<a x=\"1/>",                                /* unterminated attribute */
		"<a>&nope;</a>",                             /* unknown entity */
		"<a>&#0;</a>",                               /* bad character reference */
		"<a/><b/>",                                  /* two roots */
		"",
	};
	char deep[4096] = "";
	const char *err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct xml_node *x = parse(bad[i], &err);
		if (x)
			fail_msg("'%s' parsed", bad[i]);
		assert_non_null(err);
	}
	for (int i = 0; i <= XML_DEPTH_MAX + 1; i++)
		strcat(deep, "<a>");
	assert_null(parse(deep, &err));
	assert_string_equal(err, "elements nested too deep");
}

static void test_to_json(void **state)
{
	const char *err;
	struct xml_node *x = parse("<data name=\"list\" code=\"0\">"
				   "<data name=\"one\" id=\"1\"/><data name=\"two\" id=\"2\">hi</data>"
				   "<pin>7023</pin><only><x>1</x></only><name>child wins</name></data>",
				   &err);
	cJSON *j;
	char *s;

	(void)state;
	assert_non_null(x);
	j = xml_to_json(x);
	assert_non_null(j);
	s = cJSON_PrintUnformatted(j);
	/* a repeated element is an array, a single one is not; a text-only element is its text; an element
	 * with attributes and text keeps it as "#text"; a child named like an attribute wins */
	assert_string_equal(s, "{\"data\":[{\"name\":\"one\",\"id\":\"1\"},{\"name\":\"two\",\"id\":\"2\",\"#text\":\"hi\"}],"
			       "\"pin\":\"7023\",\"only\":{\"x\":\"1\"},\"name\":\"child wins\",\"code\":\"0\"}");
	free(s);
	cJSON_Delete(j);
	xml_free(x);
	assert_true(xml_looks_like(" \n<a/>", 6));
	assert_true(xml_looks_like("\xEF\xBB\xBF<a/>", 7));
	assert_false(xml_looks_like("{\"a\":1}", 7));
	assert_false(xml_looks_like("   ", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_elements_attributes_entities),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_to_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
