// The orders the browser tests look at, loaded through POST /v1/events as the sources would send them.
// Times are relative to now, so "estimated" and "promised" dates stay in the future.

const HOUR = 3600 * 1000;
const at = (h) => new Date(Date.now() + h * HOUR).toISOString().replace(/\.\d+Z$/, 'Z');
const day = (d) => at(24 * d).slice(0, 10);

export const ORDERS = {
  transit: { order: 'BR-1001', email: 'ada@example.com', postal: '94103', first: 'Ada', tracking: '1ZBRW0000000000011' },
  split: { order: 'BR-1002', email: 'grace@example.com', postal: '10001', first: 'Grace',
    tracking: ['1ZBRW0000000000022', '771234500022'] },
  delayed: { order: 'BR-1003', email: 'alan@example.com', postal: 'SW1A 1AA', first: 'Alan', tracking: '1ZBRW0000000000033' },
  action: { order: 'BR-1004', email: 'edsger@example.com', postal: '3011', first: 'Edsger', tracking: '1ZBRW0000000000044' },
  conflict: { order: 'BR-1005', email: 'barbara@example.com', postal: '02139', first: 'Barbara', tracking: '1ZBRW0000000000055' },
  live: { order: 'BR-1006', email: 'donald@example.com', postal: '94305', first: 'Donald', tracking: '1ZBRW0000000000066' },
  returnable: { order: 'BR-1007', email: 'frances@example.com', postal: '60601', first: 'Frances',
    tracking: '1ZBRW0000000000077' },
  missing: { order: 'BR-1008', email: 'margaret@example.com', postal: '02142', first: 'Margaret',
    tracking: '1ZBRW0000000000088' },
  sofa: { order: 'BR-1009', email: 'john@example.com', postal: '98101', first: 'John', tracking: 'FLEET-0009' },
  b2b: { order: 'BR-1010', email: 'purchasing@acme.example', postal: '73301', first: 'Ken', tracking: '1ZBRW0000000000100' },
};

const placed = (o, name, items, extra = {}) => ({
  source: 'shopify', id: `${o.order}-placed`, order: o.order, status: 'placed', occurred_at: at(-72),
  customer: { name, email: o.email, postal_code: o.postal }, items, ...extra,
});

const scan = (o, status, hours, extra = {}) => ({
  source: 'scans', id: `${o.order}-${status}`, order: o.order, status, occurred_at: at(hours), ...extra,
});

const carrier = (o, tracking, status, hours, extra = {}) => ({
  source: 'ups', carrier: 'ups', id: `${tracking}-${status}-${hours}`, order: o.order, package: tracking,
  status, occurred_at: at(hours), ...extra,
});

const city = (c, region, country = 'US') => ({ city: c, region, country });

export function scenarioEvents() {
  const { transit, split, delayed, action, conflict, live, returnable, missing, sofa, b2b } = ORDERS;
  return [
    // an order in transit, estimate before the promise
    placed(transit, 'Ada Lovelace', [{ sku: 'MUG-01', name: 'Stoneware mug', quantity: 2 }],
      { promised_by: day(4) }),
    scan(transit, 'packed', -50),
    carrier(transit, transit.tracking, 'label_created', -49),
    carrier(transit, transit.tracking, 'in_transit', -30,
      { location: city('Louisville', 'KY'), description: 'Departed facility', estimated_delivery: day(2) }),

    // a split shipment: one item in each of two parcels with two carriers
    placed(split, 'Grace Hopper', [
      { sku: 'TEA-01', name: 'Cast iron teapot', quantity: 1 },
      { sku: 'CUP-04', name: 'Porcelain cups', quantity: 4 },
    ], { promised_by: day(5) }),
    carrier(split, split.tracking[0], 'in_transit', -20, {
      items: [{ sku: 'TEA-01', name: 'Cast iron teapot', quantity: 1 }],
      location: city('Newark', 'NJ'), estimated_delivery: day(2),
    }),
    { ...carrier(split, split.tracking[1], 'in_transit', -10, {
      items: [{ sku: 'CUP-04', name: 'Porcelain cups', quantity: 4 }],
      location: city('Memphis', 'TN'), estimated_delivery: day(3),
    }), source: 'fedex', carrier: 'fedex' },

    // delayed: the carrier's estimate is after the promise
    placed(delayed, 'Alan Turing', [{ sku: 'LAMP-2', name: 'Desk lamp', quantity: 1 }],
      { promised_by: day(1) }),
    carrier(delayed, delayed.tracking, 'in_transit', -12,
      { location: city('Chicago', 'IL'), estimated_delivery: day(4), detail: 'weather_delay' }),

    // action needed: the carrier needs a better address
    placed(action, 'Edsger Dijkstra', [{ sku: 'BOOK-9', name: 'Notebook', quantity: 3 }],
      { promised_by: day(3) }),
    carrier(action, action.tracking, 'in_transit', -24, { location: city('Denver', 'CO') }),
    carrier(action, action.tracking, 'exception', -3, {
      detail: 'address_issue', action_required: true, description: 'Address incomplete',
      location: city('Boulder', 'CO'),
    }),

    // a conflict: the store claims delivered while the carrier has it in transit
    placed(conflict, 'Barbara Liskov', [{ sku: 'PEN-3', name: 'Fountain pen', quantity: 1 }],
      { promised_by: day(3) }),
    scan(conflict, 'picked', -40),
    scan(conflict, 'packed', -39),
    carrier(conflict, conflict.tracking, 'in_transit', -20, { location: city('Boston', 'MA') }),
    { source: 'shopify', id: `${conflict.order}-claim-delivered`, order: conflict.order, package: conflict.tracking,
      status: 'delivered', occurred_at: at(-2) },

    // the order the live-update test moves forward
    placed(live, 'Donald Knuth', [{ sku: 'TAPE-1', name: 'Tape measure', quantity: 1 }],
      { promised_by: day(3) }),
    carrier(live, live.tracking, 'in_transit', -8, { location: city('Oakland', 'CA'), estimated_delivery: day(1) }),

    // delivered yesterday: the customer may start a return on the page
    placed(returnable, 'Frances Allen', [
      { sku: 'KNIT-1', name: 'Wool sweater', quantity: 1 },
      { sku: 'SCARF-2', name: 'Silk scarf', quantity: 2 },
    ], { value: 120, currency: 'USD' }),
    carrier(returnable, returnable.tracking, 'in_transit', -40, { location: city('Chicago', 'IL') }),
    carrier(returnable, returnable.tracking, 'delivered', -20, { location: city('Evanston', 'IL') }),

    // delivered with proof, but the customer has nothing: "I haven't received it"
    placed(missing, 'Margaret Hamilton', [{ sku: 'KETTLE-1', name: 'Kettle', quantity: 1 }]),
    carrier(missing, missing.tracking, 'in_transit', -30, { location: city('Boston', 'MA') }),
    carrier(missing, missing.tracking, 'delivered', -5, {
      location: city('Cambridge', 'MA'),
      proof: { left_at: 'Front porch', signed_by: 'R NEIGHBOUR', url: 'https://pod.example/1ZBRW0000000000088',
        lat: 42.3736, lng: -71.1097 },
    }),

    // a sofa by appointment, from the shop's own delivery fleet
    placed(sofa, 'John Backus', [{ sku: 'SOFA-3', name: 'Three-seat sofa', quantity: 1 }]),
    { source: 'fleet', carrier: 'fleet', id: `${sofa.tracking}-transit`, order: sofa.order, package: sofa.tracking,
      status: 'in_transit', occurred_at: at(-20) },
    { source: 'fleet', carrier: 'fleet', id: `${sofa.tracking}-appt`, order: sofa.order, package: sofa.tracking,
      status: 'appointment_scheduled', occurred_at: at(-10), window: { start: at(30), end: at(34) } },

    // a business order through the shop's own milestones
    placed(b2b, 'Ken Thompson', [{ sku: 'RACK-42', name: 'Server rack', quantity: 2 }]),
    // the purchase order is the store's word (its owner), production the ERP's
    { source: 'shopify', id: `${b2b.order}-po`, order: b2b.order, status: 'po_accepted', occurred_at: at(-70) },
    { source: 'erp', id: `${b2b.order}-prod`, order: b2b.order, status: 'production_started', occurred_at: at(-40) },
  ];
}

// The event the live test posts while the page is open.
export function liveEvent() {
  const { live } = ORDERS;
  return carrier(live, live.tracking, 'out_for_delivery', 0, { location: city('Palo Alto', 'CA') });
}
