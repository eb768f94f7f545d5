/* util.js: helpers shared by the dashboard (app.js) and the printable lists (lists.js): numbers written the Vietnamese way, DOM building, the natural order of names, the token and the API. Loaded first; defines window.saola. */
'use strict';

(function () {
  const KEY = 'saola.token';
  /* Review states a report can count (?state=), and how the page names them. */
  const STATES = {
    approved: ['số liệu chính thức (hộ đã được duyệt)', 'official figures (approved households)'],
    all: ['mọi phiếu (nháp, đã nộp, đã duyệt)', 'every record (draft, submitted, approved)'],
    submitted: ['phiếu đã nộp, chờ duyệt', 'submitted records, waiting for approval'],
    draft: ['phiếu nháp', 'draft records'],
  };
  const UNKNOWN_LISTED = 'chưa biết số hộ trong danh sách / households listed unknown';

  function fmtInt(n) {
    if (n === null || n === undefined) return '—';
    return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  }
  function fmtPct(x, digits) {
    if (x === null || x === undefined) return '—';
    return (x * 100).toFixed(digits === undefined ? 1 : digits).replace('.', ',') + '%';
  }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v; else e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k.nodeType ? k : String(k));
    return e;
  }
  /* "Việt" with the English beside it, smaller. */
  function bi(vi, en) {
    return [vi, en && en !== vi ? el('small', { class: 'en' }, en) : null];
  }
  function clear(node, ...kids) {
    node.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined));
    return node;
  }
  /* A rate, or "—" with a tooltip when its denominator (the households
   * listed) is unknown: the JSON gives null. */
  function rateSpan(x, attrs, digits) {
    const a = Object.assign({}, attrs || {});
    if (x === null || x === undefined) a.title = UNKNOWN_LISTED;
    return el('span', a, fmtPct(x, digits));
  }

  /* Names in their natural order: "Thôn 2" before "Thôn 10". */
  const collator = new Intl.Collator('vi', { numeric: true, sensitivity: 'base' });
  function naturally(a, b) { return collator.compare(String(a || ''), String(b || '')); }

  /* The token comes in the address as #token=... (taken out of it at
   * once), else from this tab's session. */
  function takeToken() {
    const m = /(?:^#|&)token=([0-9a-fA-F]{64})/.exec(location.hash);
    if (m) {
      sessionStorage.setItem(KEY, m[1]);
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem(KEY);
  }

  /* GET path with the token; the JSON answer, or an Error with the
   * server's message (err.status set). */
  async function getJson(path, token) {
    const res = await fetch(path, { headers: { Authorization: 'Bearer ' + token } });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const e = new Error((body && body.error && body.error.message) || ('HTTP ' + res.status));
      e.status = res.status;
      throw e;
    }
    return body;
  }

  /* Downloads path (sent with the token) as a file named name. */
  async function download(path, token, name) {
    const res = await fetch(path, { headers: { Authorization: 'Bearer ' + token } });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  window.saola = { KEY, STATES, UNKNOWN_LISTED, fmtInt, fmtPct, el, bi, clear, rateSpan, naturally,
    takeToken, getJson, download };
})();
