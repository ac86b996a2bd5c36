/*
 * channel.c - the table of channels and channel_send() (contract in
 * channel.h).  A new channel is a file exporting its struct channel and
 * one line here.
 */
#include "channel.h"

#include <stdio.h>
#include <string.h>

#include "channel_int.h"
#include "../base/banned.h"

static const struct channel *const channels[] = {
	&email_channel,
	&sms_channel,
	&webhook_channel,
	&ticket_channel,
};

const struct channel *channel_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(channels) / sizeof(channels[0]); i++)
		if (!strcmp(channels[i]->name, name))
			return channels[i];
	return NULL;
}

bool channel_configured(const struct notify_config *cfg, const char *name)
{
	const struct channel *ch = channel_find(name);

	return ch && ch->configured(cfg);
}

enum werr channel_send(const struct notify_config *cfg, const struct message *m, struct send_result *res)
{
	const struct channel *ch;

	memset(res, 0, sizeof(*res));
	if (!m->channel) {
		snprintf(res->error, sizeof(res->error), "no channel");
		return WERR_INVALID;
	}
	if (!(ch = channel_find(m->channel))) {
		snprintf(res->error, sizeof(res->error), "unknown channel '%.32s'", m->channel);
		return WERR_UNSUPPORTED;
	}
	return ch->send(cfg, m, res);
}
