/*
 * fuzz_config.c - the configuration loader: the input is a wismo.ini that
 * config_load reads (inih, then every module's x_config_set setter) exactly
 * as `wismo serve --config FILE` does.  Its messages about bad lines go to
 * stderr, as the command's do.
 */
#include "fuzz.h"

#include "base/walloc.h"
#include "cli/cli.h"

static struct config *cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	walloc_init();
	/* the loader reads these too: keep the run independent of the caller's */
	unsetenv("WISMO_STORE");
	unsetenv("WISMO_LISTEN");
	cfg = config_new();
	if (!cfg)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_opts o = { 0 };

	o.config = fuzz_file(data, size);
	(void)config_load(cfg, &o);
	return 0;
}
