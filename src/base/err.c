/* err.c - names for enum werr. */
#include "err.h"

const char *werr_name(enum werr err)
{
	switch (err) {
	case WERR_OK: return "ok";
	case WERR_NOMEM: return "out_of_memory";
	case WERR_INVALID: return "invalid";
	case WERR_NOT_FOUND: return "not_found";
	case WERR_EXISTS: return "exists";
	case WERR_IO: return "io_error";
	case WERR_DB: return "storage_error";
	case WERR_BUSY: return "busy";
	case WERR_TOO_LARGE: return "too_large";
	case WERR_UNAUTHORIZED: return "unauthorized";
	case WERR_FORBIDDEN: return "forbidden";
	case WERR_INTERNAL: return "internal";
	case WERR_UNSUPPORTED: return "unsupported";
	case WERR_SHUTDOWN: return "shutting_down";
	case WERR_STORAGE_FULL: return "storage_full";
	case WERR_STORAGE_DOWN: return "storage_unavailable";
	}
	return "unknown_error";
}

enum werr werr_write_result(enum werr err)
{
	switch (err) {
	case WERR_OK:
	case WERR_BUSY:
	case WERR_SHUTDOWN:
	case WERR_STORAGE_FULL:
	case WERR_STORAGE_DOWN:
		return err;
	default:
		return WERR_DB;
	}
}
