/* completeness.js: the dashboard's coverage panel: the communes of the area that reported and those that did not (households surveyed against listed, each), and the area's households surveyed against listed, from the report's "completeness" object. Needs util.js; adds saola.renderCompleteness. */
'use strict';

(function () {
  const { fmtInt, el, bi, clear, rateSpan, naturally } = window.saola;

  /* The figure with data-fig fig, or "—" and why when it is unknown. */
  function count(n, fig) {
    return el('span', { 'data-fig': fig, title: n === null || n === undefined ? window.saola.UNKNOWN_LISTED : null },
      fmtInt(n));
  }

  function stat(vi, en, ...value) {
    return el('div', { class: 'stat' }, el('div', { class: 'k' }, bi(vi, en)), el('div', { class: 'v' }, value));
  }

  /* A bar of surveyed against listed; share null: no bar, and why. */
  function meter(share, fig) {
    const pct = share === null || share === undefined ? 0 : Math.min(1, Math.max(0, share)) * 100;
    return el('div', { class: 'meter-row' },
      el('div', { class: 'meter', role: 'img', 'aria-label': 'households surveyed of listed' },
        el('div', { class: 'fill' + (share >= 1 ? ' full' : ''), style: null, 'data-width': pct.toFixed(1) })),
      rateSpan(share, { class: 'share', 'data-fig': fig }));
  }

  function listsLink(code, year, state) {
    const q = `commune=${encodeURIComponent(code)}&year=${encodeURIComponent(year)}` +
      (state && state !== 'approved' ? `&state=${encodeURIComponent(state)}` : '');
    return el('a', { href: '/lists.html?' + q, class: 'lists-link', 'data-lists': code }, bi('Danh sách', 'Lists'));
  }

  function reportedTable(rows, year, state) {
    const sorted = rows.slice().sort((a, b) => naturally(a.name, b.name) || naturally(a.code, b.code));
    return el('table', { class: 'reported' },
      el('thead', {}, el('tr', {}, el('th', {}, bi('Xã, phường', 'Commune')),
        el('th', { class: 'num' }, bi('Đã rà soát', 'Surveyed')), el('th', { class: 'num' }, bi('Trong danh sách', 'Listed')),
        el('th', { class: 'num' }, bi('Tỷ lệ', 'Share')), el('th', {}, bi('In', 'Print')))),
      el('tbody', {}, sorted.map((r) => el('tr', { 'data-commune': r.code },
        el('td', { class: 'unit' }, r.name || r.code, ' ', el('small', { class: 'muted' }, r.code)),
        el('td', { class: 'num' }, count(r.surveyed, `completeness:reported:${r.code}:surveyed`)),
        el('td', { class: 'num' }, count(r.listed, `completeness:reported:${r.code}:listed`)),
        el('td', { class: 'num' }, rateSpan(r.listed ? r.surveyed / r.listed : null, { class: 'pct' })),
        el('td', {}, listsLink(r.code, year, state))))));
  }

  function notReportedTable(rows) {
    const sorted = rows.slice().sort((a, b) => naturally(a.name, b.name) || naturally(a.code, b.code));
    return el('table', { class: 'not-reported' },
      el('thead', {}, el('tr', {}, el('th', {}, bi('Xã, phường', 'Commune')),
        el('th', { class: 'num' }, bi('Trong danh sách', 'Listed')))),
      el('tbody', {}, sorted.length ? sorted.map((r) => el('tr', { 'data-commune': r.code },
        el('td', { class: 'unit' }, r.name || r.code, ' ', el('small', { class: 'muted' }, r.code)),
        el('td', { class: 'num' }, count(r.listed, `completeness:not_reported:${r.code}:listed`))))
        : el('tr', {}, el('td', { colspan: 2, class: 'muted' }, 'Mọi xã đã báo cáo / every commune reported'))));
  }

  /* The panel for completeness c (null: the server gave none). */
  function renderCompleteness(node, c, state) {
    if (!c) {
      clear(node, el('p', { class: 'note', id: 'completeness-missing' },
        'Máy chủ không cho biết mức độ đầy đủ của số liệu. ',
        el('small', { class: 'en' }, 'The server did not say how complete these figures are.')));
      return;
    }
    const partial = c.households_listed === null || c.households_listed === undefined ||
      c.communes_reported < c.communes || c.communes_complete < c.communes;
    const reported = c.reported || [], missing = c.not_reported || [];
    /* The bar's width is set here, not inline: the page's CSP allows no inline style. */
    const m = meter(c.share, 'completeness:share');
    m.querySelector('.fill').style.width = m.querySelector('.fill').getAttribute('data-width') + '%';
    clear(node,
      el('div', { class: 'stats', 'data-partial': partial ? 'yes' : 'no' },
        stat('Xã đã báo cáo', 'Communes reported', count(c.communes_reported, 'completeness:communes_reported'),
          ' / ', count(c.communes, 'completeness:communes')),
        stat('Xã đủ số liệu', 'Communes complete', count(c.communes_complete, 'completeness:communes_complete')),
        stat('Hộ đã rà soát', 'Households surveyed', count(c.households_surveyed, 'completeness:households_surveyed')),
        stat('Hộ trong danh sách', 'Households listed', count(c.households_listed, 'completeness:households_listed'))),
      m,
      el('p', { class: 'note' }, partial
        ? bi(`Số liệu chưa đầy đủ (năm ${c.year}): tỷ lệ và tiến độ chỉ tính trên phần đã rà soát.`,
          'Partial data: rates and progress cover only what was surveyed.')
        : bi(`Mọi xã đã rà soát đủ số hộ trong danh sách năm ${c.year}.`, 'Every commune surveyed all its listed households.')),
      el('div', { class: 'two' },
        el('div', {}, el('h3', {}, bi(`Đã báo cáo (${fmtInt(reported.length)})`, 'Reported')),
          el('div', { class: 'scroll tall' }, reportedTable(reported, c.year, state))),
        el('div', {}, el('h3', {}, bi(`Chưa báo cáo (${fmtInt(missing.length)})`, 'Not reported')),
          el('div', { class: 'scroll tall' }, notReportedTable(missing)))));
  }

  window.saola.renderCompleteness = renderCompleteness;
  window.saola.listsLink = listsLink;
})();
