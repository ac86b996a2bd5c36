/*
 * answer.h - the plain-language answer a support agent can paste
 * ("Your order shipped with UPS on Tuesday and is expected on Thursday.").
 *
 * Pure: a function of the folded order and `now` (ms, UTC), no clock, no
 * locale.  Days are UTC calendar days: "today", a weekday ("on Tuesday")
 * within six days either side of now, otherwise a date ("on 3 March", with
 * the year when it is not now's year).  No "tomorrow" or "yesterday": an
 * answer is pasted into a message read later, and a weekday stays true.
 *
 * It never says "shipped" before a carrier has the parcel (ready_to_ship
 * reads "is packed and waiting for the carrier to collect it"), names the
 * carrier, the shipping and estimated dates, says "delayed" with the new
 * date when the estimate is past the promise (or the order is flagged
 * delayed), gives the next step after a failed attempt or an exception,
 * counts parcels of a split shipment ("2 of 3 parcels of your order have
 * been delivered"), and mentions cancellations and refunds.  With the
 * shop's milestones (mc, may be NULL) it names the customer-visible one
 * the order is in ("Latest step: In production, on Tuesday.").
 */
#ifndef WISMO_ANSWER_H
#define WISMO_ANSWER_H

#include <stdint.h>

#include "../base/buf.h"
#include "order.h"

/* Appends the answer (one or more sentences, no newline) to out.
 * WERR_NOMEM / WERR_TOO_LARGE from the buffer. */
enum werr answer_text(const struct order_state *o, const struct ms_config *mc, int64_t now, struct buf *out);

/* "today", "on Tuesday", "on 3 March", "on 3 March 2023" for day t seen
 * from now; written into out. */
void answer_day(int64_t t, int64_t now, char *out, size_t cap);

/* The carrier's name for people: "UPS", "FedEx", "USPS", "DHL", else the
 * code with its first letter capitalised; "the carrier" for "". */
void answer_carrier(const char *code, char *out, size_t cap);

#endif
