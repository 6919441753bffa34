import type { ConsoleNodes } from './console-dashboard.js';
import { identificationCodeOrNull } from './console-search-input.js';
import { requestsByCode } from './identification-dashboard-store.js';
import { maskMsisdn } from './mask-msisdn.js';
import { searchUsers } from './messenger-dashboard-store.js';
import { noticesByCode } from './notice-dashboard-store.js';
import { numberAtOperator, registerEntriesByCode } from './subscriber-lookup-store.js';

/**
 * Search by identification code or by number across the nodes a console
 * reads. A number is answered masked: the person searching typed it, but the
 * page (and anyone looking over a shoulder, or a screenshot) shows it masked.
 */
export async function searchConsole(nodes: ConsoleNodes, query: string) {
  const digits = query.replace(/[\s()+-]/g, '');
  const asNumber = /^[78]9\d{9}$/.test(digits) ? `7${digits.slice(1)}` : null;
  const code = asNumber ? null : identificationCodeOrNull(query);
  if (!asNumber && !code) return { kind: 'none' as const, query: maskMsisdn(query), results: [] };
  const results = [];
  for (const op of nodes.operators) {
    if (asNumber) {
      const found = await numberAtOperator(op.db, asNumber);
      if (found.contracts.length + found.entries.length > 0)
        results.push({ node: op.id, contracts: found.contracts, entries: found.entries });
    } else if (code) {
      const requests = await requestsByCode(op.db, code);
      const entries = await registerEntriesByCode(op.db, code);
      const notices = await noticesByCode(op.db, code);
      if (requests.length + entries.length + notices.length > 0)
        results.push({ node: op.id, requests, entries, notices });
    }
  }
  if (nodes.messenger) {
    const users = await searchUsers(nodes.messenger.db, {
      ...(asNumber ? { msisdn: `+${asNumber}` } : {}),
      ...(code ? { code } : {}),
    });
    if (users.length > 0)
      results.push({
        node: nodes.messenger.id,
        users: users.map((u) => ({ ...u, msisdn: maskMsisdn(u.msisdn) })),
      });
  }
  return {
    kind: asNumber ? ('number' as const) : ('code' as const),
    query: asNumber ? maskMsisdn(asNumber) : (code ?? ''),
    results,
  };
}
