/*
 * Stratus pages: the execute form, the live job page and the results map. Plain ES2017, no
 * build step, no network beyond this server. Every value from the server is written with
 * textContent (never innerHTML). State for tests and debugging is kept on window.stratus.
 */
(function () {
  'use strict';

  var stratus = (window.stratus = { map: null, layers: [], bbox: {}, job: null, ready: false });
  var dataEl = document.getElementById('page-data');
  var data = dataEl ? JSON.parse(dataEl.textContent) : {};
  var page = document.body.getAttribute('data-page');
  var TERMINAL = ['successful', 'failed', 'dismissed'];
  var CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

  function $(id) { return document.getElementById(id); }

  function makeMap(el) {
    var map = L.map(el, { worldCopyJump: true, zoomSnap: 0.25 });
    var basemap = document.body.getAttribute('data-basemap');
    if (basemap) {
      L.tileLayer(basemap, { maxZoom: 19 }).addTo(map);
    }
    map.setView([20, 0], 2);
    stratus.map = map;
    return map;
  }

  function round(x) { return Math.round(x * 1e5) / 1e5; }

  /* ---- execute form ---------------------------------------------------------------- */

  function lines(text) {
    return text.split(/\r?\n/).map(function (s) { return s.trim(); }).filter(function (s) { return s !== ''; });
  }

  function readBbox(field) {
    var b;
    if (field.getAttribute('data-kind') === 'bbox') {
      b = Array.prototype.map.call(field.querySelectorAll('input[data-bbox]'), function (i) {
        return i.value.trim() === '' ? NaN : Number(i.value);
      });
    } else {
      var text = field.querySelector('input').value.trim();
      b = text === '' ? [] : text.split(',').map(function (s) { return Number(s.trim()); });
    }
    if (b.length !== 4 || b.some(function (x) { return !isFinite(x); })) { return null; }
    return b;
  }

  function writeBbox(field, b) {
    b = b.map(round);
    if (field.getAttribute('data-kind') === 'bbox') {
      field.querySelectorAll('input[data-bbox]').forEach(function (i) {
        i.value = String(b[Number(i.getAttribute('data-bbox'))]);
      });
    } else {
      field.querySelector('input').value = b.join(',');
    }
  }

  function valueOf(field) {
    var kind = field.getAttribute('data-kind');
    var c = field.querySelector('input, select, textarea');
    var values;
    switch (kind) {
      case 'string':
        return c.value === '' ? undefined : c.value;
      case 'integer':
      case 'number':
        if (c.value === '') { return undefined; }
        if (!isFinite(Number(c.value))) { throw new Error('not a number'); }
        return Number(c.value);
      case 'boolean':
        return c.checked;
      case 'string-list':
      case 'number-list':
        values = c.tagName === 'SELECT'
          ? Array.prototype.filter.call(c.options, function (o) { return o.selected; }).map(function (o) { return o.value; })
          : lines(c.value);
        if (kind === 'number-list') {
          values = values.map(function (v) {
            if (!isFinite(Number(v))) { throw new Error('"' + v + '" is not a number'); }
            return Number(v);
          });
        }
        return values.length ? values : undefined;
      case 'bbox': {
        var b = readBbox(field);
        return b ? { bbox: b, crs: CRS84 } : undefined;
      }
      case 'bbox-string':
        return c.value.trim() === '' ? undefined : c.value.trim();
      default:
        if (c.value.trim() === '') { return undefined; }
        try { return JSON.parse(c.value); } catch (e) { throw new Error('not valid JSON'); }
    }
  }

  function startDraw(map, button, done) {
    var el = map.getContainer();
    var start = null;
    var rect = null;
    function down(e) {
      start = e.latlng;
      rect = L.rectangle(L.latLngBounds(start, start), { color: '#b45309', weight: 2 }).addTo(map);
    }
    function move(e) { if (start) { rect.setBounds(L.latLngBounds(start, e.latlng)); } }
    function up(e) {
      if (!start) { return; }
      var b = L.latLngBounds(start, e.latlng);
      map.removeLayer(rect);
      stop();
      if (b.getWest() !== b.getEast() && b.getSouth() !== b.getNorth()) {
        done([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]);
      }
    }
    function stop() {
      map.off('mousedown', down).off('mousemove', move).off('mouseup', up);
      map.dragging.enable();
      el.classList.remove('drawing');
      button.setAttribute('aria-pressed', 'false');
      start = null;
    }
    if (button.getAttribute('aria-pressed') === 'true') { stop(); return; }
    button.setAttribute('aria-pressed', 'true');
    el.classList.add('drawing');
    map.dragging.disable();
    map.on('mousedown', down).on('mousemove', move).on('mouseup', up);
  }

  function initProcess() {
    var form = $('execute-form');
    if (!form) { return; }
    var mapEl = $('map');
    var map = mapEl && window.L ? makeMap(mapEl) : null;
    var rects = {};
    form.querySelectorAll('.field[data-kind="bbox"], .field[data-kind="bbox-string"]').forEach(function (field) {
      var id = field.getAttribute('data-input');
      function show() {
        var b = readBbox(field);
        stratus.bbox[id] = b;
        if (!map) { return; }
        if (rects[id]) { map.removeLayer(rects[id]); delete rects[id]; }
        if (b) {
          rects[id] = L.rectangle([[b[1], b[0]], [b[3], b[2]]], { color: '#0b57d0', weight: 2 }).addTo(map);
          map.fitBounds(rects[id].getBounds(), { maxZoom: 12, padding: [20, 20] });
        }
      }
      field.addEventListener('change', show);
      show();
      var button = field.querySelector('button.draw');
      if (button) {
        button.setAttribute('aria-pressed', 'false');
        if (!map) { button.hidden = true; return; }
        button.addEventListener('click', function () {
          startDraw(map, button, function (b) { writeBbox(field, b); show(); });
        });
      }
    });
    stratus.ready = true;
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      submit(form);
    });
  }

  function submit(form) {
    var status = $('execute-status');
    var button = form.querySelector('button[type="submit"]');
    var inputs = {};
    var problems = [];
    form.querySelectorAll('.field[data-input]').forEach(function (f) {
      var id = f.getAttribute('data-input');
      try {
        var v = valueOf(f);
        if (v !== undefined) { inputs[id] = v; }
        else if (f.getAttribute('data-required') === 'true') { problems.push(id + ' is required'); }
      } catch (e) {
        problems.push(id + ': ' + e.message);
      }
    });
    status.className = '';
    if (problems.length) {
      status.className = 'error';
      status.textContent = problems.join('; ');
      return;
    }
    var headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (data.async) { headers.Prefer = 'respond-async'; }
    button.disabled = true;
    status.textContent = 'Submitting…';
    fetch(data.execute, { method: 'POST', headers: headers, body: JSON.stringify({ inputs: inputs }) })
      .then(function (r) {
        return r.text().then(function (text) { return { r: r, text: text }; });
      })
      .then(function (x) {
        var body = null;
        try { body = JSON.parse(x.text); } catch (e) { body = null; }
        if (x.r.status === 201 && body && body.jobID) {
          var loc = x.r.headers.get('Location') || (data.jobs + '/' + encodeURIComponent(body.jobID));
          status.textContent = 'Job ' + body.jobID + ' accepted; opening its page…';
          window.location.href = loc + (loc.indexOf('?') < 0 ? '?' : '&') + 'f=html';
          return;
        }
        button.disabled = false;
        if (x.r.ok) {
          status.textContent = 'Done (synchronous execution):';
          var pre = document.createElement('pre');
          pre.textContent = body ? JSON.stringify(body, null, 2) : x.text;
          status.appendChild(pre);
          return;
        }
        status.className = 'error';
        status.textContent = 'Execution refused (' + x.r.status + '): ' + ((body && (body.detail || body.title)) || x.text);
      })
      .catch(function (e) {
        button.disabled = false;
        status.className = 'error';
        status.textContent = 'Could not reach the server: ' + e.message;
      });
  }

  /* ---- job page -------------------------------------------------------------------- */

  function short(t) { return t ? String(t).replace('T', ' ').replace(/Z$/, '') : ''; }

  function renderJob(d) {
    stratus.job = d;
    var badge = document.createElement('span');
    badge.className = 'badge';
    badge.setAttribute('data-status', d.status);
    badge.textContent = d.status;
    var status = $('job-status');
    status.replaceChildren(badge);
    var p = Math.max(0, Math.min(100, Number(d.progress) || 0));
    $('job-progress').value = p;
    $('job-progress').textContent = p + ' %';
    $('job-progress-text').textContent = p + ' %';
    var items = d['stratus:items'];
    $('job-items').textContent = items ? items.done + ' of ' + items.total + ' done' : '—';
    $('job-message').textContent = d.message || '';
    $('job-created').textContent = short(d.created);
    $('job-started').textContent = short(d.started);
    $('job-finished').textContent = short(d.finished);
    $('job-updated').textContent = short(d.updated);
    var err = $('job-error');
    err.hidden = d.status !== 'failed';
    err.textContent = d.status === 'failed' ? (d.message || 'the job failed') : '';
    $('job-results').hidden = d.status !== 'successful';
    $('job-dismiss').textContent = TERMINAL.indexOf(d.status) >= 0 ? 'Delete job' : 'Dismiss job';
  }

  function initJob() {
    var timer = null;
    var stopped = false;
    renderJob(data.document);
    function poll() {
      fetch(data.status, { headers: { Accept: 'application/json' }, cache: 'no-store' })
        .then(function (r) {
          if (r.status === 404) { stopped = true; $('job-action-status').textContent = 'This job no longer exists.'; return null; }
          return r.json();
        })
        .then(function (d) {
          if (!d || stopped) { return; }
          renderJob(d);
          if (TERMINAL.indexOf(d.status) < 0) { timer = setTimeout(poll, 1000); }
        })
        .catch(function () { if (!stopped) { timer = setTimeout(poll, 3000); } });
    }
    if (TERMINAL.indexOf(data.document.status) < 0) { timer = setTimeout(poll, 500); }
    stratus.ready = true;
    var button = $('job-dismiss');
    button.addEventListener('click', function () {
      var wasTerminal = TERMINAL.indexOf(stratus.job.status) >= 0;
      button.disabled = true;
      fetch(button.getAttribute('data-url'), { method: 'DELETE', headers: { Accept: 'application/json' } })
        .then(function (r) { return r.json().then(function (d) { return { r: r, d: d }; }); })
        .then(function (x) {
          var note = $('job-action-status');
          if (!x.r.ok) {
            button.disabled = false;
            note.textContent = 'Could not dismiss: ' + (x.d.detail || x.r.status);
            return;
          }
          stopped = true;
          if (timer) { clearTimeout(timer); }
          renderJob(x.d);
          note.textContent = wasTerminal ? 'Job deleted with its outputs. ' : 'Job dismissed: it stopped and its outputs were removed. ';
          var back = document.createElement('a');
          back.href = data.jobs;
          back.textContent = 'Back to the jobs';
          note.appendChild(back);
        })
        .catch(function (e) {
          button.disabled = false;
          $('job-action-status').textContent = 'Could not reach the server: ' + e.message;
        });
    });
  }

  /* ---- results map ----------------------------------------------------------------- */

  function initResults() {
    var el = $('map');
    if (!el || !window.L) { stratus.ready = true; return; }
    var map = makeMap(el);
    var all = L.latLngBounds([]);
    var overlays = {};
    (data.layers || []).forEach(function (l) {
      var group = L.layerGroup();
      var entry = { id: l.id, output: l.output, bbox: l.bbox, images: [] };
      if (l.geometry) {
        var fp = L.geoJSON(l.geometry, { style: { color: '#b45309', weight: 2, fill: false } }).addTo(group);
        entry.footprint = fp;
        all.extend(fp.getBounds());
      }
      if (l.bbox) {
        var b = L.latLngBounds([l.bbox[1], l.bbox[0]], [l.bbox[3], l.bbox[2]]);
        (l.quicklooks || []).forEach(function (q) {
          var image = { asset: q.asset, url: q.url, loaded: false, failed: false };
          image.layer = L.imageOverlay(q.url, b, { opacity: 0.9, alt: 'Quicklook of ' + l.id + ', asset ' + q.asset })
            .on('load', function () { image.loaded = true; })
            .on('error', function () { image.failed = true; })
            .addTo(group);
          entry.images.push(image);
        });
        all.extend(b);
      }
      group.addTo(map);
      overlays[l.id] = group;
      stratus.layers.push(entry);
    });
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    L.control.scale().addTo(map);
    if (all.isValid()) { map.fitBounds(all, { padding: [20, 20] }); }
    stratus.ready = true;
  }


  /* ---- ingestion dashboard ---------------------------------------------------------- */

  var STATUSES = ['NEW', 'PENDING', 'DONE', 'RETRY', 'FAILED'];
  var COLORS = { gray: '#6b7280', blue: '#1d4ed8', orange: '#c2410c', green: '#15803d', red: '#b91c1c' };

  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }

  function ingestBadge(status) {
    return el('span', status, { class: 'badge', 'data-status': String(status).toLowerCase() });
  }

  /** The counts of `GET /aoi/{aoi}`'s text summary: {scenes: {new, ...}, tiles: {...}}. */
  function parseSummary(text) {
    var out = { scenes: {}, tiles: {} };
    var section = null;
    text.split('\n').forEach(function (line) {
      var m = /^(Scenes|Tiles):/.exec(line);
      if (m) { section = m[1].toLowerCase(); return; }
      var c = /^\s+(new|pending|done|retry|failed|total):\s+(\d+)/i.exec(line);
      if (c && section) { out[section][c[1].toLowerCase()] = Number(c[2]); }
    });
    return out;
  }

  /** Nodes and edges of the dot output (`s1 [label="..." color=green]`, `s1 -> t2`). */
  function parseDot(text) {
    var nodes = {};
    var edges = [];
    text.split('\n').forEach(function (line) {
      var n = /^\s*([st])(\d+) \[label="((?:[^"\\]|\\.)*)"[^\]]*?color=(\w+)/.exec(line);
      if (n) {
        nodes[n[1] + n[2]] = { id: n[1] + n[2], kind: n[1], num: Number(n[2]), label: n[3].replace(/\\n/g, ' ').replace(/\\(.)/g, '$1'), color: n[4] };
        return;
      }
      var e = /^\s*([st]\d+) -> ([st]\d+)/.exec(line);
      if (e) { edges.push({ from: e[1], to: e[2], dotted: /style=dotted/.test(line) }); }
    });
    return { nodes: nodes, edges: edges };
  }

  /** Lays the graph out (a column per scene, a row per tile chain) and draws it as SVG. */
  function drawGraph(container, g) {
    var NS = 'http://www.w3.org/2000/svg';
    var scenes = Object.keys(g.nodes).map(function (k) { return g.nodes[k]; })
      .filter(function (n) { return n.kind === 's'; }).sort(function (a, b) { return a.num - b.num; });
    var col = {};
    scenes.forEach(function (s, i) { col[s.id] = i; });
    var prev = {};
    var sceneOf = {};
    g.edges.forEach(function (e) {
      if (e.from[0] === 't' && e.to[0] === 't') { prev[e.to] = e.from; }
      if (e.from[0] === 's' && e.to[0] === 't') { sceneOf[e.to] = e.from; }
    });
    function root(t) { var seen = 0; while (prev[t] && seen < 10000) { t = prev[t]; seen += 1; } return t; }
    var rows = {};
    var nrows = 0;
    var pos = {};
    scenes.forEach(function (s) { pos[s.id] = { x: col[s.id], y: 0 }; });
    Object.keys(g.nodes).filter(function (k) { return k[0] === 't'; })
      .sort(function (a, b) { return g.nodes[a].num - g.nodes[b].num; })
      .forEach(function (t) {
        var r = root(t);
        if (rows[r] === undefined) { nrows += 1; rows[r] = nrows; }
        pos[t] = { x: col[sceneOf[t]] !== undefined ? col[sceneOf[t]] : 0, y: rows[r] };
      });
    var W = 170, H = 56, PAD = 12;
    var width = Math.max(1, scenes.length) * W + PAD * 2;
    var height = (nrows + 1) * H + PAD * 2;
    var svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    svg.setAttribute('width', String(width));
    svg.setAttribute('height', String(height));
    function at(id) { var p = pos[id]; return { x: PAD + p.x * W + W / 2, y: PAD + p.y * H + H / 2 }; }
    g.edges.forEach(function (e) {
      if (!pos[e.from] || !pos[e.to]) { return; }
      var a = at(e.from), b = at(e.to);
      var line = document.createElementNS(NS, 'line');
      line.setAttribute('x1', a.x); line.setAttribute('y1', a.y);
      line.setAttribute('x2', b.x); line.setAttribute('y2', b.y);
      line.setAttribute('stroke', e.from[0] === 's' ? '#9ca3af' : '#374151');
      line.setAttribute('stroke-width', e.from[0] === 's' ? '1' : '2');
      if (e.dotted) { line.setAttribute('stroke-dasharray', '4 3'); }
      svg.appendChild(line);
    });
    Object.keys(pos).forEach(function (id) {
      var n = g.nodes[id];
      var c = at(id);
      var grp = document.createElementNS(NS, 'g');
      grp.setAttribute('data-node', id);
      var title = document.createElementNS(NS, 'title');
      title.textContent = n.label;
      grp.appendChild(title);
      var shape = document.createElementNS(NS, n.kind === 's' ? 'rect' : 'ellipse');
      if (n.kind === 's') {
        shape.setAttribute('x', c.x - W / 2 + 6); shape.setAttribute('y', c.y - H / 2 + 8);
        shape.setAttribute('width', W - 12); shape.setAttribute('height', H - 16);
      } else {
        shape.setAttribute('cx', c.x); shape.setAttribute('cy', c.y);
        shape.setAttribute('rx', W / 2 - 10); shape.setAttribute('ry', H / 2 - 10);
      }
      shape.setAttribute('fill', '#ffffff');
      shape.setAttribute('stroke', COLORS[n.color] || '#111827');
      shape.setAttribute('stroke-width', '3');
      grp.appendChild(shape);
      var text = document.createElementNS(NS, 'text');
      text.setAttribute('x', c.x); text.setAttribute('y', c.y + 4);
      text.setAttribute('text-anchor', 'middle');
      text.setAttribute('font-size', '11');
      text.textContent = n.label.length > 24 ? n.label.slice(0, 23) + '…' : n.label;
      grp.appendChild(text);
      svg.appendChild(grp);
    });
    container.replaceChildren(svg);
    return { nodes: Object.keys(pos).length, edges: g.edges.length, rows: nrows, columns: scenes.length };
  }

  function initIngestion() {
    var base = data.base;
    var map = window.L ? makeMap($('map')) : null;
    var footprints = null;
    var current = null;
    var note = $('ingest-status');
    stratus.ingestion = { aois: [], graph: null, footprints: 0 };

    function api(method, path) {
      return fetch(base + path, { method: method, headers: { Accept: 'application/json' }, cache: 'no-store' })
        .then(function (r) {
          return r.text().then(function (t) {
            if (!r.ok) { throw new Error(method + ' ' + path + ': ' + r.status + ' ' + t); }
            var type = r.headers.get('Content-Type') || '';
            return type.indexOf('json') >= 0 && t ? JSON.parse(t) : t;
          });
        });
    }
    function act(method, path, what) {
      note.textContent = what + '…';
      return api(method, path).then(function (res) {
        note.textContent = what + ': done' + (res && typeof res === 'object' ? ' ' + JSON.stringify(res) : '');
        return refresh();
      }).catch(function (e) { note.textContent = what + ' failed: ' + e.message; });
    }
    function button(label, onClick) {
      var b = el('button', label, { type: 'button' });
      b.addEventListener('click', onClick);
      return b;
    }
    function counts(c) {
      return ['new', 'pending', 'done', 'retry', 'failed'].map(function (k) { return c[k] || 0; }).join(' / ');
    }
    function loadAois() {
      return api('GET', '/aoi/').then(function (aois) {
        aois = aois || [];
        $('aois-empty').hidden = aois.length > 0;
        return Promise.all(aois.map(function (a) {
          return api('GET', '/aoi/' + encodeURIComponent(a.ID)).then(function (t) { return { id: a.ID, status: a.status, counts: parseSummary(t), summary: t }; });
        }));
      }).then(function (rows) {
        stratus.ingestion.aois = rows;
        var body = $('aois').querySelector('tbody');
        body.replaceChildren.apply(body, rows.map(function (a) {
          var tr = el('tr', null, { 'data-aoi': a.id });
          var name = el('td');
          name.appendChild(button(a.id, function () { open(a.id); }));
          tr.appendChild(name);
          var st = el('td'); st.appendChild(ingestBadge(a.status)); tr.appendChild(st);
          tr.appendChild(el('td', counts(a.counts.scenes), { 'data-counts': 'scenes' }));
          tr.appendChild(el('td', counts(a.counts.tiles), { 'data-counts': 'tiles' }));
          var actions = el('td');
          actions.appendChild(button('Retry', function () { act('PUT', '/aoi/' + encodeURIComponent(a.id) + '/retry', 'Retry ' + a.id); }));
          actions.appendChild(document.createTextNode(' '));
          actions.appendChild(button('Force retry', function () { act('PUT', '/aoi/' + encodeURIComponent(a.id) + '/retry/force', 'Force retry ' + a.id); }));
          tr.appendChild(actions);
          return tr;
        }));
        return rows;
      });
    }
    function sceneRow(s) {
      var tr = el('tr', null, { 'data-scene': s.id });
      tr.appendChild(el('td', s.id));
      tr.appendChild(el('td', s.source_id));
      tr.appendChild(el('td', short(s.data && s.data.date)));
      var st = el('td'); st.appendChild(ingestBadge(s.status)); tr.appendChild(st);
      tr.appendChild(el('td', s.message, { class: 'message' }));
      var actions = el('td');
      actions.appendChild(button('Retry', function () { act('PUT', '/scene/' + s.id + '/retry', 'Retry scene ' + s.id); }));
      actions.appendChild(document.createTextNode(' '));
      actions.appendChild(button('Fail', function () { act('PUT', '/scene/' + s.id + '/fail', 'Fail scene ' + s.id); }));
      tr.appendChild(actions);
      return tr;
    }
    function tileRow(t) {
      var tr = el('tr', null, { 'data-tile': t.id });
      tr.appendChild(el('td', t.id));
      tr.appendChild(el('td', t.source_id));
      tr.appendChild(el('td', t.scene ? t.scene.source_id : ''));
      tr.appendChild(el('td', t.PreviousID === null || t.PreviousID === undefined ? '—' : t.PreviousID));
      var st = el('td'); st.appendChild(ingestBadge(t.status)); tr.appendChild(st);
      tr.appendChild(el('td', t.message, { class: 'message' }));
      var actions = el('td');
      actions.appendChild(button('Retry', function () { act('PUT', '/tile/' + t.id + '/retry', 'Retry tile ' + t.id); }));
      actions.appendChild(document.createTextNode(' '));
      actions.appendChild(button('Fail', function () { act('PUT', '/tile/' + t.id + '/fail', 'Fail tile ' + t.id); }));
      tr.appendChild(actions);
      return tr;
    }
    function loadDetail() {
      if (!current) { return Promise.resolve(); }
      var aoi = encodeURIComponent(current);
      var sf = $('scene-filter').value;
      var tf = $('tile-filter').value;
      var scenes = api('GET', '/aoi/' + aoi + '/scenes' + (sf ? '/' + sf : ''));
      var tiles = Promise.all((tf ? [tf] : STATUSES).map(function (s) { return api('GET', '/aoi/' + aoi + '/tiles/' + s); }))
        .then(function (lists) { return [].concat.apply([], lists.map(function (l) { return l || []; })).sort(function (a, b) { return a.id - b.id; }); });
      var summary = api('GET', '/aoi/' + aoi);
      var dot = api('GET', '/aoi/' + aoi + '/dot');
      var records = api('GET', '/records?aoi=' + aoi).catch(function () { return []; });
      return Promise.all([scenes, tiles, summary, dot, records]).then(function (r) {
        var sb = $('scenes').querySelector('tbody');
        sb.replaceChildren.apply(sb, (r[0] || []).map(sceneRow));
        var tb = $('tiles').querySelector('tbody');
        tb.replaceChildren.apply(tb, r[1].map(tileRow));
        $('aoi-summary').textContent = r[2];
        stratus.ingestion.graph = drawGraph($('chain-graph'), parseDot(r[3]));
        showFootprints(r[4]);
      });
    }
    function geometries(v, out) {
      if (!v || typeof v !== 'object') { return out; }
      if (['Polygon', 'MultiPolygon'].indexOf(v.type) >= 0 && v.coordinates) { out.push(v); return out; }
      Object.keys(v).forEach(function (k) { geometries(v[k], out); });
      return out;
    }
    function showFootprints(records) {
      if (!map) { return; }
      if (footprints) { map.removeLayer(footprints); }
      var geoms = geometries(records, []);
      footprints = L.geoJSON({ type: 'GeometryCollection', geometries: geoms }, { style: { color: '#b45309', weight: 2, fillOpacity: 0.1 } }).addTo(map);
      stratus.ingestion.footprints = geoms.length;
      if (geoms.length) { map.fitBounds(footprints.getBounds(), { padding: [20, 20] }); }
    }
    function open(aoi) {
      current = aoi;
      $('aoi-detail').hidden = false;
      $('aoi-title').textContent = 'AOI ' + aoi;
      if (map) { map.invalidateSize(); }
      return loadDetail().catch(function (e) { note.textContent = e.message; });
    }
    function refresh() {
      return loadAois().then(loadDetail).catch(function (e) { note.textContent = e.message; });
    }
    $('scene-filter').addEventListener('change', loadDetail);
    $('tile-filter').addEventListener('change', loadDetail);
    stratus.ingestion.open = open;
    stratus.ingestion.refresh = refresh;
    loadAois().then(function () { stratus.ready = true; }).catch(function (e) { note.textContent = e.message; stratus.ready = true; });
  }

  if (page === 'process') { initProcess(); }
  else if (page === 'job') { initJob(); }
  else if (page === 'results') { initResults(); }
  else if (page === 'ingestion') { initIngestion(); }
  else { stratus.ready = true; }
})();
