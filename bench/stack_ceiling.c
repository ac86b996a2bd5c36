/*
 * stack_ceiling.c - what the bare stack costs per request on this machine:
 * libmicrohttpd started with wismo's daemon flags and pool (as
 * bench/hello.c), cJSON and SQLite, doing the least of what wismo's server
 * does for the same request.  No authentication, mapping, timeline or
 * projection.  run.sh drives it with the same load generators as wismo.
 *
 *   stack_ceiling ingest PORT PATH
 *       POST /v1/events: reads the body, parses it with cJSON, suspends the
 *       connection and hands it to one writer thread, which inserts each
 *       event as one row of the events table of bench/ceiling_db.h (WAL,
 *       synchronous=FULL, everything queued meanwhile in one transaction:
 *       group commit), then resumes the connections, which answer
 *       {"accepted":N}.  PATH is made fresh.
 *   stack_ceiling lookup PORT PATH
 *       GET /v1/orders/{order}: the order's row of wismo's database PATH
 *       (SELECT json FROM orders, one read transaction per request, a
 *       connection per pool thread with wismo's 16 MiB page cache and no
 *       memory map), sent as it is stored.
 *
 * Both listen on 127.0.0.1:PORT until SIGTERM or SIGINT and answer GET
 * /healthz.
 */
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ceiling_daemon.h"
#include "ceiling_db.h"

#define BODY_MAX (1024 * 1024)
#define READERS_MAX 64

struct req {
	char *body;
	size_t len;
	int state; /* 0 reading, 1 queued, 2 committed */
	int accepted;
	cJSON *doc;
	struct MHD_Connection *conn;
	struct req *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct req *queue;
static int stopping;
static sqlite3 *db;
static sqlite3_stmt *ins, *begin, *commit;
static int not_post; /* the context of a request other than a POST */
static const char *db_path;
/* lookup: one read connection per pool thread */
static struct reader {
	sqlite3 *db;
	sqlite3_stmt *get;
} readers[READERS_MAX];
static int nreaders;
static _Thread_local struct reader *my_reader;

/* conn: the connection that failed, or NULL */
static void die(sqlite3 *conn, const char *what)
{
	fprintf(stderr, "stack_ceiling: %s: %s\n", what, conn ? sqlite3_errmsg(conn) : "failed");
	exit(1);
}

static const char *str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* One row per event, in the caller's transaction; returns the rows added. */
static int insert_events(struct req *r, long long now)
{
	const cJSON *events = cJSON_GetObjectItemCaseSensitive(r->doc, "events"), *e;
	int n = 0;

	cJSON_ArrayForEach(e, events)
	{
		char *json = cJSON_PrintUnformatted(e);
		if (!json)
			die(NULL, "out of memory");
		sqlite3_bind_text(ins, 1, str(e, "id"), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, str(e, "source"), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, str(e, "order"), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, str(e, "package"), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 5, str(e, "status"), -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 6, now);
		sqlite3_bind_text(ins, 7, json, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die(db, "insert");
		n += sqlite3_changes(db);
		sqlite3_reset(ins);
		free(json);
	}
	return n;
}

static void *writer(void *arg)
{
	(void)arg;
	for (;;) {
		struct req *batch, *r, *next;
		struct timespec ts;

		pthread_mutex_lock(&mu);
		while (!queue && !stopping)
			pthread_cond_wait(&cv, &mu);
		batch = queue;
		queue = NULL;
		pthread_mutex_unlock(&mu);
		if (!batch)
			return NULL;
		clock_gettime(CLOCK_REALTIME, &ts);
		if (sqlite3_step(begin) != SQLITE_DONE)
			die(db, "begin");
		sqlite3_reset(begin);
		for (r = batch; r; r = r->next)
			r->accepted = insert_events(r, (long long)ts.tv_sec);
		if (sqlite3_step(commit) != SQLITE_DONE)
			die(db, "commit");
		sqlite3_reset(commit);
		for (r = batch; r; r = next) {
			next = r->next;
			r->state = 2;
			MHD_resume_connection(r->conn);
		}
	}
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static struct reader *reader(void)
{
	struct reader *r;

	if (my_reader)
		return my_reader;
	pthread_mutex_lock(&mu);
	r = nreaders < READERS_MAX ? &readers[nreaders++] : NULL;
	pthread_mutex_unlock(&mu);
	if (!r)
		die(NULL, "more pool threads than readers");
	if (sqlite3_open_v2(db_path, &r->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_exec(r->db, "PRAGMA cache_size=-16384; PRAGMA mmap_size=0;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "SELECT json FROM orders WHERE order_no = ?1", -1, &r->get, NULL) != SQLITE_OK)
		die(r->db, db_path);
	return my_reader = r;
}

static enum MHD_Result lookup(struct MHD_Connection *conn, const char *url)
{
	static const char prefix[] = "/v1/orders/";
	struct reader *r;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!strcmp(url, "/healthz"))
		return answer(conn, MHD_HTTP_OK, "{}");
	if (strncmp(url, prefix, sizeof(prefix) - 1))
		return answer(conn, MHD_HTTP_NOT_FOUND, "{\"error\":\"not_found\"}");
	r = reader();
	sqlite3_bind_text(r->get, 1, url + sizeof(prefix) - 1, -1, SQLITE_STATIC);
	if (sqlite3_step(r->get) != SQLITE_ROW) {
		sqlite3_reset(r->get);
		return answer(conn, MHD_HTTP_NOT_FOUND, "{\"error\":\"not_found\"}");
	}
	resp = MHD_create_response_from_buffer((size_t)sqlite3_column_bytes(r->get, 0),
					       (void *)sqlite3_column_text(r->get, 0), MHD_RESPMEM_MUST_COPY);
	sqlite3_reset(r->get);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_lookup(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				 const char *version, const char *upload_data, size_t *upload_data_size,
				 void **con_cls)
{
	(void)cls, (void)method, (void)version, (void)upload_data;
	/* the two-call pattern wismo uses, so keep-alive is kept */
	if (!*con_cls) {
		*con_cls = &not_post;
		return MHD_YES;
	}
	*upload_data_size = 0;
	return lookup(conn, url);
}

static enum MHD_Result on_ingest(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				 const char *version, const char *upload_data, size_t *upload_data_size,
				 void **con_cls)
{
	struct req *r = *con_cls;
	char text[64];
	(void)cls, (void)version;

	if (strcmp(method, "POST")) {
		if (!*con_cls) {
			*con_cls = &not_post;
			return MHD_YES;
		}
		return answer(conn, strcmp(url, "/healthz") ? MHD_HTTP_NOT_FOUND : MHD_HTTP_OK, "{}");
	}
	if (!r) {
		if (!(r = calloc(1, sizeof(*r))))
			return MHD_NO;
		r->conn = conn;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size) {
		char *p;
		if (r->len + *upload_data_size > BODY_MAX || !(p = realloc(r->body, r->len + *upload_data_size + 1)))
			return MHD_NO;
		memcpy(p + r->len, upload_data, *upload_data_size);
		r->body = p;
		r->len += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->state == 2) {
		snprintf(text, sizeof(text), "{\"accepted\":%d}", r->accepted);
		return answer(conn, MHD_HTTP_OK, text);
	}
	if (!r->body || !(r->doc = cJSON_ParseWithLength(r->body, r->len)) ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(r->doc, "events")))
		return answer(conn, MHD_HTTP_BAD_REQUEST, "{\"error\":\"invalid_json\"}");
	/* suspended before it is queued, so the writer's resume comes after */
	r->state = 1;
	MHD_suspend_connection(conn);
	pthread_mutex_lock(&mu);
	r->next = queue;
	queue = r;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;
	(void)cls, (void)conn, (void)toe;

	if (r && *con_cls != &not_post) {
		cJSON_Delete(r->doc);
		free(r->body);
		free(r);
	}
	*con_cls = NULL;
}

static void open_db(const char *path)
{
	ceiling_remove(path);
	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, ceiling_schema, NULL, NULL, NULL) != SQLITE_OK)
		die(db, path);
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO events(key, source, order_no, package, status, occurred_at,"
			       " received_at, raw_id, body) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6, NULL, ?7)"
			       " ON CONFLICT(key) DO NOTHING",
			       -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK)
		die(db, "prepare");
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	pthread_t wt;
	bool ingest;

	if (argc != 4 || (strcmp(argv[1], "ingest") && strcmp(argv[1], "lookup"))) {
		fprintf(stderr, "usage: stack_ceiling ingest|lookup PORT PATH\n");
		return 2;
	}
	ingest = !strcmp(argv[1], "ingest");
	db_path = argv[3];
	if (ingest) {
		open_db(db_path);
		if (pthread_create(&wt, NULL, writer, NULL))
			die(NULL, "thread");
	} else {
		reader(); /* a database without orders fails here, not at the first lookup */
	}
	d = ceiling_daemon(argv[2], ingest ? on_ingest : on_lookup, on_completed);
	if (!d) {
		fprintf(stderr, "stack_ceiling: unable to listen\n");
		return 1;
	}
	ceiling_wait();
	MHD_quiesce_daemon(d);
	if (ingest) {
		pthread_mutex_lock(&mu);
		stopping = 1;
		pthread_cond_signal(&cv);
		pthread_mutex_unlock(&mu);
		pthread_join(wt, NULL);
	}
	MHD_stop_daemon(d);
	sqlite3_finalize(ins);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_close(db);
	for (int i = 0; i < nreaders; i++) {
		sqlite3_finalize(readers[i].get);
		sqlite3_close(readers[i].db);
	}
	return 0;
}
