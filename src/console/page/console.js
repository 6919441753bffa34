// The console's page script, for the sandbox page and for one
// node's own page (`<body data-mode="node">`). No build step: plain DOM and
// hand-drawn SVG charts. Everything from the server is inserted as text
// nodes, never as HTML.

const $ = (id) => document.getElementById(id);
// A node's console reads its data behind the admin credential; the sandbox's needs none.
const NODE_MODE = document.body.dataset.mode === 'node';
const CONSOLE_API = NODE_MODE ? '/console/api' : '/api/console';
const TOKEN_KEY = 'idbridge-console-token';

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children.flat())
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '—');
const badge = (state) => el('span', { class: `state state-${state}`, 'data-state': state }, state);
const took = (ms) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
const shortCode = (code) => (code ? `${code.slice(0, 10)}…` : '—');

function table(target, headers, rows) {
  const t = $(target);
  if (!t) return; // a table this page does not have (the node page has no network tab)
  t.replaceChildren(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', {}, h)),
      ),
    ),
    el(
      'tbody',
      {},
      rows.length
        ? rows
        : el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, 'nothing yet')),
    ),
  );
}

function log(text, isError = false) {
  const item = el(
    'li',
    { class: isError ? 'error' : '' },
    `${new Date().toLocaleTimeString()} ${text}`,
  );
  $('activity')?.prepend(item);
}

class Unauthenticated extends Error {}

async function api(method, path, body) {
  const headers = body === undefined ? {} : { 'content-type': 'application/json' };
  const token = NODE_MODE ? sessionStorage.getItem(TOKEN_KEY) : null;
  if (NODE_MODE && !token) throw new Unauthenticated('admin credential needed');
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (response.status === 401 && NODE_MODE) throw new Unauthenticated(data?.message ?? '401');
  if (!response.ok) throw new Error(data?.message ?? `${response.status}`);
  return data;
}

/** Node page: ask for the credential; the dashboards stay hidden until it works. */
function showLogin(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  $('login-form').hidden = false;
  $('login-error').textContent = message ?? '';
  for (const section of document.querySelectorAll('.tab')) section.hidden = true;
}

// ---- charts ------------------------------------------------------------

/** Bars per bucket; `line` marks the deadline bucket boundary (index) in red. */
function histogram({ title, labels, values, lineAt, lineLabel, width = 420, height = 150 }) {
  const max = Math.max(1, ...values);
  const pad = { l: 28, r: 8, t: 30, b: 30 };
  const bw = (width - pad.l - pad.r) / values.length;
  const h = height - pad.t - pad.b;
  const bars = values.map((v, i) => {
    const bh = (v / max) * h;
    const x = pad.l + i * bw;
    const over = lineAt !== undefined && i >= lineAt;
    return [
      svg('rect', {
        x: x + 3,
        y: pad.t + h - bh,
        width: bw - 6,
        height: bh,
        fill: over ? '#c53030' : '#2b5fd9',
      }),
      svg('text', { x: x + bw / 2, y: height - 16, 'text-anchor': 'middle' }, labels[i]),
      v ? svg('text', { x: x + bw / 2, y: pad.t + h - bh - 3, 'text-anchor': 'middle' }, v) : null,
    ].filter(Boolean);
  });
  const parts = [svg('text', { x: pad.l, y: 12 }, title), ...bars.flat()];
  if (lineAt !== undefined) {
    const x = pad.l + lineAt * bw;
    parts.push(
      svg('line', {
        x1: x,
        x2: x,
        y1: pad.t - 4,
        y2: pad.t + h,
        stroke: '#c53030',
        'stroke-dasharray': '4 3',
      }),
    );
    parts.push(
      svg(
        'text',
        { x: x - 4, y: height - 3, 'text-anchor': 'end', style: 'fill:#c53030' },
        lineLabel,
      ),
    );
  }
  parts.push(
    svg('line', { x1: pad.l, x2: width - pad.r, y1: pad.t + h, y2: pad.t + h, stroke: '#d9dde6' }),
  );
  return svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' }, parts);
}

/** Stacked columns per minute over the last hour: confirmed (blue) and not confirmed (light). */
function timeline({ title, buckets, now, width = 420, height = 150 }) {
  const pad = { l: 28, r: 8, t: 24, b: 20 };
  const end = Math.floor(new Date(now).getTime() / 60000) * 60000;
  const minutes = Array.from({ length: 60 }, (_, i) => end - (59 - i) * 60000);
  const byAt = new Map(buckets.map((b) => [b.at, b]));
  const max = Math.max(1, ...buckets.map((b) => b.confirmed + b.notConfirmed));
  const bw = (width - pad.l - pad.r) / minutes.length;
  const h = height - pad.t - pad.b;
  const parts = [svg('text', { x: pad.l, y: 12 }, title), svg('text', { x: 2, y: pad.t + 8 }, max)];
  minutes.forEach((m, i) => {
    const b = byAt.get(m) ?? { confirmed: 0, notConfirmed: 0 };
    const x = pad.l + i * bw;
    const hc = (b.confirmed / max) * h;
    const hn = (b.notConfirmed / max) * h;
    if (hc)
      parts.push(
        svg('rect', {
          x,
          y: pad.t + h - hc,
          width: Math.max(bw - 1, 1),
          height: hc,
          fill: '#2b5fd9',
        }),
      );
    if (hn)
      parts.push(
        svg('rect', {
          x,
          y: pad.t + h - hc - hn,
          width: Math.max(bw - 1, 1),
          height: hn,
          fill: '#e39b9b',
        }),
      );
  });
  parts.push(
    svg('line', { x1: pad.l, x2: width - pad.r, y1: pad.t + h, y2: pad.t + h, stroke: '#d9dde6' }),
  );
  parts.push(svg('text', { x: pad.l, y: height - 4 }, '−60 min'));
  parts.push(svg('text', { x: width - pad.r, y: height - 4, 'text-anchor': 'end' }, 'now'));
  return svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' }, parts);
}

const duration = (s) => (s < 60 ? `${s}s` : s < 3600 ? `${s / 60}m` : `${s / 3600}h`);
const secondsLabel = (s) => `<${duration(s)}`;
// The last bound of each distribution is the rule's deadline (R3, R7), as the node sends it.
const deadlineOf = (bounds) => bounds[bounds.length - 1];
const deadlineLabel = (s) => (s < 3600 ? `${s / 60} min` : `${s / 3600} h`);

// ---- rendering -----------------------------------------------------------

let operatorIds = [];
/** The port target a person chose per user, kept across the periodic re-render. */
const portTargets = new Map();
/** Last data drawn per view: a view is redrawn only when its data changed. */
const drawn = new Map();
function draw(key, data, fn) {
  const json = JSON.stringify(data);
  if (drawn.get(key) === json) return;
  drawn.set(key, json);
  fn();
}

function renderIdentification(d) {
  const labels = [
    ...d.answerTimeBoundsS.map(secondsLabel),
    `≥${duration(deadlineOf(d.answerTimeBoundsS))}`,
  ];
  $('identification-charts').replaceChildren(
    ...d.operators.map((op) =>
      el(
        'div',
        { class: 'card', 'data-testid': `identification-${op.id}` },
        el('h3', {}, op.name),
        timeline({
          title: 'answers per minute (blue confirmed, red not confirmed)',
          buckets: op.answersOverTime,
          now: d.now,
        }),
        histogram({
          title: 'answer time',
          labels,
          values: op.answerTimes,
          lineAt: d.answerTimeBoundsS.length,
          lineLabel: deadlineLabel(deadlineOf(d.answerTimeBoundsS)),
        }),
      ),
    ),
  );
  const requests = d.operators
    .flatMap((op) => op.recentRequests.map((r) => ({ ...r, op: op.id })))
    .sort((a, b) => b.receivedAt.localeCompare(a.receivedAt))
    .slice(0, 20);
  table(
    'recent-requests',
    ['received', 'operator', 'messenger', 'code', 'purpose', 'answer', 'decided by', 'took'],
    requests.map((r) =>
      el(
        'tr',
        {},
        el('td', {}, time(r.receivedAt)),
        el('td', {}, r.op),
        el('td', {}, r.messengerId),
        el('td', { class: 'code' }, shortCode(r.code)),
        el('td', {}, r.purpose),
        el('td', {}, badge(r.state), r.reason ? ` ${r.reason}` : ''),
        el('td', {}, r.decidedBy ?? '—'),
        el('td', {}, r.answeredAt ? took(new Date(r.answeredAt) - new Date(r.receivedAt)) : '—'),
      ),
    ),
  );
  const misses = [
    ...d.operators.flatMap((op) =>
      op.requestMisses.map((r) => ({
        at: r.receivedAt,
        who: op.id,
        code: r.code,
        what: `answer by ${time(r.answerBy)}, ${r.state} (${r.decidedBy ?? 'pending'})`,
      })),
    ),
    ...(d.messenger?.missedAttempts ?? []).map((m) => ({
      at: m.firstSentAt,
      who: `${d.messenger.id} → ${m.operatorId}`,
      code: m.code,
      what: `no answer by ${time(m.deadlineAt)}`,
    })),
  ];
  table(
    'request-misses',
    ['sent', 'where', 'code', 'what'],
    misses.map((m) =>
      el(
        'tr',
        {},
        el('td', {}, time(m.at)),
        el('td', {}, m.who),
        el('td', { class: 'code' }, shortCode(m.code)),
        el('td', {}, m.what),
      ),
    ),
  );
}

function renderNotices(d) {
  const labels = [
    ...d.noticeDelayBoundsS.map(secondsLabel),
    `≥${duration(deadlineOf(d.noticeDelayBoundsS))}`,
  ];
  $('notice-charts').replaceChildren(
    ...d.operators.map((op) => {
      const b = op.noticeBacklog;
      const age =
        b.oldestPendingAgeMs === null
          ? '—'
          : `${Math.round(b.oldestPendingAgeMs / 60000)} min of ${deadlineLabel(deadlineOf(d.noticeDelayBoundsS))}`;
      return el(
        'div',
        { class: 'card', 'data-testid': `notices-${op.id}` },
        el('h3', {}, op.name),
        el(
          'div',
          {},
          el('span', { class: 'big' }, b.pending),
          ' pending · ',
          b.failing,
          ' failing · ',
          b.overdue,
          ' overdue · ',
          b.delivered,
          ' delivered',
        ),
        el('div', { class: 'muted' }, `oldest pending: ${age}`),
        histogram({
          title: 'delay, event → acknowledged',
          labels,
          values: op.noticeDelays,
          lineAt: d.noticeDelayBoundsS.length,
          lineLabel: deadlineLabel(deadlineOf(d.noticeDelayBoundsS)),
        }),
      );
    }),
  );
  const notices = d.operators
    .flatMap((op) => op.recentNotices.map((n) => ({ ...n, op: op.id })))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, 20);
  const row = (n) =>
    el(
      'tr',
      {},
      el('td', {}, time(n.createdAt)),
      el('td', {}, n.op),
      el('td', {}, n.messengerId),
      el('td', {}, n.type),
      el('td', { class: 'code' }, shortCode(n.code)),
      el('td', {}, badge(n.state)),
      el('td', {}, time(n.deliveredAt)),
      el('td', {}, time(n.dueBy)),
      el('td', {}, n.attempts),
    );
  const headers = [
    'written',
    'operator',
    'to',
    'type',
    'code',
    'state',
    'delivered',
    'due by',
    'attempts',
  ];
  table('recent-notices', headers, notices.map(row));
  table(
    'notice-misses',
    headers,
    d.operators.flatMap((op) => op.noticeMisses.map((n) => row({ ...n, op: op.id }))),
  );
}

function renderPartners(d, nodes) {
  const status = new Map((nodes?.operators ?? []).map((o) => [o.id, o.status]));
  if (nodes) status.set(nodes.messenger.id, nodes.messenger.status);
  const lines = [
    ...(d.messenger ? d.messenger.partners.map((p) => ({ ...p, from: d.messenger.id })) : []),
    ...d.operators.flatMap((op) => op.partners.map((p) => ({ ...p, from: op.id }))),
  ];
  table(
    'partners',
    [
      'from',
      'to',
      'partner listener',
      'circuit',
      'pending',
      'failing',
      'delivered',
      'rejected',
      'last delivered',
      'last error',
    ],
    lines.map((p) =>
      el(
        'tr',
        {},
        el('td', {}, p.from),
        el('td', {}, p.partnerId),
        el('td', {}, status.has(p.partnerId) ? badge(status.get(p.partnerId)) : '—'),
        el('td', {}, badge(p.circuit)),
        el('td', {}, p.pending),
        el('td', {}, p.failing),
        el('td', {}, p.delivered),
        el('td', {}, p.rejected),
        el('td', {}, time(p.lastDeliveredAt)),
        el('td', { class: 'muted' }, p.lastError ?? ''),
      ),
    ),
  );
}

function renderUsers(d) {
  const m = d.messenger;
  if (!m) return;
  // Every state, zero or not, in lifecycle order (short labels fit the bars).
  const labels = {
    unverified: 'unverified',
    pending_identification: 'pending',
    identified: 'identified',
    not_identified: 'not identified',
    suspended: 'suspended',
    deauthorized: 'deauthorized',
    legacy: 'legacy',
  };
  const states = Object.keys(labels);
  $('users-by-state').replaceChildren(
    histogram({
      title: 'users by state',
      labels: states.map((st) => labels[st]),
      values: states.map((st) => m.usersByState[st] ?? 0),
      width: 720,
    }),
  );
  const userRow = (u, withActions) =>
    el(
      'tr',
      { 'data-user': u.userId, 'data-testid': 'user-row' },
      el('td', {}, u.msisdn),
      el('td', {}, badge(u.state)),
      el('td', {}, u.operatorId ?? '—'),
      el('td', { class: 'code' }, shortCode(u.identificationCode)),
      el('td', {}, time(u.identifiedAt)),
      el('td', {}, time(u.suspendedAt)),
      withActions ? el('td', {}, userActions(u)) : null,
    );
  const headers = ['number', 'state', 'operator', 'code', 'identified', 'suspended'];
  table(
    'users',
    headers,
    m.users.map((u) => userRow(u, false)),
  );
  table(
    'network-users',
    [...headers, 'actions'],
    m.users.map((u) => userRow(u, true)),
  );
}

function userActions(u) {
  if (!['identified', 'pending_identification'].includes(u.state) || !u.operatorId)
    return el('span', { class: 'muted' }, '—');
  const target = el(
    'select',
    { 'data-testid': 'port-target', onchange: () => portTargets.set(u.userId, target.value) },
    operatorIds.filter((id) => id !== u.operatorId).map((id) => el('option', { value: id }, id)),
  );
  if (portTargets.has(u.userId)) target.value = portTargets.get(u.userId);
  return el(
    'span',
    {},
    el(
      'button',
      {
        class: 'secondary',
        'data-testid': 'end-contract',
        onclick: () =>
          act(`end contract of ${u.msisdn}`, () =>
            api('POST', `/api/sandbox/users/${u.userId}/end-contract`),
          ),
      },
      'End contract',
    ),
    ' ',
    el(
      'button',
      {
        class: 'secondary',
        'data-testid': 'port',
        onclick: () =>
          act(`port ${u.msisdn} to ${target.value}`, () =>
            api('POST', `/api/sandbox/users/${u.userId}/port`, { toOperatorId: target.value }),
          ),
      },
      'Port to',
    ),
    ' ',
    target,
  );
}

function renderNodes(nodes) {
  const card = (id, name, status, extra) =>
    el(
      'div',
      { class: 'card', 'data-testid': `node-${id}` },
      el('h3', {}, name),
      el('div', {}, badge(status), ' ', el('span', { class: 'muted' }, id)),
      extra,
    );
  $('nodes').replaceChildren(
    card(nodes.messenger.id, 'Messenger (TamTam)', nodes.messenger.status),
    ...nodes.operators.map((o) =>
      card(
        o.id,
        o.name,
        o.status,
        el(
          'div',
          { style: 'margin-top:6px' },
          el(
            'button',
            {
              class: 'secondary',
              'data-testid': `offline-${o.id}`,
              onclick: () =>
                act(`${o.offline ? 'bring online' : 'take offline'} ${o.id}`, () =>
                  api('POST', `/api/sandbox/operators/${o.id}/offline`, { offline: !o.offline }),
                ),
            },
            o.offline ? 'Bring online' : 'Take offline',
          ),
        ),
      ),
    ),
  );
  const select = $('register-operator');
  if (select.options.length === 0) {
    for (const o of nodes.operators) select.append(el('option', { value: o.id }, o.name));
  }
}

function renderInbox(messages) {
  table(
    'inbox',
    ['time', 'to', 'text', ''],
    messages.map((m) => {
      const code = /\b(\d{4,10})\b/.exec(m.text)?.[1] ?? '';
      return el(
        'tr',
        { 'data-testid': 'inbox-message', 'data-to': m.to, 'data-code': code },
        el('td', {}, time(m.createdAt)),
        el('td', {}, m.to),
        el('td', {}, m.text),
        el(
          'td',
          {},
          el(
            'button',
            {
              class: 'secondary',
              onclick: () => {
                $('confirm-phone').value = m.to;
                $('confirm-code').value = code;
              },
            },
            'use',
          ),
        ),
      );
    }),
  );
}

async function act(what, fn) {
  try {
    const result = await fn();
    const outcome = result?.outcome
      ? ` → ${result.outcome}, ${result.user?.state}`
      : result?.results
        ? ` → ${result.results.map((r) => r.status).join(', ')}`
        : '';
    log(`${what}: done${outcome}`);
  } catch (err) {
    log(`${what}: ${err.message}`, true);
  }
  await refresh();
}

// ---- search ----------------------------------------------------------------

function renderSearch(result) {
  const box = $('search-results');
  if (result.kind === 'none') {
    box.replaceChildren(
      el(
        'p',
        { class: 'panel muted' },
        'Type an identification code (16–64 characters) or a Russian mobile number.',
      ),
    );
    return;
  }
  const sections = result.results.map((r) => {
    const rows = [];
    for (const u of r.users ?? [])
      rows.push([
        'user',
        u.msisdn,
        badge(u.state),
        u.operatorId ?? '',
        shortCode(u.identificationCode),
      ]);
    for (const c of r.contracts ?? [])
      rows.push([
        'contract',
        c.contractId,
        c.end ? `ended ${time(c.end)} (${c.endReason ?? 'import'})` : 'open',
        '',
        '',
      ]);
    for (const e of r.entries ?? [])
      rows.push([
        'register entry',
        e.messengerId,
        e.closedAt ? `closed: ${e.closeReason}` : 'open',
        time(e.openedAt),
        shortCode(e.code),
      ]);
    for (const q of r.requests ?? [])
      rows.push(['request', q.purpose, badge(q.state), time(q.receivedAt), shortCode(q.code)]);
    for (const n of r.notices ?? [])
      rows.push(['notice', n.type, badge(n.state), time(n.createdAt), shortCode(n.code)]);
    return el(
      'div',
      { class: 'panel' },
      el('h2', {}, r.node),
      el(
        'table',
        {},
        el(
          'tbody',
          {},
          rows.map((cells) =>
            el(
              'tr',
              {},
              cells.map((c) => el('td', {}, c)),
            ),
          ),
        ),
      ),
    );
  });
  box.replaceChildren(
    el('p', {}, `${result.kind} ${result.query}: found on ${result.results.length} node(s)`),
    ...sections,
  );
}

// ---- wiring ----------------------------------------------------------------

async function refreshNode() {
  try {
    const d = await api('GET', `${CONSOLE_API}/dashboard`);
    if (!$('login-form').hidden) {
      $('login-form').hidden = true;
      showTab();
    }
    const self = d.messenger ?? d.operators[0];
    $('node-title').textContent = self ? `console of ${self.id}` : 'console';
    // A messenger writes no notices (its identification tab lists operators' misses);
    // an operator has no users.
    const isMessenger = Boolean(d.messenger);
    document.querySelector('nav a[data-tab="notices"]').hidden = isMessenger;
    $('users-tab').hidden = !isMessenger;
    $('clock').textContent = `updated ${time(d.now)}`;
    const { now, ...data } = d;
    draw('identification', [data.operators, Math.floor(new Date(now) / 60000)], () =>
      renderIdentification(d),
    );
    draw('notices', data.operators, () => renderNotices(d));
    draw('partners', data, () => renderPartners(d, undefined));
    draw('users', data.messenger, () => renderUsers(d));
    document.body.dataset.refreshed = String(Date.now());
  } catch (err) {
    if (err instanceof Unauthenticated)
      showLogin(sessionStorage.getItem(TOKEN_KEY) ? err.message : '');
    else $('clock').textContent = `refresh failed: ${err.message}`;
  }
}

async function refresh() {
  if (NODE_MODE) return refreshNode();
  try {
    const [d, nodes, inbox] = await Promise.all([
      api('GET', `${CONSOLE_API}/dashboard`),
      api('GET', '/api/sandbox/nodes'),
      api('GET', '/api/sandbox/inbox'),
    ]);
    operatorIds = nodes.operators.map((o) => o.id);
    $('clock').textContent = `updated ${time(d.now)}`;
    const { now, ...data } = d;
    draw('nodes', nodes, () => renderNodes(nodes));
    draw('inbox', inbox, () => renderInbox(inbox.messages));
    // The timeline moves with the clock: redrawn each minute even without new data.
    draw('identification', [data.operators, Math.floor(new Date(now) / 60000)], () =>
      renderIdentification(d),
    );
    draw('notices', data.operators, () => renderNotices(d));
    draw('partners', [data, nodes], () => renderPartners(d, nodes));
    draw('users', [data.messenger, operatorIds], () => renderUsers(d));
    document.body.dataset.refreshed = String(Date.now());
  } catch (err) {
    $('clock').textContent = `refresh failed: ${err.message}`;
  }
}

function showTab() {
  if (NODE_MODE && !$('login-form').hidden) return;
  const fallback = NODE_MODE
    ? (document.querySelector('nav a:not([hidden])')?.dataset.tab ?? 'search')
    : 'network';
  const name = (location.hash || `#${fallback}`).slice(1);
  for (const section of document.querySelectorAll('.tab'))
    section.hidden = section.id !== `tab-${name}`;
  for (const a of document.querySelectorAll('nav a'))
    a.classList.toggle('active', a.dataset.tab === name);
}

$('login-form')?.addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('login-token').value.trim());
  $('login-token').value = '';
  refresh();
});
$('register-form')?.addEventListener('submit', (event) => {
  event.preventDefault();
  const phone = $('register-phone').value.trim();
  // Numbers leave the forms once sent: only the inbox shows them in full.
  $('register-phone').value = '';
  act('send code', () =>
    api(
      'POST',
      '/api/sandbox/registrations',
      phone ? { phone } : { operatorId: $('register-operator').value },
    ),
  );
});
$('confirm-form')?.addEventListener('submit', (event) => {
  event.preventDefault();
  const body = { phone: $('confirm-phone').value.trim(), code: $('confirm-code').value.trim() };
  $('confirm-phone').value = '';
  $('confirm-code').value = '';
  act('confirm code', () => api('POST', '/api/sandbox/registrations/confirm', body));
});
$('search-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const query = $('search-query').value.trim();
    const result = await api('GET', `${CONSOLE_API}/search?q=${encodeURIComponent(query)}`);
    // A searched number is shown masked in the result and not kept in the box.
    if (result.kind === 'number') $('search-query').value = '';
    renderSearch(result);
  } catch (err) {
    $('search-results').replaceChildren(el('p', { class: 'panel error' }, err.message));
  }
});
window.addEventListener('hashchange', showTab);
showTab();
refresh();
setInterval(refresh, 1500);
