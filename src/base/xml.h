/*
 * xml.h - a small, safe XML reader for carrier answers (DHL XML-PI, Canada
 * Post, Purolator's SOAP, DHL Parcel DE), and its view as JSON.
 *
 * Reads the subset carrier APIs use: elements, attributes, text, the five
 * predefined entities and character references, CDATA, comments and
 * processing instructions.  A DOCTYPE is refused (no entity expansion, ever).
 * Element and attribute names keep their local part only
 * ("req:TrackingResponse" -> "TrackingResponse"); namespace declarations
 * (xmlns, xmlns:x) are dropped.  Depth (XML_DEPTH_MAX) and node count
 * (XML_NODES_MAX) are bounded, so a hostile body costs bounded memory.
 *
 * Pure; thread-safe (no globals).  A tree is freed with xml_free().
 */
#ifndef WISMO_XML_H
#define WISMO_XML_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define XML_DEPTH_MAX 32
#define XML_NODES_MAX 20000

struct xml_attr {
	char *name;  /* local part */
	char *value; /* entities decoded */
	struct xml_attr *next;
};

struct xml_node {
	char *name;            /* local part */
	char *text;            /* character data directly inside, decoded; NULL when none */
	size_t textlen;
	struct xml_attr *attrs;
	struct xml_node *child, *last, *next;
};

/* Whether the body's first non-blank byte (after a UTF-8 BOM) is '<'. */
bool xml_looks_like(const char *body, size_t len);

/* Parses one document; NULL with *err set (a static string) when it is not
 * well formed or exceeds the bounds. */
struct xml_node *xml_parse(const char *body, size_t len, const char **err);
void xml_free(struct xml_node *n);

/* The first child named name, or NULL. */
const struct xml_node *xml_child(const struct xml_node *n, const char *name);
/* Text of a path of children ("ServiceEvent", "EventCode", NULL), or "". */
const char *xml_path(const struct xml_node *n, ...);
/* The value of attribute name, or NULL. */
const char *xml_attr(const struct xml_node *n, const char *name);

/*
 * The element as JSON, so that one path reader serves both formats: an
 * element with neither attributes nor child elements is its text (a string,
 * "" when empty); any other is an object whose members are its attributes
 * (strings), its child elements by name (a name that repeats becomes an
 * array, in document order) and, when it has non-blank text besides, "#text".
 * An attribute and a child of the same name: the child wins.  NULL on
 * allocation failure.
 */
cJSON *xml_to_json(const struct xml_node *n);

#endif
