/* app.js: the officers' dashboard: sign-in with a token (kept in sessionStorage, sent as Authorization: Bearer), then the reports of the officer's area as tables and SVG charts drawn here. */
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = 'http://www.w3.org/2000/svg';
  const { KEY, STATES, fmtInt, fmtPct, el, bi, clear, rateSpan, naturally, takeToken } = window.saola;
  const LEVELS = { province: 'Tỉnh', district: 'Huyện', commune: 'Xã', village: 'Thôn' };
  let token = null;
  let index = null;
  let last = null;      /* the reports shown, to redraw the charts at a new width */

  /* ---------------------------------------------------------------- */
  /* Small helpers. */

  function sv(tag, attrs, ...kids) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, v);
    for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k.nodeType ? k : String(k));
    return e;
  }
  /* Charts are drawn at the width of their box, one unit a pixel, so that
   * their text stays 12 px on a phone and on a desk. */
  function widthOf(node) { return Math.max(280, Math.floor(node.clientWidth || 640)); }
  function unitKey(u) { return u.level === 'village' ? u.code + '/' + (u.village || '') : (u.code || '-'); }
  function unitShort(u) { return u.level === 'village' ? (u.village || '–') : (u.name || u.code || '–'); }
  function when(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toLocaleString('vi-VN', { dateStyle: 'short', timeStyle: 'short' });
  }

  /* ---------------------------------------------------------------- */
  /* The API. */

  async function api(path) {
    const res = await fetch(path, { headers: { Authorization: 'Bearer ' + token } });
    if (res.status === 401) { signOut('Mã truy cập không hợp lệ hoặc đã bị thu hồi. / The token is unknown or revoked.'); throw new Error('unauthorized'); }
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error((body && body.error && body.error.message) || ('HTTP ' + res.status));
    return body;
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY);
    token = null;
    $('app').hidden = true;
    $('who').hidden = true;
    $('login').hidden = false;
    const err = $('login-error');
    err.hidden = !message;
    err.textContent = message || '';
    $('token').focus();
  }

  /* ---------------------------------------------------------------- */
  /* Charts. */

  /* label broken into lines of at most n characters, at spaces: a chart
   * never cuts a label short. */
  function wrap(label, n) {
    const lines = [];
    for (const word of String(label).split(/\s+/)) {
      const lastLine = lines[lines.length - 1];
      if (lastLine !== undefined && (lastLine + ' ' + word).length <= n) lines[lines.length - 1] = lastLine + ' ' + word;
      else lines.push(word);
    }
    return lines.length ? lines : [''];
  }

  /* Horizontal bars: items {label, value, text, cls, fig}, W pixels wide;
   * a long label takes two or more lines, its row grows to hold them. */
  function hbars(W, items, opts) {
    opts = opts || {};
    const labelW = Math.min(opts.labelW || 200, Math.round(W * 0.42)), row = 24, line = 14, pad = 6;
    const valueW = Math.min(112, Math.round(W * 0.27));
    const barW = W - labelW - valueW, chars = Math.max(8, Math.floor((labelW - 12) / 7));
    const max = opts.max || Math.max(1, ...items.map((i) => i.value || 0));
    const laid = items.map((it) => ({ it, lines: wrap(it.label, chars) }));
    const heights = laid.map((l) => Math.max(row, l.lines.length * line + 8));
    const H = Math.max(row, heights.reduce((x, h) => x + h, 0)) + pad * 2 + (opts.target !== undefined ? 16 : 0);
    const svg = sv('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': opts.title || '' });
    if (!items.length) {
      svg.append(sv('text', { x: 8, y: 20, class: 'empty' }, 'Chưa có số liệu / No data'));
      return svg;
    }
    let y = pad;
    laid.forEach(({ it, lines }, i) => {
      const h = heights[i], mid = y + h / 2;
      const w = Math.max(it.value > 0 ? 2 : 0, (barW * (it.value || 0)) / max);
      const first = mid - ((lines.length - 1) * line) / 2 + 4;
      svg.append(
        sv('text', { x: labelW - 8, y: first, 'text-anchor': 'end', class: 'lbl' },
          lines.map((t, k) => sv('tspan', { x: labelW - 8, y: first + k * line }, t))),
        sv('rect', { x: labelW, y: mid - (row - 8) / 2, width: barW, height: row - 8, rx: 3, class: 'bar track' }),
        sv('rect', { x: labelW, y: mid - (row - 8) / 2, width: w.toFixed(1), height: row - 8, rx: 3, class: 'bar ' + (it.cls || '') }),
        sv('text', { x: opts.valueAtEnd ? labelW + barW + 6 : labelW + w + 6, y: mid + 4, class: 'val',
          'data-fig': it.fig || null }, it.text));
      y += h;
    });
    if (opts.target !== undefined) {
      const x = labelW + (barW * opts.target) / max;
      svg.append(sv('line', { x1: x, x2: x, y1: pad, y2: H - 14, class: 'target' }),
        sv('text', { x: x, y: H - 2, 'text-anchor': 'middle', class: 'target-text' }, opts.targetText || ''));
    }
    return svg;
  }

  /* The poor households by year, the baseline and the target line. */
  function trend(W, prog) {
    const H = 250, left = 52, right = 12, top = 26, bottom = 34;
    const pts = (prog.series || []).map((s) => ({ year: s.year, poor: s.poor, base: false }));
    const t = prog.total || {};
    if (t.baseline_poor !== null && t.baseline_poor !== undefined && !pts.some((p) => p.year === prog.baseline_year))
      pts.unshift({ year: prog.baseline_year, poor: t.baseline_poor, base: true });
    pts.sort((a, b) => a.year - b.year);
    const svg = sv('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': 'trend' });
    if (!pts.length) {
      svg.append(sv('text', { x: 8, y: 20, class: 'empty' }, 'Chưa có số liệu / No data'));
      return svg;
    }
    const target = t.target_max_poor;
    const max = Math.max(1, target || 0, ...pts.map((p) => p.poor)) * 1.1;
    const plotW = W - left - right, plotH = H - top - bottom;
    const step = plotW / pts.length, bw = Math.min(70, step * 0.6);
    const y = (v) => top + plotH - (plotH * v) / max;
    svg.append(sv('line', { x1: left, x2: W - right, y1: top + plotH, y2: top + plotH, class: 'axis' }));
    for (let i = 0; i <= 4; i++) {
      const v = (max / 1.1) * (i / 4);
      svg.append(sv('line', { x1: left, x2: W - right, y1: y(v), y2: y(v), class: 'axis' }),
        sv('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'val' }, fmtInt(v)));
    }
    pts.forEach((p, i) => {
      const cx = left + step * i + step / 2;
      svg.append(
        sv('rect', { x: cx - bw / 2, y: y(p.poor), width: bw, height: top + plotH - y(p.poor), rx: 3, class: p.base ? 'base' : 'bar poor' }),
        sv('text', { x: cx, y: y(p.poor) - 5, 'text-anchor': 'middle', class: 'lbl', 'data-fig': 'trend:' + p.year }, fmtInt(p.poor)),
        sv('text', { x: cx, y: H - bottom + 18, 'text-anchor': 'middle', class: 'lbl' }, p.base ? p.year + ' (gốc)' : String(p.year)));
    });
    if (target !== null && target !== undefined) {
      svg.append(sv('line', { x1: left, x2: W - right, y1: y(target), y2: y(target), class: 'target' }),
        sv('text', { x: W - right, y: y(target) - 6, 'text-anchor': 'end', class: 'target-text' },
          `Mục tiêu ${prog.target_year}: ≤ ${fmtInt(target)} hộ`));
    }
    return svg;
  }

  /* ---------------------------------------------------------------- */
  /* The page. */

  function kpi(id, cls, vi, en, value, sub, fig) {
    return el('div', { class: 'kpi ' + (cls || ''), id: id },
      el('div', { class: 'k' }, bi(vi, en)),
      el('span', { class: 'v', 'data-fig': fig || null }, value),
      sub ? el('span', { class: 's' }, sub) : null);
  }

  /* A share of households: over all households listed in the area (the
   * official rate; "—" when the number listed is unknown), and labelled,
   * over the households surveyed. A server without "listed" gives only
   * the rate over surveyed households, as "<k>_rate". */
  function rates(row, key, short) {
    const listed = Object.prototype.hasOwnProperty.call(row, 'listed');
    const overSurveyed = listed ? row[key + '_rate_surveyed'] : row[key + '_rate'];
    return el('span', { class: 'rates' },
      listed ? [rateSpan(row[key + '_rate'], { class: 'pct', 'data-fig': 'rate:' + key }, 2), ' ',
        short ? null : el('small', { class: 'muted' }, 'số hộ toàn địa bàn / of all households'), el('br')] : null,
      short ? el('small', { class: 'muted', title: 'trên số hộ đã rà soát / of households surveyed' }, 'rà soát ') : null,
      el('span', { class: 'pct surveyed', 'data-fig': 'rate_surveyed:' + key }, fmtPct(overSurveyed, 2)),
      short ? null : [' ', el('small', { class: 'muted' }, 'số hộ đã rà soát / of households surveyed')]);
  }

  /* The progress toward the plan's target, as the server judged it:
   * green "met" only when its status is "met"; never judged here. */
  const STATUS = {
    met: ['st-met', 'Đạt mục tiêu', 'target met'],
    not_met: ['st-not-met', 'Chưa đạt mục tiêu', 'target not met'],
    not_enough_data: ['st-unknown', 'Chưa đủ số liệu', 'not enough data'],
    no_baseline: ['st-unknown', 'Chưa có số năm gốc', 'no baseline'],
  };
  function statusBadge(p, fig) {
    const st = STATUS[p.status] ? p.status : 'unknown';
    const [cls, vi, en] = STATUS[st] || ['st-unknown', 'Chưa đánh giá được', 'not judged'];
    const text = p.status_text || {};
    return el('span', { class: 'badge ' + cls, 'data-fig': fig, 'data-status': st },
      text.vi || vi, text.en || en ? el('small', { class: 'en' }, text.en || en) : null);
  }

  function renderKpis(r, conflicts, devices) {
    const s = r.summary.total, p = r.progress.total, c = r.coverage.total;
    const judged = p.status === 'met' || p.status === 'not_met';
    clear($('kpis'),
      kpi('kpi-households', '', 'Hộ được rà soát', 'Households surveyed', fmtInt(s.households),
        s.in_progress === undefined ? null
          : el('span', {}, '+ ', el('span', { 'data-fig': 'total:in_progress' }, fmtInt(s.in_progress)),
            ' hộ đang xử lý (nháp, chờ duyệt), chưa tính / in progress, not counted'), 'total:households'),
      kpi('kpi-poor', 'poor', 'Hộ nghèo', 'Poor', fmtInt(s.poor), rates(s, 'poor'), 'total:poor'),
      kpi('kpi-near-poor', 'near', 'Hộ cận nghèo', 'Near-poor', fmtInt(s.near_poor), rates(s, 'near_poor'), 'total:near_poor'),
      kpi('kpi-average', '', 'Hộ có mức sống trung bình', 'Average living standard', fmtInt(s.average), rates(s, 'average'), 'total:average'),
      kpi('kpi-target', p.status === 'met' ? 'good' : p.status === 'not_met' ? 'warn' : 'grey',
        'Mục tiêu hộ nghèo ' + (r.progress.target_year || ''), 'Poverty target',
        p.target_max_poor === null || p.target_max_poor === undefined ? '—' : '≤ ' + fmtInt(p.target_max_poor),
        el('span', {}, statusBadge(p, 'progress:status'),
          judged ? el('span', { class: 'block' }, `năm gốc ${r.progress.baseline_year}: ${fmtInt(p.baseline_poor)}; ` +
            `mức hoàn thành ${fmtPct(p.progress, 0)} / progress`) : null), 'total:target_max_poor'),
      kpi('kpi-coverage', c.any_rate >= (r.coverage.target_rate || 1) ? 'good' : '', 'Được hỗ trợ chính sách', 'Receiving support',
        fmtPct(c.any_rate), fmtInt(c.any) + ' / ' + fmtInt(c.eligible) + ' hộ nghèo, cận nghèo', 'total:any_rate'),
      kpi('kpi-conflicts', conflicts.count ? 'warn' : 'good', 'Xung đột chờ xử lý', 'Conflicts waiting', fmtInt(conflicts.count), null, 'conflicts:count'),
      kpi('kpi-devices', '', 'Thiết bị', 'Devices', fmtInt(devices.count), devices.devices[0] ? 'gần nhất ' + when(devices.devices[0].last_sync) : null, 'devices:count'));
  }

  function renderCharts(r) {
    const s = r.summary;
    const rows = s.rows.slice().sort((a, b) => b.poor - a.poor || naturally(a.unit.label, b.unit.label));
    const shown = rows.slice(0, 40);
    clear($('chart-units'), hbars(Math.min(widthOf($('chart-units')), 900), shown.map((row) => ({
      label: unitShort(row.unit), value: row.poor, cls: 'poor',
      text: fmtInt(row.poor) + ' (' + fmtPct(row.poor_rate, 1) + ')', fig: 'units:' + unitKey(row.unit) + ':poor',
    })), { title: 'poor by unit' }),
    rows.length > shown.length ? el('p', { class: 'note' }, `… và ${rows.length - shown.length} đơn vị khác (xem bảng) / and more in the table`) : null);

    clear($('chart-trend'), trend(widthOf($('chart-trend')), r.progress));
    const p = r.progress, base = p.total.baseline_poor;
    $('target-note').textContent = !p.baseline_year ? 'Chưa có tệp mục tiêu. / No targets file.'
      : base === null || base === undefined
        ? `Chưa có số hộ nghèo năm gốc ${p.baseline_year} cho đơn vị này (kế hoạch chỉ có số của tỉnh). ` +
          `No ${p.baseline_year} baseline for this unit (the plan gives the province's).`
        : `Năm gốc ${p.baseline_year}: ${fmtInt(base)} hộ nghèo` +
          (p.total.baseline_source === 'targets' ? ' (theo kế hoạch)' : ' (từ phiếu rà soát)') +
          `; mục tiêu giảm ${fmtPct(p.poor_reduction, 0)} đến ${p.target_year}. ` +
          `Baseline ${p.baseline_year}; target: ${fmtPct(p.poor_reduction, 0)} fewer by ${p.target_year}.`;
    if (p.total.status_text)
      $('target-note').textContent += ` ${p.total.status_text.vi} / ${p.total.status_text.en}`;

    const ind = r.indicators;
    clear($('chart-indicators'), hbars(widthOf($('chart-indicators')), ind.columns.filter((c) => c.type === 'count' && c.key !== 'households').map((c, i) => ({
      label: (i + 1) + '. ' + c.vi, value: ind.total[c.key], text: fmtInt(ind.total[c.key]) + ' (' + fmtPct(ind.total[c.key + '_rate']) + ')',
      fig: 'indicators:' + c.key,
    })), { labelW: 230 }));

    const ca = r.causes;
    clear($('chart-causes'), hbars(widthOf($('chart-causes')), ca.columns.filter((c) => c.type === 'count' && c.key !== 'poor' && c.key !== 'no_cause').map((c) => ({
      label: c.vi, value: ca.total[c.key], cls: 'poor', text: fmtInt(ca.total[c.key]) + ' (' + fmtPct(ca.total[c.key + '_rate']) + ')',
      fig: 'causes:' + c.key,
    })), { labelW: 200 }));

    const co = r.coverage;
    clear($('chart-coverage'), hbars(widthOf($('chart-coverage')), co.columns.filter((c) => c.type === 'rate' && c.key !== 'any_rate').map((c) => ({
      label: c.vi, value: co.total[c.key] || 0, text: fmtPct(co.total[c.key]), fig: 'coverage:' + c.key,
    })), { labelW: 210, max: 1, valueAtEnd: true, target: co.target_rate || 1,
      targetText: 'mục tiêu ' + fmtPct(co.target_rate || 1, 0) + ' / target' }));
  }

  function th(col) { return el('th', { class: col.type === 'text' ? '' : 'num' }, bi(col.vi, col.en)); }

  /* Rows in the order of their units: the server's (by code), villages
   * of a commune in their natural order (Thôn 2 before Thôn 10). */
  function ordered(rows) {
    const at = new Map(rows.map((r, i) => [r, i]));
    return rows.slice().sort((a, b) => {
      if (a.unit.level === 'village' && b.unit.level === 'village' && a.unit.code === b.unit.code)
        return naturally(a.unit.village, b.unit.village) || at.get(a) - at.get(b);
      return at.get(a) - at.get(b);
    });
  }

  /* The summary by unit: households listed and surveyed, those in
   * progress, each class with its rates, the progress the server judged
   * and, for a commune, its printable lists. */
  function renderSummary(s, prog, year, state) {
    const cols = s.columns.filter((c) => ['households', 'poor', 'near_poor', 'average'].includes(c.key));
    const hasListed = Object.prototype.hasOwnProperty.call(s.total, 'listed');
    const hasProgress = Object.prototype.hasOwnProperty.call(prog.total, 'status');
    const hasInProgress = Object.prototype.hasOwnProperty.call(s.total, 'in_progress');
    const status = new Map((prog.rows || []).map((row) => [unitKey(row.unit), row]));
    const commune = s.rows.some((row) => row.unit.level === 'commune');
    const line = (row, total) => {
      const key = total ? 'total' : unitKey(row.unit), pr = total ? prog.total : status.get(key);
      return el('tr', { class: total ? 'total' : '' },
        el('td', { class: 'unit' }, total ? bi('Tổng', 'Total') : row.unit.label),
        hasListed ? el('td', { class: 'num' }, el('span', { 'data-fig': `summary:${key}:listed`,
          title: row.listed === null ? window.saola.UNKNOWN_LISTED : null }, fmtInt(row.listed))) : null,
        cols.map((c) => el('td', { class: 'num' },
          el('span', { 'data-fig': `summary:${key}:${c.key}` }, fmtInt(row[c.key])),
          c.key !== 'households' ? el('div', {}, rates(row, c.key, true)) : null)),
        hasInProgress ? el('td', { class: 'num' }, el('span', { 'data-fig': `summary:${key}:in_progress` }, fmtInt(row.in_progress))) : null,
        hasProgress ? el('td', {}, pr ? statusBadge(pr, `progress:${key}:status`) : '—') : null,
        commune ? el('td', {}, !total && row.unit.level === 'commune' ? window.saola.listsLink(row.unit.code, year, state) : null) : null);
    };
    clear($('table-summary'),
      el('thead', {}, el('tr', {}, el('th', {}, bi('Đơn vị', 'Unit')),
        hasListed ? el('th', { class: 'num' }, bi('Hộ trong danh sách', 'Households listed')) : null,
        cols.map(th),
        hasInProgress ? el('th', { class: 'num' }, bi('Đang xử lý (nháp, chờ duyệt)', 'In progress, not counted')) : null,
        hasProgress ? el('th', {}, bi('Tiến độ mục tiêu', 'Target progress')) : null,
        commune ? el('th', {}, bi('Danh sách in', 'Printable lists')) : null)),
      el('tbody', {}, ordered(s.rows).map((row) => line(row, false)), line(s.total, true)));
    $('summary-note').textContent = (hasListed
      ? 'Tỷ lệ: trên tổng số hộ trong danh sách của đơn vị (— khi chưa biết số này); "rà soát": trên số hộ đã rà soát. '
        + 'Rates: of all households listed in the unit (— when unknown); "rà soát": of households surveyed.'
      : 'Tỷ lệ "rà soát": trên số hộ đã rà soát. Rates "rà soát": of households surveyed.');
  }

  function renderTransitions(t) {
    /* Short headers: the columns' own labels are long for a table. */
    const cols = [
      ['from_poor', 'Nghèo năm trước', 'Poor last year'],
      ['escaped_poverty_to_near_poor', 'Thoát nghèo, còn cận nghèo', 'Out of poverty, near-poor'],
      ['escaped_poverty_out', 'Thoát nghèo và cận nghèo', 'Out of both'],
      ['poor_not_surveyed', 'Hộ nghèo không còn rà soát', 'Poor, moved/died/merged'],
      ['near_poor_fell_into_poverty', 'Cận nghèo rơi vào nghèo', 'Near-poor fell into poverty'],
      ['escaped_near_poverty_out', 'Thoát cận nghèo', 'Out of near-poverty'],
      ['newly_poor', 'Nghèo phát sinh', 'Newly poor'],
      ['newly_near_poor', 'Cận nghèo phát sinh', 'Newly near-poor'],
      ['not_surveyed', 'Hộ không còn rà soát', 'Not surveyed again'],
      ['new_households', 'Hộ mới', 'New households'],
    ];
    const line = (row, total) => el('tr', { class: total ? 'total' : '' },
      el('td', { class: 'unit' }, total ? bi('Tổng', 'Total') : row.unit.label),
      cols.map(([k]) => el('td', { class: 'num', 'data-fig': 'transitions:' + (total ? 'total' : unitKey(row.unit)) + ':' + k }, fmtInt(row[k]))));
    clear($('table-transitions'),
      el('thead', {}, el('tr', {}, el('th', {}, bi(`Đơn vị (${t.from_year} → ${t.year})`, 'Unit')),
        cols.map(([, vi, en]) => el('th', { class: 'num' }, bi(vi, en))))),
      el('tbody', {}, ordered(t.rows).map((row) => line(row, false)), line(t.total, true)));
    $('transitions-note').textContent = (t.notes || []).map((n) => n.vi + ' ' + n.en).join(' ');
  }

  function renderConflicts(c) {
    /* Above the commune, personal fields are left out (docs/security.md):
     * head_name is null, and a personal path comes with "personal": true
     * and null values. */
    const value = (v) => (v === null || v === undefined ? '∅' : typeof v === 'string' ? v : JSON.stringify(v));
    clear($('conflicts'),
      el('p', {}, el('span', { class: 'count', 'data-fig': 'conflicts:list' }, fmtInt(c.count)), ' ',
        bi('đang chờ', 'open')),
      c.conflicts.map((x) => el('div', { class: 'conflict' },
        el('div', {}, (x.head_name || 'Hộ / Household ' + String(x.record_id || '').slice(0, 8)) + ' · ',
          el('span', { class: 'muted' }, [x.commune, x.village].filter(Boolean).join(' / '))),
        el('div', {}, el('span', { class: 'path' }, x.path), ': ', x.personal
          ? el('span', { class: 'muted' }, 'ẩn: dữ liệu cá nhân / hidden: personal data')
          : [el('span', { class: 'lost' }, value(x.lost_value)), ' → ', el('span', { class: 'kept' }, value(x.kept_value))]),
        el('div', { class: 'when' }, when(x.at) + (x.user ? ' · ' + x.user : '') + (x.device ? ' · ' + x.device : '')))),
      c.count > c.conflicts.length ? el('p', { class: 'note' }, `… ${fmtInt(c.count - c.conflicts.length)} xung đột khác / more`) : null);
  }

  function renderDevices(d) {
    clear($('table-devices'),
      el('thead', {}, el('tr', {}, el('th', {}, bi('Thiết bị', 'Device')), el('th', {}, bi('Người dùng', 'User')),
        el('th', {}, bi('Đồng bộ lần cuối', 'Last sync')))),
      el('tbody', {}, d.devices.length ? d.devices.map((x) => el('tr', {},
        el('td', {}, el('span', { class: 'path' }, x.device)),
        el('td', {}, x.user, el('div', { class: 'muted' }, (x.role || '') + (x.area ? ' · ' + x.area : ''))),
        el('td', {}, when(x.last_sync))))
        : el('tr', {}, el('td', { colspan: 3, class: 'muted' }, 'Chưa có thiết bị nào đồng bộ / No device has synced'))));
  }

  /* The query of the report asked: level, year and review states. */
  function query() {
    const year = $('year').value;
    return `?by=${encodeURIComponent($('by').value)}` + (year ? `&year=${encodeURIComponent(year)}` : '') +
      `&state=${encodeURIComponent($('state').value)}`;
  }

  /* Which figures the page shows: the review states the server says it
   * counted, and the households in progress left out of them. */
  function renderShows(state, total) {
    const names = STATES[state];
    clear($('shows'), state === undefined
      ? bi('Máy chủ không cho biết đã tính những phiếu nào.', 'The server did not say which records it counted.')
      : el('span', { 'data-fig': 'shows:state', 'data-state': state },
        bi('Đang hiển thị: ' + (names ? names[0] : state), 'Showing ' + (names ? names[1] : state))),
      state === 'approved' && total.in_progress !== undefined
        ? el('span', { class: 'block' }, bi(`Ngoài ra ${fmtInt(total.in_progress)} hộ đang xử lý (nháp, chờ duyệt) chưa được tính.`,
          `${fmtInt(total.in_progress)} more households in progress (draft, submitted) are not counted.`)) : null);
    $('shows').className = 'shows' + (state === 'approved' ? ' official' : ' unofficial');
  }

  async function load() {
    $('status').hidden = false;
    $('status').className = 'status';
    clear($('status'), 'Đang tải… ', el('small', { class: 'en' }, 'Loading…'));
    try {
      const [all, conflicts, devices] = await Promise.all([
        api('/v1/reports/all' + query()), api('/v1/conflicts?status=open&limit=5'), api('/v1/devices')]);
      const r = all.reports;
      const state = all.state !== undefined ? all.state : r.summary.state;
      last = r;
      renderShows(state, r.summary.total);
      window.saola.renderCompleteness($('completeness-body'),
        all.completeness || r.summary.completeness || r.progress.completeness || null, state);
      renderKpis(r, conflicts, devices);
      renderCharts(r);
      renderSummary(r.summary, r.progress, all.year, state);
      renderTransitions(r.transitions);
      renderConflicts(conflicts);
      renderDevices(devices);
      $('status').hidden = true;
      $('generated').textContent = `${LEVELS[all.by] ? 'theo ' + LEVELS[all.by].toLowerCase() : ''} · năm ${all.year} · ${new Date().toLocaleString('vi-VN')}`;
      document.body.setAttribute('data-loaded', String(all.year));
    } catch (e) {
      $('status').className = 'status error';
      $('status').textContent = 'Không tải được báo cáo / The report failed: ' + e.message;
    }
  }

  async function downloadCsv() {
    await window.saola.download('/v1/reports/all.csv' + query(), token,
      `saola-${index.area.code || 'all'}-${$('year').value}-${$('state').value}.csv`).catch(() => null);
  }

  /* A year without districts (units after 1 July 2025): no "by district"
   * (the server refuses it); the commune instead. */
  function fitLevels() {
    const none = (index.no_district_years || []).includes(Number($('year').value));
    const district = Array.from($('by').options).find((o) => o.value === 'district');
    if (!district) return;
    if (none && $('by').value === 'district') $('by').value = 'commune';
    district.disabled = none;
  }

  async function start() {
    $('login').hidden = true;
    try {
      index = await api('/v1/reports');
    } catch (e) {
      if (token) signOut('Không kết nối được máy chủ / The server did not answer: ' + e.message);
      return;
    }
    $('app').hidden = false;
    $('who').hidden = false;
    $('who-name').textContent = `${index.user.name} (${index.user.role})`;
    clear($('area-title'), index.area.label, ' ', el('small', { class: 'en' }, index.area.level));
    const years = index.years.length ? index.years.slice().reverse() : [new Date().getFullYear()];
    clear($('year'), years.map((y) => el('option', { value: y }, y)));
    const levels = ['province', 'district', 'commune', 'village'];
    const from = levels.indexOf(index.area.level);
    for (const o of Array.from($('by').options)) o.hidden = levels.indexOf(o.value) < from;
    $('by').value = index.default_by;
    fitLevels();
    /* A link may ask for other review states: /?state=all. */
    const asked = new URLSearchParams(location.search).get('state');
    if (asked && STATES[asked]) $('state').value = asked;
    await load();
  }

  function init() {
    $('login-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = $('token').value.trim();
      if (!/^[0-9a-fA-F]{64}$/.test(t)) {
        $('login-error').hidden = false;
        $('login-error').textContent = 'Mã gồm 64 ký tự 0-9, a-f. / A token is 64 hex digits.';
        return;
      }
      sessionStorage.setItem(KEY, t);
      token = t;
      $('token').value = '';
      start();
    });
    $('logout').addEventListener('click', () => signOut(null));
    $('year').addEventListener('change', () => { fitLevels(); load(); });
    $('by').addEventListener('change', load);
    $('state').addEventListener('change', load);
    $('csv').addEventListener('click', downloadCsv);
    let timer = null;
    window.addEventListener('resize', () => {
      clearTimeout(timer);
      timer = setTimeout(() => { if (last) renderCharts(last); }, 150);
    });
    token = takeToken();
    if (token) start(); else signOut(null);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
