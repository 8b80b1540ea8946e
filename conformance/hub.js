// Conformance check of the simulator's hub against the official client.
//
//   node conformance/hub.js <base-url> <api-key> [--parse guide|tolerant] [--drops N] [--control]
//
// Connects as the Hercle documentation's JavaScript does (accessTokenFactory,
// withAutomaticReconnect, re-subscription in onreconnected), subscribes in
// both argument forms (BTCUSDT with separate arguments, ETHEUR with one
// array), waits for price updates of both, places an OTC order with
// PlaceOtcOrder on a received price id and waits for
// execution.order.executed; then, N times (default 2), waits for the hub to
// drop the connection (--control: asks the simulator's control endpoint
// POST /sim/control/hub/drop to do it) and checks that prices of both
// pairs resume after the automatic reconnect.
//
// --parse guide (the default) reads every message exactly as the guide's
// handlers do: JSON.parse(message), then JSON.parse(response.data); a
// message that does not parse so is a failure. --parse tolerant accepts
// the envelope and its data as objects too (the documentation's command
// pages). Prints one JSON summary line; exits 0 on success, 1 on failure.
'use strict';

const signalR = require('@microsoft/signalr');

function usage() {
  console.error('usage: node conformance/hub.js <base-url> <api-key> [--parse guide|tolerant] [--drops N] [--control]');
  process.exit(2);
}

const argv = process.argv.slice(2);
const [baseUrl, apiKey] = argv;
if (!baseUrl || !apiKey) usage();
const opts = { parse: 'guide', drops: 2, control: false };
for (let i = 2; i < argv.length; i++) {
  switch (argv[i]) {
    case '--parse': opts.parse = argv[++i]; break;
    case '--drops': opts.drops = Number(argv[++i]); break;
    case '--control': opts.control = true; break;
    default: usage();
  }
}
if (!['guide', 'tolerant'].includes(opts.parse) || !Number.isInteger(opts.drops) || opts.drops < 0) usage();

const summary = {
  parse: opts.parse, prices: {}, executed: null, reconnects: 0, pricesAfterReconnect: [], parseErrors: [], errors: [],
};
const waiters = [];
function check() {
  for (let i = waiters.length - 1; i >= 0; i--) {
    if (waiters[i].cond()) {
      waiters[i].resolve();
      waiters.splice(i, 1);
    }
  }
}
function waitFor(what, cond, ms) {
  return new Promise((resolve, reject) => {
    if (cond()) return resolve();
    const w = { cond, resolve };
    waiters.push(w);
    setTimeout(() => {
      const i = waiters.indexOf(w);
      if (i >= 0) {
        waiters.splice(i, 1);
        reject(new Error('timed out waiting for ' + what));
      }
    }, ms);
  });
}

// decode reads a message as the guide's handlers do, or tolerantly.
function decode(message) {
  if (opts.parse === 'guide') {
    const response = JSON.parse(message);
    const data = JSON.parse(response.data);
    return { response, data };
  }
  const response = typeof message === 'string' ? JSON.parse(message) : message;
  const data = typeof response.data === 'string' ? JSON.parse(response.data) : response.data;
  return { response, data };
}

// guarded runs a handler, recording a message it cannot parse.
function guarded(channel, handler) {
  return (message) => {
    let decoded;
    try {
      decoded = decode(message);
    } catch (err) {
      summary.parseErrors.push(`${channel}: ${err.message} (argument of type ${typeof message})`);
      check();
      return;
    }
    handler(decoded.response, decoded.data);
    check();
  };
}

const connection = new signalR.HubConnectionBuilder()
  .withUrl(`${baseUrl}/ExecutionLiveServer/v1`, { accessTokenFactory: () => apiKey })
  .withAutomaticReconnect()
  .configureLogging(signalR.LogLevel.Warning)
  .build();

const lastPrice = {};
connection.on('subscriptions', guarded('subscriptions', (response, price) => {
  if (response.subject !== 'execution.feeds.priceUpdate') return;
  lastPrice[price.pair] = price;
  const bucket = summary.reconnects === 0 ? summary.prices : summary.pricesAfterReconnect[summary.reconnects - 1];
  bucket[price.pair] = (bucket[price.pair] || 0) + 1;
}));
connection.on('executionEvents', guarded('executionEvents', (response, data) => {
  switch (response.subject) {
    case 'execution.order.executed':
      if (response.clientId === 'order-js-1') summary.executed = data;
      break;
    case 'preChecksError':
      summary.errors.push(data);
      break;
  }
}));

// The guide's re-subscription pattern, in its one-array form.
const activeSubscriptions = new Map();
connection.onreconnected(async () => {
  summary.pricesAfterReconnect.push({});
  summary.reconnects++;
  try {
    for (const [, sub] of activeSubscriptions) {
      await connection.invoke('SubscribePairPriceChannel', [sub.clientId, sub.pair, sub.size]);
    }
  } catch (err) {
    // Dropped again while re-subscribing: the next reconnect does it.
    summary.errors.push('re-subscribe: ' + (err && err.message || err));
  }
  check();
});

function noParseErrors() {
  if (summary.parseErrors.length > 0) throw new Error('a message did not parse: ' + summary.parseErrors[0]);
}

// bothPairs reports prices of both subscriptions in bucket.
const bothPairs = (bucket) => () => summary.parseErrors.length > 0 || (bucket() && bucket().BTCUSDT > 0 && bucket().ETHEUR > 0);

async function drop() {
  const res = await fetch(`${baseUrl}/sim/control/hub/drop`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}` } });
  if (res.status !== 200) throw new Error('POST /sim/control/hub/drop: ' + res.status + ' ' + (await res.text()));
}

async function main() {
  await connection.start();
  // Separate arguments, as /ws/pair-price-stream shows.
  await connection.invoke('SubscribePairPriceChannel', 'sub-js-1', 'BTCUSDT', 0.01);
  activeSubscriptions.set('BTCUSDT', { clientId: 'sub-js-1', pair: 'BTCUSDT', size: 0.01 });
  // One array, as the help-center guide shows.
  await connection.invoke('SubscribePairPriceChannel', ['sub-js-2', 'ETHEUR', 1]);
  activeSubscriptions.set('ETHEUR', { clientId: 'sub-js-2', pair: 'ETHEUR', size: 1 });

  await waitFor('prices for BTCUSDT and ETHEUR', bothPairs(() => summary.prices), 10000);
  noParseErrors();
  await connection.invoke('PlaceOtcOrder', 'order-js-1', lastPrice.BTCUSDT.id, 'buy', 1.0);
  await waitFor('execution.order.executed', () => summary.executed !== null || summary.parseErrors.length > 0, 10000);
  noParseErrors();
  if (summary.executed.status !== 1) throw new Error('order status ' + summary.executed.status + ': ' + summary.executed.statusError);

  for (let n = 1; n <= opts.drops; n++) {
    if (opts.control) await drop();
    await waitFor(`reconnect ${n} and prices of both pairs after it`, bothPairs(() => summary.pricesAfterReconnect[n - 1]), 20000);
    noParseErrors();
  }
}

main()
  .then(async () => {
    await connection.stop();
    console.log(JSON.stringify({ ok: true, ...summary }));
    process.exit(0);
  })
  .catch(async (err) => {
    console.log(JSON.stringify({ ok: false, error: String(err && err.message || err), ...summary }));
    try { await connection.stop(); } catch (_) { /* already closed */ }
    process.exit(1);
  });
