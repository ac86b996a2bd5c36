/*
 * hello.c - the lookup ceiling: a minimal libmicrohttpd server answering
 * every request with one fixed small JSON body, started with the same
 * daemon flags and thread pool as wismo's server (src/http/server.c):
 * internal polling thread, epoll, a pool of 2, suspend/resume allowed.
 *
 *   hello PORT       listens on 127.0.0.1:PORT until SIGTERM or SIGINT
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char body[] = "{\"order\":\"1001\",\"status\":\"shipped\",\"flags\":[]}";
static struct MHD_Response *resp;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

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
	struct sockaddr_in sin;
	struct MHD_Daemon *d;

	if (argc != 2)
		return 2;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)strtol(argv[1], NULL, 10));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	resp = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
				     MHD_USE_ITC,
			     0, NULL, NULL, on_access, NULL, MHD_OPTION_SOCK_ADDR, &sin,
			     MHD_OPTION_THREAD_POOL_SIZE, 2u, MHD_OPTION_CONNECTION_LIMIT, 1064u,
			     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "hello: unable to listen\n");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	MHD_destroy_response(resp);
	return 0;
}
