/*
 * order_json.h - the JSON shape of an order as the API shows it.
 *
 * Pure formatting into a buf.  The same text is stored as the order's
 * projection, so GET /v1/orders/{order} is one indexed read, and rebuild
 * compares it byte for byte.  Field order is fixed.  Shape (docs/api.md):
 *
 *   {"order":"1001","status":"shipped","flags":["delayed"],
 *    "customer_view":{"step":3,"step_name":"shipped","label":"Shipped"},
 *    "placed_at":"...","promised_by":"..."|null,"promised_ship_by":..|null,
 *    "shipping_method":"express"|null,"channel":"b2b" (only when given),
 *    "not_received":{"at":..,"note":..|null} (only once reported),"value":{"amount":129.5,"currency":"EUR"}|null,
 *    "ship_to":{"city":..,"region":..,"country":..}|null,"refund":..,"updated_at":"...",
 *    "last_event_at":"...","customer":{"first_name":"Ada"},
 *    "items":[{"sku":"A1","name":"Mug","quantity":2}],
 *    "packages":[{"tracking_number":"1Z...","carrier":"ups",
 *       "status":"in_transit","detail":null,"action_required":false,
 *       "status_at":"...","shipped_at":"...","delivered_at":null,
 *       "estimated_delivery":null,"service":"ground"|null,"label_at":..|null,"location":{"city":..,"region":..,"country":..},
 *       "items":[...],"customer_view":{"step":3,...},"return_id":null|"R1",
 *       and only when a source gave them (docs/appointments.md):
 *       "appointment":{"state":"scheduled","at":..,"window":{"start":..,"end":..}|null,
 *          "reason":..|null,"source":".."},"window":{"start":..,"end":..},"stops_away":3,
 *       "proof":{"signed_by":..|null,"url":..|null,"left_at":..|null,"geo":{"lat":..,"lng":..}|null},
 *       "installed":true}],
 *    "conflicts":[{"package":"1Z..","milestone":"carrier","claim":{"source":"shopify",
 *       "status":"delivered","at":"..."},"resolved":{"source":"ups","status":"in_transit"}}],
 *    "returns":[{"id":"R1","state":"received","reason":..|null,"disposition":..|null,
 *       "resolution":"refunded"|null,"refund":{"amount":25,"currency":"EUR"}|null,
 *       "cancel_ignored":false,"requested_at":..,"received_at":..,"resolved_at":..,
 *       "closed_at":..,"updated_at":..,"parcels":["1Z.."],"items":[...],"claims":0,
 *       "customer_view":{"step":3,"label":"Return received"}}],
 *    "milestones":[{"name":"production_started","at":"...","left_at":..|null,"source":"erp",
 *       "current":true,"due":"..."|null}],   (only when the order reached one)
 *    "events":12}
 *
 * Only the first name of the customer is shown (staff views that need more
 * read the events).
 */
#ifndef WISMO_ORDER_JSON_H
#define WISMO_ORDER_JSON_H

#include "../base/buf.h"
#include "order.h"

enum werr order_to_json(const struct order_state *o, struct buf *out);

#endif
