/* lists.js: the printable official lists of a commune (lists.html?commune=C&year=Y[&state=S]): fetches /v1/lists/C?year=Y, shows the lists of poor, near-poor, escaped-poverty and newly poor households as tables, each with a signature block and a page of its own when printed; head names only when the server says the user may see them ("personal": true). */
'use strict';

(function () {
  const { STATES, fmtInt, el, bi, clear, naturally, takeToken, getJson, download } = window.saola;
  const $ = (id) => document.getElementById(id);
  const LISTS = [
    ['poor', 'Danh sách hộ nghèo', 'Poor households'],
    ['near_poor', 'Danh sách hộ cận nghèo', 'Near-poor households'],
    ['escaped', 'Danh sách hộ thoát nghèo', 'Households that escaped poverty'],
    ['newly_poor', 'Danh sách hộ nghèo phát sinh', 'Newly poor households'],
  ];
  const CLASSES = { poor: 'Hộ nghèo', near_poor: 'Hộ cận nghèo', average: 'Mức sống trung bình', not_poor: 'Không thuộc diện' };

  /* The page's arguments: commune (a code), year, state. */
  function args() {
    const q = new URLSearchParams(location.search);
    return { commune: q.get('commune') || '', year: q.get('year') || '', state: q.get('state') || '' };
  }

  function query(a) {
    return `?year=${encodeURIComponent(a.year)}` + (a.state ? `&state=${encodeURIComponent(a.state)}` : '');
  }

  /* Rows by village in natural order (Thôn 2 before Thôn 10), then household code. */
  function sorted(rows) {
    return rows.slice().sort((a, b) => naturally(a.village, b.village) || naturally(a.household_id, b.household_id) ||
      naturally(a.record_id, b.record_id));
  }

  function table(key, rows, personal) {
    return el('table', { class: 'list', 'data-list': key },
      el('thead', {}, el('tr', {},
        el('th', { class: 'stt' }, 'STT'), el('th', {}, 'Thôn, tổ dân phố'), el('th', {}, 'Mã hộ'),
        personal ? el('th', {}, 'Họ và tên chủ hộ') : null,
        el('th', { class: 'num' }, 'Số nhân khẩu'), el('th', { class: 'num' }, 'Thu nhập bình quân (đồng/người/tháng)'),
        el('th', { class: 'num' }, 'Số chỉ số thiếu hụt'), el('th', {}, 'Phân loại'))),
      el('tbody', {}, rows.length ? sorted(rows).map((r, i) => el('tr', { 'data-household': r.household_id || r.record_id },
        el('td', { class: 'num' }, String(i + 1)), el('td', {}, r.village || '—'),
        el('td', { class: 'code' }, r.household_id || '—'),
        personal ? el('td', {}, r.head_name || '—') : null,
        el('td', { class: 'num' }, fmtInt(r.members)), el('td', { class: 'num' }, fmtInt(r.income_per_capita)),
        el('td', { class: 'num' }, fmtInt(r.deprivation_count)),
        el('td', {}, CLASSES[r.classification] || r.classification || '—')))
        : el('tr', {}, el('td', { colspan: personal ? 8 : 7, class: 'empty' }, 'Không có hộ nào / None'))));
  }

  function signatures() {
    return el('div', { class: 'signatures' },
      el('div', {}, el('div', { class: 'date' }, '\u00a0'), el('b', {}, 'Người lập biểu'),
        el('div', { class: 'sign' }, '(Ký, ghi rõ họ tên)')),
      el('div', {}, el('div', { class: 'date' }, '……………, ngày …… tháng …… năm ……'), el('b', {}, 'TM. Ủy ban nhân dân'),
        el('b', { class: 'block' }, 'Chủ tịch UBND xã'), el('div', { class: 'sign' }, '(Ký tên, đóng dấu)')));
  }

  function render(d, a) {
    const name = (d.commune && (d.commune.name || d.commune.code)) || a.commune;
    const state = STATES[d.state];
    document.title = `Danh sách hộ nghèo, cận nghèo ${d.year} · ${name}`;
    $('issuer-name').textContent = name;
    clear($('title'), `Danh sách hộ nghèo, hộ cận nghèo năm ${d.year}`);
    clear($('meta'), el('span', { 'data-fig': 'lists:commune' }, name),
      d.commune && d.commune.code ? ` (mã ${d.commune.code})` : '', ' · Năm ',
      el('span', { 'data-fig': 'lists:year' }, String(d.year)), ' · ',
      el('span', { 'data-fig': 'lists:state', 'data-state': d.state }, state ? state[0] : (d.state || 'không rõ trạng thái')));
    const note = $('personal-note');
    note.hidden = !!d.personal;
    note.textContent = d.personal ? '' : 'Cột họ và tên chủ hộ được bỏ qua: tài khoản này không được xem dữ liệu cá nhân. ' +
      'Head names are left out: this account may not see personal data.';
    const lists = d.lists || {};
    clear($('lists'), LISTS.map(([key, vi, en], i) => {
      const rows = lists[key];
      const heading = el('h2', {}, `${i + 1}. ${vi} `, el('small', { class: 'en' }, en));
      if (rows === null) {
        // The server cannot tell (no records of last year): say why, not "0".
        const why = (d.notes || []).filter((n) => /cannot be told/.test(n.en || ''));
        return el('section', { class: 'list-page', id: 'list-' + key }, heading,
          el('p', { class: 'count', 'data-fig': `lists:${key}:unknown` },
            why.length ? bi(why[0].vi, why[0].en) : bi('Chưa xác định được.', 'Not known.')));
      }
      return el('section', { class: 'list-page', id: 'list-' + key }, heading,
        el('p', { class: 'count' }, 'Tổng số: ', el('span', { 'data-fig': `lists:${key}:count` }, fmtInt(rows.length)), ' hộ'),
        el('div', { class: 'scroll' }, table(key, rows || [], !!d.personal)),
        signatures());
    }));
    $('status').hidden = true;
    $('page').hidden = false;
    document.body.setAttribute('data-loaded', 'lists');
  }

  async function start() {
    const a = args(), token = takeToken();
    const csv = `/v1/lists/${encodeURIComponent(a.commune)}.csv` + query(a);
    $('csv').setAttribute('href', csv);
    $('csv').addEventListener('click', (ev) => {
      ev.preventDefault();
      download(csv, token, `danh-sach-${a.commune}-${a.year}.csv`).catch((e) => { $('status').hidden = false; $('status').textContent = e.message; });
    });
    $('print').addEventListener('click', () => window.print());
    if (!/^[0-9]{5}$/.test(a.commune) || !/^[0-9]{4}$/.test(a.year)) {
      $('status').textContent = 'Địa chỉ cần ?commune=<mã xã 5 chữ số>&year=<năm>. / The address needs a commune code and a year.';
      return;
    }
    if (!token) {
      clear($('status'), bi('Chưa đăng nhập: mở trang này từ bảng điều khiển.', 'Not signed in: open this page from the dashboard.'));
      return;
    }
    try {
      render(await getJson(`/v1/lists/${encodeURIComponent(a.commune)}` + query(a), token), a);
    } catch (e) {
      $('status').className = 'status error';
      $('status').textContent = 'Không tải được danh sách / The lists failed: ' + e.message;
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
