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

  if (page === 'process') { initProcess(); }
  else if (page === 'job') { initJob(); }
  else if (page === 'results') { initResults(); }
  else { stratus.ready = true; }
})();
