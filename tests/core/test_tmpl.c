/*
 * test_tmpl.c - the Mustache-style renderer (core/tmpl.h).
 *
 * Most cases are rows modelled on the Mustache spec (interpolation,
 * sections, inverted, comments, partials): a view as JSON, a template, the
 * partials and the exact expected output.  The rest cover what this module
 * adds or refuses: errors with line numbers, depth limits, tmpl_check, the
 * output limit, and a realistic notification message in both escapings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/tmpl.h"
#include "base/banned.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A row: view JSON, template, partials as name/text pairs, expected output. */
struct row {
	const char *desc;
	const char *data;
	const char *tmpl;
	const char *partials[8];
	const char *want;
};

static const char *load_pairs(void *ctx, const char *name, size_t *len)
{
	const char *const *p = ctx;
	for (; p && p[0]; p += 2)
		if (strcmp(p[0], name) == 0) {
			*len = strlen(p[1]);
			return p[1];
		}
	return NULL;
}

/* Renders and returns the error; *out holds the output. */
static enum werr render_esc(const char *data, const char *tmpl, const char *const *partials,
			    enum tmpl_escape esc, struct buf *out, char *err, size_t errcap)
{
	cJSON *view = cJSON_Parse(data);
	struct tmpl_partials pl = { load_pairs, (void *)partials };
	enum werr e;

	if (!view)
		fail_msg("bad test JSON: %s", data);
	e = tmpl_render(tmpl, strlen(tmpl), view, esc, &pl, out, err, errcap);
	cJSON_Delete(view);
	return e;
}

static void run_rows(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct buf out = BUF_INIT;
		char err[200];
		enum werr e = render_esc(rows[i].data, rows[i].tmpl, rows[i].partials, TMPL_ESC_HTML, &out, err,
					 sizeof(err));
		if (e != WERR_OK)
			fail_msg("%s: error %d: %s", rows[i].desc, (int)e, err);
		if (strcmp(out.p, rows[i].want) != 0 || out.len != strlen(rows[i].want))
			fail_msg("%s: got [%s], want [%s]", rows[i].desc, out.p, rows[i].want);
		buf_release(&out);
	}
}

/* Renders what must fail; checks the error names the line and the problem. */
static void expect_error(const char *data, const char *tmpl, const char *const *partials, const char *want)
{
	struct buf out = BUF_INIT;
	char err[200];
	enum werr e = render_esc(data, tmpl, partials, TMPL_ESC_HTML, &out, err, sizeof(err));

	if (e != WERR_INVALID)
		fail_msg("[%s]: got %d, want WERR_INVALID (output [%s])", tmpl, (int)e, out.p);
	if (strcmp(err, want) != 0)
		fail_msg("[%s]: error [%s], want [%s]", tmpl, err, want);
	buf_release(&out);
}

static const struct row interpolation[] = {
	{ "no interpolation", "{}", "Hello from {Mustache}!\n", { 0 }, "Hello from {Mustache}!\n" },
	{ "basic", "{\"subject\":\"world\"}", "Hello, {{subject}}!\n", { 0 }, "Hello, world!\n" },
	{ "html escaping", "{\"forbidden\":\"& \\\" < > '\"}", "escaped: {{forbidden}}\n", { 0 },
	  "escaped: &amp; &quot; &lt; &gt; &#39;\n" },
	{ "triple mustache", "{\"forbidden\":\"& \\\" < > '\"}", "raw: {{{forbidden}}}\n", { 0 },
	  "raw: & \" < > '\n" },
	{ "ampersand", "{\"forbidden\":\"& \\\" < > '\"}", "raw: {{&forbidden}}\n", { 0 }, "raw: & \" < > '\n" },
	{ "basic integer", "{\"mph\":85}", "\"{{mph}} miles an hour!\"", { 0 }, "\"85 miles an hour!\"" },
	{ "triple integer", "{\"mph\":85}", "\"{{{mph}}} miles an hour!\"", { 0 }, "\"85 miles an hour!\"" },
	{ "basic decimal", "{\"power\":1.210}", "\"{{power}} jiggawatts!\"", { 0 }, "\"1.21 jiggawatts!\"" },
	{ "numbers", "{\"a\":-3,\"b\":1234567890123,\"c\":0,\"d\":-0.0,\"e\":2.5,\"f\":0.1,\"g\":3.0,\"h\":1e-7}",
	  "{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}} {{h}}", { 0 }, "-3 1234567890123 0 0 2.5 0.1 3 1e-07" },
	{ "booleans", "{\"t\":true,\"f\":false}", "{{t}} {{f}} {{{t}}}", { 0 }, "true false true" },
	{ "null", "{\"cannot\":null}", "I ({{cannot}}) be seen!", { 0 }, "I () be seen!" },
	{ "triple null", "{\"cannot\":null}", "I ({{{cannot}}}) be seen!", { 0 }, "I () be seen!" },
	{ "context miss", "{}", "I ({{cannot}}) be seen!", { 0 }, "I () be seen!" },
	{ "objects and arrays print nothing", "{\"o\":{\"a\":1},\"l\":[1,2]}", "[{{o}}][{{l}}][{{{l}}}]", { 0 },
	  "[][][]" },
	{ "dotted names", "{\"person\":{\"name\":\"Joe\"}}",
	  "\"{{person.name}}\" == \"{{#person}}{{name}}{{/person}}\"", { 0 }, "\"Joe\" == \"Joe\"" },
	{ "dotted triple and ampersand", "{\"person\":{\"name\":\"<Joe>\"}}",
	  "{{{person.name}}} {{&person.name}} {{person.name}}", { 0 }, "<Joe> <Joe> &lt;Joe&gt;" },
	{ "dotted arbitrary depth", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"name\":\"Phil\"}}}}}}",
	  "\"{{a.b.c.d.e.name}}\" == \"Phil\"", { 0 }, "\"Phil\" == \"Phil\"" },
	{ "dotted broken chain", "{\"a\":{}}", "\"{{a.b.c}}\" == \"\"", { 0 }, "\"\" == \"\"" },
	{ "dotted broken chain resolution", "{\"a\":{\"b\":{}},\"c\":{\"name\":\"Jim\"}}",
	  "\"{{a.b.c.name}}\" == \"\"", { 0 }, "\"\" == \"\"" },
	{ "dotted initial resolution",
	  "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"name\":\"Phil\"}}}}},\"b\":{\"c\":{\"d\":{\"e\":{\"name\":\"Wrong\"}}}}}",
	  "\"{{#a}}{{b.c.d.e.name}}{{/a}}\" == \"Phil\"", { 0 }, "\"Phil\" == \"Phil\"" },
	{ "dotted context precedence", "{\"a\":{\"b\":{}},\"b\":{\"c\":\"ERROR\"}}", "{{#a}}{{b.c}}{{/a}}", { 0 },
	  "" },
	{ "dotted through a scalar", "{\"a\":\"text\"}", "[{{a.b}}]", { 0 }, "[]" },
	{ "implicit iterator string", "\"Hello, world!\"", "\"{{.}}\"", { 0 }, "\"Hello, world!\"" },
	{ "implicit iterator triple", "\"& \\\" < >\"", "\"{{{.}}}\" \"{{.}}\"", { 0 },
	  "\"& \" < >\" \"&amp; &quot; &lt; &gt;\"" },
	{ "implicit iterator integer", "85", "\"{{.}} miles an hour!\"", { 0 }, "\"85 miles an hour!\"" },
	{ "surrounding whitespace", "{\"string\":\"---\"}", "| {{string}} | {{{string}}} | {{&string}} |", { 0 },
	  "| --- | --- | --- |" },
	{ "standalone interpolation keeps its line", "{\"string\":\"---\"}", "  {{string}}\n  {{{string}}}\n",
	  { 0 }, "  ---\n  ---\n" },
	{ "padding", "{\"string\":\"---\"}", "|{{ string }}|{{{ string }}}|{{& string }}|", { 0 }, "|---|---|---|" },
	{ "multi-byte text passes through", "{\"city\":\"Köln\"}", "→ {{city}} ✓", { 0 }, "→ Köln ✓" },
};

static void test_interpolation(void **state)
{
	(void)state;
	run_rows(interpolation, ARRAY_SIZE(interpolation));
}

static const struct row sections[] = {
	{ "truthy", "{\"boolean\":true}", "\"{{#boolean}}This should be rendered.{{/boolean}}\"", { 0 },
	  "\"This should be rendered.\"" },
	{ "falsey", "{\"boolean\":false}", "\"{{#boolean}}This should not be rendered.{{/boolean}}\"", { 0 },
	  "\"\"" },
	{ "null is falsey", "{\"null\":null}", "\"{{#null}}This should not be rendered.{{/null}}\"", { 0 },
	  "\"\"" },
	{ "empty string is falsey", "{\"s\":\"\"}", "[{{#s}}x{{/s}}]", { 0 }, "[]" },
	{ "non-empty string is pushed", "{\"s\":\"ab\"}", "[{{#s}}<{{.}}>{{/s}}]", { 0 }, "[<ab>]" },
	{ "zero is true", "{\"n\":0}", "[{{#n}}{{.}}{{/n}}]", { 0 }, "[0]" },
	{ "empty object is true", "{\"o\":{}}", "[{{#o}}x{{/o}}]", { 0 }, "[x]" },
	{ "context", "{\"context\":{\"name\":\"Joe\"}}", "\"{{#context}}Hi {{name}}.{{/context}}\"", { 0 },
	  "\"Hi Joe.\"" },
	{ "parent contexts", "{\"a\":\"foo\",\"b\":\"wrong\",\"sec\":{\"b\":\"bar\"},\"c\":{\"d\":\"baz\"}}",
	  "\"{{#sec}}{{a}}, {{b}}, {{c.d}}{{/sec}}\"", { 0 }, "\"foo, bar, baz\"" },
	{ "variable test", "{\"foo\":\"bar\"}", "\"{{#foo}}{{.}} is {{foo}}{{/foo}}\"", { 0 }, "\"bar is bar\"" },
	{ "list context",
	  "{\"tops\":[{\"tname\":{\"upper\":\"A\",\"lower\":\"a\"},\"middles\":[{\"mname\":\"1\","
	  "\"bottoms\":[{\"bname\":\"x\"},{\"bname\":\"y\"}]}]}]}",
	  "{{#tops}}{{#middles}}{{tname.lower}}{{mname}}.{{#bottoms}}{{tname.upper}}{{mname}}{{bname}}.{{/bottoms}}"
	  "{{/middles}}{{/tops}}",
	  { 0 }, "a1.A1x.A1y." },
	{ "deeply nested contexts",
	  "{\"a\":{\"one\":1},\"b\":{\"two\":2},\"c\":{\"three\":3,\"d\":{\"four\":4,\"five\":5}}}",
	  "{{#a}}\n{{one}}\n{{#b}}\n{{one}}{{two}}{{one}}\n{{#c}}\n{{one}}{{two}}{{three}}{{two}}{{one}}\n"
	  "{{#d}}\n{{one}}{{two}}{{three}}{{four}}{{three}}{{two}}{{one}}\n{{#five}}\n"
	  "{{one}}{{two}}{{three}}{{four}}{{five}}{{four}}{{three}}{{two}}{{one}}\n"
	  "{{/five}}\n{{/d}}\n{{/c}}\n{{/b}}\n{{/a}}\n",
	  { 0 }, "1\n121\n12321\n1234321\n123454321\n" },
	{ "list", "{\"list\":[{\"item\":1},{\"item\":2},{\"item\":3}]}", "\"{{#list}}{{item}}{{/list}}\"", { 0 },
	  "\"123\"" },
	{ "empty list", "{\"list\":[]}", "\"{{#list}}Yay lists!{{/list}}\"", { 0 }, "\"\"" },
	{ "doubled", "{\"bool\":true,\"two\":\"second\"}",
	  "{{#bool}}\n* first\n{{/bool}}\n* {{two}}\n{{#bool}}\n* third\n{{/bool}}\n", { 0 },
	  "* first\n* second\n* third\n" },
	{ "nested truthy", "{\"bool\":true}", "| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |", { 0 },
	  "| A B C D E |" },
	{ "nested falsey", "{\"bool\":false}", "| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |", { 0 },
	  "| A  E |" },
	{ "context misses", "{}", "[{{#missing}}Found key 'missing'!{{/missing}}]", { 0 }, "[]" },
	{ "implicit iterator strings", "{\"list\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}",
	  "\"{{#list}}({{.}}){{/list}}\"", { 0 }, "\"(a)(b)(c)(d)(e)\"" },
	{ "implicit iterator integers", "{\"list\":[1,2,3,4,5]}", "\"{{#list}}({{.}}){{/list}}\"", { 0 },
	  "\"(1)(2)(3)(4)(5)\"" },
	{ "implicit iterator decimals", "{\"list\":[1.10,2.20,3.30,4.40,5.50]}", "\"{{#list}}({{.}}){{/list}}\"",
	  { 0 }, "\"(1.1)(2.2)(3.3)(4.4)(5.5)\"" },
	{ "implicit iterator arrays", "{\"list\":[[1,2,3],[\"a\",\"b\",\"c\"]]}",
	  "\"{{#list}}({{#.}}{{.}}{{/.}}){{/list}}\"", { 0 }, "\"(123)(abc)\"" },
	{ "list of mixed values", "{\"list\":[1,null,false,\"x\",{\"y\":2}]}",
	  "{{#list}}[{{.}}{{y}}]{{/list}}", { 0 }, "[1][][false][x][2]" },
	{ "dotted names truthy", "{\"a\":{\"b\":{\"c\":true}}}", "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"Here\"", { 0 },
	  "\"Here\" == \"Here\"" },
	{ "dotted names falsey", "{\"a\":{\"b\":{\"c\":false}}}", "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"\"", { 0 },
	  "\"\" == \"\"" },
	{ "dotted names broken chains", "{\"a\":{}}", "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"\"", { 0 },
	  "\"\" == \"\"" },
	{ "surrounding whitespace", "{\"boolean\":true}", " | {{#boolean}}\t|\t{{/boolean}} | \n", { 0 },
	  " | \t|\t | \n" },
	{ "internal whitespace", "{\"boolean\":true}", " | {{#boolean}} {{! Important Whitespace }}\n {{/boolean}} | \n",
	  { 0 }, " |  \n  | \n" },
	{ "indented inline sections", "{\"boolean\":true}", " {{#boolean}}YES{{/boolean}}\n {{#boolean}}GOOD{{/boolean}}\n",
	  { 0 }, " YES\n GOOD\n" },
	{ "standalone lines", "{\"boolean\":true}", "| This Is\n{{#boolean}}\n|\n{{/boolean}}\n| A Line\n", { 0 },
	  "| This Is\n|\n| A Line\n" },
	{ "indented standalone lines", "{\"boolean\":true}",
	  "| This Is\n  {{#boolean}}\n|\n  {{/boolean}}\n| A Line\n", { 0 }, "| This Is\n|\n| A Line\n" },
	{ "standalone line endings", "{\"boolean\":true}", "|\r\n{{#boolean}}\r\n{{/boolean}}\r\n|", { 0 },
	  "|\r\n|" },
	{ "standalone without previous line", "{\"boolean\":true}", "  {{#boolean}}\n#{{/boolean}}\n/", { 0 },
	  "#\n/" },
	{ "standalone without newline", "{\"boolean\":true}", "#{{#boolean}}\n/\n  {{/boolean}}", { 0 },
	  "#\n/\n" },
	{ "standalone in a loop", "{\"items\":[{\"n\":\"a\"},{\"n\":\"b\"}]}",
	  "<ul>\n  {{#items}}\n  <li>{{n}}</li>\n  {{/items}}\n</ul>\n", { 0 }, "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n" },
	{ "padding", "{\"boolean\":true}", "|{{# boolean }}={{/ boolean }}|", { 0 }, "|=|" },
	{ "same name section and inverted", "{\"a\":[1]}", "{{#a}}yes{{/a}}{{^a}}no{{/a}}", { 0 }, "yes" },
};

static void test_sections(void **state)
{
	(void)state;
	run_rows(sections, ARRAY_SIZE(sections));
}

static const struct row inverted[] = {
	{ "falsey", "{\"boolean\":false}", "\"{{^boolean}}This should be rendered.{{/boolean}}\"", { 0 },
	  "\"This should be rendered.\"" },
	{ "truthy", "{\"boolean\":true}", "\"{{^boolean}}This should not be rendered.{{/boolean}}\"", { 0 },
	  "\"\"" },
	{ "null is falsey", "{\"null\":null}", "\"{{^null}}This should be rendered.{{/null}}\"", { 0 },
	  "\"This should be rendered.\"" },
	{ "empty string", "{\"s\":\"\"}", "[{{^s}}none{{/s}}]", { 0 }, "[none]" },
	{ "context", "{\"context\":{\"name\":\"Joe\"}}", "\"{{^context}}Hi {{name}}.{{/context}}\"", { 0 },
	  "\"\"" },
	{ "list", "{\"list\":[{\"n\":1},{\"n\":2},{\"n\":3}]}", "\"{{^list}}{{n}}{{/list}}\"", { 0 }, "\"\"" },
	{ "empty list", "{\"list\":[]}", "\"{{^list}}Yay lists!{{/list}}\"", { 0 }, "\"Yay lists!\"" },
	{ "doubled", "{\"bool\":false,\"two\":\"second\"}",
	  "{{^bool}}\n* first\n{{/bool}}\n* {{two}}\n{{^bool}}\n* third\n{{/bool}}\n", { 0 },
	  "* first\n* second\n* third\n" },
	{ "nested falsey", "{\"bool\":false}", "| A {{^bool}}B {{^bool}}C{{/bool}} D{{/bool}} E |", { 0 },
	  "| A B C D E |" },
	{ "nested truthy", "{\"bool\":true}", "| A {{^bool}}B {{^bool}}C{{/bool}} D{{/bool}} E |", { 0 },
	  "| A  E |" },
	{ "context misses", "{}", "[{{^missing}}Found key 'missing'!{{/missing}}]", { 0 },
	  "[Found key 'missing'!]" },
	{ "dotted names truthy", "{\"a\":{\"b\":{\"c\":true}}}", "\"{{^a.b.c}}Not Here{{/a.b.c}}\" == \"\"", { 0 },
	  "\"\" == \"\"" },
	{ "dotted names falsey", "{\"a\":{\"b\":{\"c\":false}}}", "\"{{^a.b.c}}Not Here{{/a.b.c}}\" == \"Not Here\"",
	  { 0 }, "\"Not Here\" == \"Not Here\"" },
	{ "dotted names broken chains", "{\"a\":{}}", "\"{{^a.b.c}}Not Here{{/a.b.c}}\" == \"Not Here\"", { 0 },
	  "\"Not Here\" == \"Not Here\"" },
	{ "keeps the context", "{\"x\":\"outer\",\"s\":false}", "{{^s}}{{x}}{{/s}}", { 0 }, "outer" },
	{ "surrounding whitespace", "{\"boolean\":false}", " | {{^boolean}}\t|\t{{/boolean}} | \n", { 0 },
	  " | \t|\t | \n" },
	{ "standalone lines", "{\"boolean\":false}", "| This Is\n{{^boolean}}\n|\n{{/boolean}}\n| A Line\n", { 0 },
	  "| This Is\n|\n| A Line\n" },
	{ "standalone indented lines", "{\"boolean\":false}",
	  "| This Is\n  {{^boolean}}\n|\n  {{/boolean}}\n| A Line\n", { 0 }, "| This Is\n|\n| A Line\n" },
	{ "standalone line endings", "{\"boolean\":false}", "|\r\n{{^boolean}}\r\n{{/boolean}}\r\n|", { 0 },
	  "|\r\n|" },
	{ "standalone without previous line", "{\"boolean\":false}", "  {{^boolean}}\n^{{/boolean}}\n/", { 0 },
	  "^\n/" },
	{ "standalone without newline", "{\"boolean\":false}", "^{{^boolean}}\n/\n  {{/boolean}}", { 0 },
	  "^\n/\n" },
	{ "padding", "{\"boolean\":false}", "|{{^ boolean }}={{/ boolean }}|", { 0 }, "|=|" },
};

static void test_inverted(void **state)
{
	(void)state;
	run_rows(inverted, ARRAY_SIZE(inverted));
}

static const struct row comments[] = {
	{ "inline", "{}", "12345{{! Comment Block! }}67890", { 0 }, "1234567890" },
	{ "multiline", "{}", "12345{{!\n  This is a\n  multi-line comment...\n}}67890\n", { 0 }, "1234567890\n" },
	{ "standalone", "{}", "Begin.\n{{! Comment Block! }}\nEnd.\n", { 0 }, "Begin.\nEnd.\n" },
	{ "indented standalone", "{}", "Begin.\n  {{! Indented Comment Block! }}\nEnd.\n", { 0 }, "Begin.\nEnd.\n" },
	{ "standalone line endings", "{}", "|\r\n{{! Standalone Comment }}\r\n|", { 0 }, "|\r\n|" },
	{ "standalone without previous line", "{}", "  {{! I'm Still Standalone }}\n!", { 0 }, "!" },
	{ "standalone without newline", "{}", "!\n  {{! I'm Still Standalone }}", { 0 }, "!\n" },
	{ "multiline standalone", "{}", "Begin.\n{{!\nSomething's going on here...\n}}\nEnd.\n", { 0 },
	  "Begin.\nEnd.\n" },
	{ "indented multiline standalone", "{}", "Begin.\n  {{!\n    Something's going on here...\n  }}\nEnd.\n",
	  { 0 }, "Begin.\nEnd.\n" },
	{ "indented inline", "{}", "  12 {{! 34 }}\n", { 0 }, "  12 \n" },
	{ "surrounding whitespace", "{}", "12345 {{! Comment Block! }} 67890", { 0 }, "12345  67890" },
	{ "a comment ends at the first }}", "{}", "[{{! {{#b}}]", { 0 }, "[]" },
	{ "empty comment", "{}", "a{{!}}b", { 0 }, "ab" },
};

static void test_comments(void **state)
{
	(void)state;
	run_rows(comments, ARRAY_SIZE(comments));
}

static const struct row partials[] = {
	{ "basic", "{}", "\"{{>text}}\"", { "text", "from partial", 0 }, "\"from partial\"" },
	{ "context", "{\"text\":\"content\"}", "\"{{>partial}}\"", { "partial", "*{{text}}*", 0 }, "\"*content*\"" },
	{ "inside a section takes the section's context", "{\"items\":[{\"n\":\"a\"},{\"n\":\"b\"}],\"sep\":\";\"}",
	  "{{#items}}{{>item}}{{/items}}", { "item", "<{{n}}{{sep}}>", 0 }, "<a;><b;>" },
	{ "recursion", "{\"content\":\"X\",\"nodes\":[{\"content\":\"Y\",\"nodes\":[]}]}", "{{>node}}",
	  { "node", "{{content}}<{{#nodes}}{{>node}}{{/nodes}}>", 0 }, "X<Y<>>" },
	{ "nested", "{\"a\":\"hello\",\"b\":\"world\"}", "{{>outer}}",
	  { "outer", "*{{a}} {{>inner}}*", "inner", "{{b}}!", 0 }, "*hello world!*" },
	{ "surrounding whitespace", "{}", "| {{>partial}} |", { "partial", "\t|\t", 0 }, "| \t|\t |" },
	{ "inline indentation", "{\"data\":\"|\"}", "  {{data}}  {{> partial}}\n", { "partial", ">\n>", 0 },
	  "  |  >\n>\n" },
	{ "standalone line endings", "{}", "|\r\n{{>partial}}\r\n|", { "partial", ">", 0 }, "|\r\n>|" },
	{ "standalone without previous line", "{}", "  {{>partial}}\n>", { "partial", ">\n>", 0 }, "  >\n  >>" },
	{ "standalone without newline", "{}", ">\n  {{>partial}}", { "partial", ">\n>", 0 }, ">\n  >\n  >" },
	{ "standalone indentation", "{\"content\":\"<\\n->\"}", "\\\n {{>partial}}\n/\n",
	  { "partial", "|\n{{{content}}}\n|\n", 0 }, "\\\n |\n <\n->\n |\n/\n" },
	{ "nested standalone indentation", "{}", "[\n  {{>a}}\n]\n", { "a", "a1\n  {{>b}}\na2\n", "b", "b1\nb2\n", 0 },
	  "[\n  a1\n    b1\n    b2\n  a2\n]\n" },
	{ "standalone partial with standalone sections", "{\"on\":true}", "x\n  {{>p}}\ny\n",
	  { "p", "{{#on}}\nin\n{{/on}}\n", 0 }, "x\n  in\ny\n" },
	{ "padding whitespace", "{\"boolean\":true}", "|{{> partial }}|", { "partial", "[]", 0 }, "|[]|" },
	{ "empty partial", "{}", "a{{>e}}b", { "e", "", 0 }, "ab" },
	{ "in a skipped section is not loaded", "{\"no\":false}", "a{{#no}}{{>missing}}{{/no}}b", { 0 }, "ab" },
};

static void test_partials(void **state)
{
	(void)state;
	run_rows(partials, ARRAY_SIZE(partials));
}

static void test_partial_errors(void **state)
{
	const char *bad[] = { "bad", "fine\n{{#x}}\nnever closed", 0 };
	const char *loop[] = { "loop", "x{{>loop}}", 0 };
	const char *deep[] = { "p", "{{#a}}{{#a}}{{#a}}{{>p}}{{/a}}{{/a}}{{/a}}", 0 };
	const char *fifteen[] = { "p", "{{#more}}{{>p}}{{/more}}.", 0 };
	struct buf out = BUF_INIT;
	char err[200];
	(void)state;

	expect_error("{}", "a\nb {{>missing}}", NULL, "line 2: unknown partial 'missing'");
	expect_error("{}", "{{>bad}}", bad, "partial 'bad' line 2: unclosed section 'x'");
	expect_error("{}", "{{>loop}}", loop, "partial 'loop' line 1: partials nested deeper than 16");
	/* 3 sections per level: the section limit (32) trips before the partial limit. */
	expect_error("{\"a\":true}", "{{>p}}", deep, "partial 'p' line 1: sections nested deeper than 32");

	/* 16 levels of partials are allowed (the innermost "more" is false, or the
	 * lookup would find an outer one and recurse on). */
	assert_int_equal(render_esc("{\"more\":[{\"more\":[{\"more\":[{\"more\":[{\"more\":[{\"more\":[{\"more\":"
				    "[{\"more\":[{\"more\":[{\"more\":[{\"more\":[{\"more\":[{\"more\":[{\"more\":"
				    "[{\"more\":[{\"more\":false}]}]}]}]}]}]}]}]}]}]}]}]}]}]}]}",
				    "{{>p}}", fifteen, TMPL_ESC_HTML, &out, err, sizeof(err)),
			 WERR_OK);
	assert_string_equal(out.p, "................");

	/* No loader at all: any partial is unknown. */
	buf_reset(&out);
	assert_int_equal(tmpl_render("{{>p}}", 6, NULL, TMPL_ESC_HTML, NULL, &out, err, sizeof(err)), WERR_INVALID);
	assert_string_equal(err, "line 1: unknown partial 'p'");
	buf_release(&out);
}

static void test_errors(void **state)
{
	char many[400];
	size_t n = 0;
	(void)state;

	expect_error("{}", "Hello {{name", NULL, "line 1: unclosed tag");
	expect_error("{}", "a\n{{{name}}\nb", NULL, "line 2: unclosed tag");
	expect_error("{}", "a\nb\n{{#items}}\nx\n", NULL, "line 3: unclosed section 'items'");
	expect_error("{}", "{{#a}}\n{{^b}}\n{{/b}}\n", NULL, "line 1: unclosed section 'a'");
	expect_error("{}", "{{#a}}\n{{/b}}", NULL, "line 2: close tag {{/b}} does not match {{#a}} opened on line 1");
	expect_error("{}", "\n{{^a}}{{#b}}{{/a}}", NULL,
		     "line 2: close tag {{/a}} does not match {{#b}} opened on line 2");
	expect_error("{}", "x\n{{/a}}", NULL, "line 2: close tag {{/a}} without an open section");
	expect_error("{}", "one\n{{=<% %>=}}\n", NULL, "line 2: set-delimiter tags are not supported");
	expect_error("{}", "{{}}", NULL, "line 1: empty tag");
	expect_error("{}", "{{# }}{{/ }}", NULL, "line 1: empty tag");
	expect_error("{}", "\n\n{{a b}}", NULL, "line 3: bad name in tag '{{a b}}'");
	/* An error inside a section the view skips is still an error. */
	expect_error("{\"off\":false}", "{{#off}}\n{{oops}\n{{/off}}", NULL,
		     "line 2: bad name in tag '{{oops}\n{{/off}}'");
	expect_error("{\"off\":false}", "{{^on}}{{/off}}", NULL,
		     "line 1: close tag {{/off}} does not match {{^on}} opened on line 1");

	/* 32 nested sections are fine, 33 are not. */
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "{{#a}}");
	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "{{/a}}");
	assert_int_equal(tmpl_check(many, n, NULL, 0), WERR_OK);
	{
		struct buf out = BUF_INIT;
		char err[100];
		cJSON *v = cJSON_Parse("{\"a\":true}");
		assert_int_equal(tmpl_render("{{#a}}x{{/a}}", 13, v, TMPL_ESC_HTML, NULL, &out, err, sizeof(err)),
				 WERR_OK);
		buf_reset(&out);
		assert_int_equal(tmpl_render(many, n, v, TMPL_ESC_HTML, NULL, &out, err, sizeof(err)), WERR_OK);
		cJSON_Delete(v);
		buf_release(&out);
	}
	n = 0;
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "{{#a}}");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "{{/a}}");
	{
		char err[100];
		assert_int_equal(tmpl_check(many, n, err, sizeof(err)), WERR_INVALID);
		assert_string_equal(err, "line 1: sections nested deeper than 32");
	}
}

static void test_error_buffers(void **state)
{
	char small[12];
	struct buf out = BUF_INIT;
	(void)state;

	/* err may be NULL, and a short err is cut, still NUL-terminated. */
	assert_int_equal(tmpl_render("{{#a}}", 6, NULL, TMPL_ESC_HTML, NULL, &out, NULL, 0), WERR_INVALID);
	memset(small, 'x', sizeof(small));
	assert_int_equal(tmpl_render("\n\n{{#a}}", 8, NULL, TMPL_ESC_HTML, NULL, &out, small, sizeof(small)),
			 WERR_INVALID);
	assert_string_equal(small, "line 3: unc");
	/* A success leaves err empty. */
	memset(small, 'x', sizeof(small));
	assert_int_equal(tmpl_render("ok", 2, NULL, TMPL_ESC_HTML, NULL, &out, small, sizeof(small)), WERR_OK);
	assert_string_equal(small, "");
	assert_string_equal(out.p, "ok");
	buf_release(&out);
}

static void test_check(void **state)
{
	char err[100];
	const char *ok = "{{#a}}{{b}}{{/a}}{{^c}}{{{d}}}{{/c}}{{! x }}{{>not_needed}}{{&e}}";
	(void)state;

	assert_int_equal(tmpl_check(ok, strlen(ok), err, sizeof(err)), WERR_OK);
	assert_string_equal(err, "");
	assert_int_equal(tmpl_check("", 0, err, sizeof(err)), WERR_OK);
	assert_int_equal(tmpl_check("{{#a}}\n\n{{/b}}", 14, err, sizeof(err)), WERR_INVALID);
	assert_string_equal(err, "line 3: close tag {{/b}} does not match {{#a}} opened on line 1");
	assert_int_equal(tmpl_check("{{=| |=}}", 9, err, sizeof(err)), WERR_INVALID);
	assert_string_equal(err, "line 1: set-delimiter tags are not supported");
	/* len bounds the source: a tag cut by len is unclosed. */
	assert_int_equal(tmpl_check("{{a}}", 4, err, sizeof(err)), WERR_INVALID);
	assert_string_equal(err, "line 1: unclosed tag");
}

static void test_escaping_modes(void **state)
{
	struct buf out = BUF_INIT;
	char err[100];
	(void)state;

	assert_int_equal(tmpl_escape_html(&out, "a&b<c>d\"e'f", 11), WERR_OK);
	assert_string_equal(out.p, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
	buf_reset(&out);
	assert_int_equal(tmpl_escape_html(&out, "plain", 5), WERR_OK);
	assert_string_equal(out.p, "plain");
	buf_reset(&out);
	/* Embedded NUL: len rules, not strlen. */
	assert_int_equal(tmpl_escape_html(&out, "<\0>", 3), WERR_OK);
	assert_int_equal(out.len, 9);
	assert_memory_equal(out.p, "&lt;\0&gt;", 9);
	buf_reset(&out);

	/* TMPL_ESC_NONE: values as they are, in every tag form. */
	assert_int_equal(render_esc("{\"x\":\"<b>&'\\\"\"}", "{{x}} {{{x}}} {{&x}}", NULL, TMPL_ESC_NONE, &out, err,
				    sizeof(err)),
			 WERR_OK);
	assert_string_equal(out.p, "<b>&'\" <b>&'\" <b>&'\"");
	buf_reset(&out);

	/* Output is appended to what the buffer holds. */
	buf_puts(&out, "head:");
	assert_int_equal(render_esc("{\"x\":1}", "{{x}}", NULL, TMPL_ESC_HTML, &out, err, sizeof(err)), WERR_OK);
	assert_string_equal(out.p, "head:1");
	buf_release(&out);
}

static void test_output_limit(void **state)
{
	struct buf out;
	char err[100];
	(void)state;

	buf_init(&out, 16);
	assert_int_equal(render_esc("{\"list\":[1,2,3,4,5,6,7,8,9,10]}", "{{#list}}item {{.}}\n{{/list}}", NULL,
				    TMPL_ESC_HTML, &out, err, sizeof(err)),
			 WERR_TOO_LARGE);
	assert_string_equal(err, "output too large");
	assert_true(out.len <= 16);
	buf_release(&out);
}

/* A shipping notification as a shop would write it, with a footer partial. */
static const char email_tmpl[] =
	"{{! order shipped }}\n"
	"Hi {{customer.name}},\n"
	"\n"
	"Your order #{{order}} is on its way.\n"
	"{{#items}}\n"
	"  - {{quantity}} x {{name}}\n"
	"{{/items}}\n"
	"{{#tracking}}\n"
	"Track it: {{{url}}}\n"
	"{{/tracking}}\n"
	"{{^tracking}}\n"
	"We will send the tracking link soon.\n"
	"{{/tracking}}\n"
	"{{#estimated_delivery}}\n"
	"Expected: {{estimated_delivery}}\n"
	"{{/estimated_delivery}}\n"
	"\n"
	"{{>footer}}\n";
static const char *const email_partials[] = { "footer", "-- \n{{shop.name}}\n{{#shop.phone}}Call {{.}}\n{{/shop.phone}}", 0 };

static void test_email(void **state)
{
	const char *view =
		"{\"customer\":{\"name\":\"Zoë O'Neil\"},\"order\":1001,"
		"\"items\":[{\"quantity\":2,\"name\":\"Mug <large>\"},{\"quantity\":1,\"name\":\"Tea & Co\"}],"
		"\"tracking\":{\"url\":\"https://t.example/?a=1&b=2\"},\"estimated_delivery\":\"2026-03-09\","
		"\"shop\":{\"name\":\"Kettle & Cup\",\"phone\":null}}";
	const char *want_text =
		"Hi Zoë O'Neil,\n"
		"\n"
		"Your order #1001 is on its way.\n"
		"  - 2 x Mug <large>\n"
		"  - 1 x Tea & Co\n"
		"Track it: https://t.example/?a=1&b=2\n"
		"Expected: 2026-03-09\n"
		"\n"
		"-- \n"
		"Kettle & Cup\n";
	const char *want_html_lines =
		"Hi Zoë O&#39;Neil,\n"
		"\n"
		"Your order #1001 is on its way.\n"
		"  - 2 x Mug &lt;large&gt;\n"
		"  - 1 x Tea &amp; Co\n"
		"Track it: https://t.example/?a=1&b=2\n"
		"Expected: 2026-03-09\n"
		"\n"
		"-- \n"
		"Kettle &amp; Cup\n";
	const char *no_tracking = "{\"customer\":{\"name\":\"Al\"},\"order\":\"A-7\",\"items\":[],"
				  "\"shop\":{\"name\":\"S\",\"phone\":\"+1 555\"}}";
	const char *want_no_tracking =
		"Hi Al,\n"
		"\n"
		"Your order #A-7 is on its way.\n"
		"We will send the tracking link soon.\n"
		"\n"
		"-- \n"
		"S\n"
		"Call +1 555\n";
	struct buf out = BUF_INIT;
	char err[200];
	(void)state;

	assert_int_equal(render_esc(view, email_tmpl, email_partials, TMPL_ESC_NONE, &out, err, sizeof(err)), WERR_OK);
	assert_string_equal(out.p, want_text);
	buf_reset(&out);
	assert_int_equal(render_esc(view, email_tmpl, email_partials, TMPL_ESC_HTML, &out, err, sizeof(err)), WERR_OK);
	assert_string_equal(out.p, want_html_lines);
	buf_reset(&out);
	assert_int_equal(render_esc(no_tracking, email_tmpl, email_partials, TMPL_ESC_NONE, &out, err, sizeof(err)),
			 WERR_OK);
	assert_string_equal(out.p, want_no_tracking);
	buf_release(&out);
}

/* Every prefix of a real template either renders or fails cleanly with a
 * message, and tmpl_check agrees with tmpl_render about which. */
static void test_every_prefix(void **state)
{
	cJSON *view = cJSON_Parse("{\"customer\":{\"name\":\"A\"},\"order\":1,\"items\":[{\"quantity\":1,"
				  "\"name\":\"x\"}],\"shop\":{\"name\":\"S\"}}");
	struct tmpl_partials pl = { load_pairs, (void *)email_partials };
	size_t n = strlen(email_tmpl), ok = 0;
	(void)state;

	assert_non_null(view);
	for (size_t len = 0; len <= n; len++) {
		struct buf out = BUF_INIT;
		char err[200], cerr[200];
		enum werr r = tmpl_render(email_tmpl, len, view, TMPL_ESC_HTML, &pl, &out, err, sizeof(err));
		enum werr c = tmpl_check(email_tmpl, len, cerr, sizeof(cerr));

		if (r != c)
			fail_msg("prefix %zu: render %d [%s], check %d [%s]", len, (int)r, err, (int)c, cerr);
		if (r == WERR_OK)
			ok++;
		else if (strncmp(err, "line ", 5) != 0 || strcmp(err, cerr) != 0)
			fail_msg("prefix %zu: message [%s] / [%s]", len, err, cerr);
		buf_release(&out);
	}
	assert_true(ok > 0 && ok < n); /* some prefixes are whole templates, most are not */
	cJSON_Delete(view);
}

/* The view may be NULL: everything is missing. */
static void test_null_view(void **state)
{
	struct buf out = BUF_INIT;
	const char *t = "[{{a}}{{.}}{{#a}}x{{/a}}{{^a}}none{{/a}}]";
	(void)state;

	assert_int_equal(tmpl_render(t, strlen(t), NULL, TMPL_ESC_HTML, NULL, &out, NULL, 0), WERR_OK);
	assert_string_equal(out.p, "[none]");
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interpolation),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_inverted),
		cmocka_unit_test(test_comments),
		cmocka_unit_test(test_partials),
		cmocka_unit_test(test_partial_errors),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_buffers),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_escaping_modes),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_email),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_null_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
