/*
 * hello.c - the lookup ceiling: a minimal libmicrohttpd server answering
 * every request with one fixed small JSON body, started with the same
 * daemon flags and thread pool as wismo's server (src/http/server.c):
 * internal polling thread, epoll, a pool of 2, suspend/resume allowed.
 *
 *   hello PORT       listens on 127.0.0.1:PORT until SIGTERM or SIGINT
 */
#include <microhttpd.h>
#include <stdio.h>

#include "ceiling_daemon.h"

static const char body[] = "{\"order\":\"1001\",\"status\":\"shipped\",\"flags\":[]}";
static struct MHD_Response *resp;

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	static int first;
	(void)cls, (void)url, (void)method, (void)version, (void)upload_data;
	/* the two-call pattern wismo uses, so keep-alive is kept */
	if (!*con_cls) {
		*con_cls = &first;
		return MHD_YES;
	}
	*upload_data_size = 0;
	return MHD_queue_response(conn, MHD_HTTP_OK, resp);
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;

	if (argc != 2)
		return 2;
	resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	d = ceiling_daemon(argv[1], on_access, NULL);
	if (!d) {
		fprintf(stderr, "hello: unable to listen\n");
		return 1;
	}
	ceiling_wait();
	MHD_stop_daemon(d);
	MHD_destroy_response(resp);
	return 0;
}
