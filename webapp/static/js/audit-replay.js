// The auditor's replay: a slider picks a step; the diagram, who acted, the data and the diff follow it.
// Everything shown is built with textContent: case data never becomes markup.
(function () {
  "use strict";
  var root = document.getElementById("putar-ulang");
  if (!root) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var times = JSON.parse(root.dataset.times || "{}");      // event seq -> local time, as the server writes it
  var titles = JSON.parse(root.dataset.titles || "{}");    // element id -> task title
  var eventTitles = JSON.parse(root.dataset.events || "{}");
  var people = JSON.parse(root.dataset.people || "{}");    // actor -> full name ("Sistem (CLI: root)" for the CLI)
  var fields = JSON.parse(root.dataset.fields || "{}");    // the forms' titles, by dotted path without list indices
  var labels = fields.labels || {};                        // korban.jenis_kelamin -> "Jenis kelamin"
  var valueTitles = fields.values || {};                   // korban.jenis_kelamin -> {laki_laki: "Laki-laki"}
  var CHANGES = { added: "Ditambahkan", removed: "Dihapus", changed: "Diubah" };
  var slider = $("langkah");
  var replay = null;
  var diagram = { viewer: null, marked: [], shown: null, loading: null };

  function element(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function title(id) { return titles[id] || id; }

  function isIndex(part) { return /^\d+$/.test(part); }
  function schemaPath(path) { return path.split(".").filter(function (p) { return !isIndex(p); }).join("."); }

  // A field no form names (set by the diagram's scripts or the engine) reads as its key in words.
  function humanize(key) { var words = key.replace(/_/g, " "); return words.charAt(0).toUpperCase() + words.slice(1); }

  // A data path in words: korban.0.jenis_kelamin -> "Korban 1 › Jenis kelamin".
  function fieldTitle(path) {
    var words = [];
    var schema = [];
    path.split(".").forEach(function (part) {
      if (isIndex(part) && words.length) { words[words.length - 1] += " " + (Number(part) + 1); return; }
      schema.push(part);
      words.push(labels[schema.join(".")] || humanize(part));
    });
    return words.join(" › ");
  }

  // The field's title, with its key beside it in small type (and as a tooltip): auditors may need the key.
  function fieldCell(path) {
    var cell = element("span", fieldTitle(path));
    cell.title = path;
    if (cell.textContent !== path) {
      cell.appendChild(document.createTextNode(" "));
      cell.appendChild(element("code", path, "kunci"));
    }
    return cell;
  }

  // A value in words, enum values by their form titles; `path` is its field's dotted path.
  function plain(value, path) {
    var field = schemaPath(path || "");
    if (value === undefined) { return ""; }
    if (value === null) { return "—"; }
    if (value === "" || (Array.isArray(value) && !value.length)) { return "(kosong)"; }
    if (value === true) { return "ya"; }
    if (value === false) { return "tidak"; }
    if (Array.isArray(value)) {
      var objects = value.some(isObject);
      return value.map(function (v) { return plain(v, field); }).join(objects ? "; " : ", ");
    }
    if (typeof value === "object") {
      return Object.keys(value).map(function (key) {
        var inner = field ? field + "." + key : key;
        return (labels[inner] || humanize(key)) + ": " + plain(value[key], inner);
      }).join(", ");
    }
    return (valueTitles[field] || {})[String(value)] || String(value);
  }

  // Nested data as rows of dotted paths (korban.0.nama), the same paths the diff uses.
  function flatten(value, prefix, rows) {
    var isList = Array.isArray(value);
    if (value !== null && typeof value === "object" && (isList ? value.some(isObject) : true)) {
      Object.keys(value).sort(isList ? byNumber : undefined).forEach(function (key) {
        flatten(value[key], prefix ? prefix + "." + key : key, rows);
      });
      if (!Object.keys(value).length && prefix) { rows.push([prefix, "(kosong)"]); }
    } else {
      rows.push([prefix, plain(value, prefix)]);
    }
    return rows;
  }
  function isObject(v) { return v !== null && typeof v === "object"; }
  function byNumber(a, b) { return Number(a) - Number(b); }

  // Rows of text cells; each cell carries its column's name, shown when a phone stacks the table.
  function fill(body, rows) {
    var labels = Array.prototype.map.call(body.parentNode.querySelectorAll("thead th"), function (th) {
      return th.textContent;
    });
    body.replaceChildren.apply(body, rows.map(function (cells) {
      var row = element("tr", undefined, cells.className);
      cells.forEach(function (cell, i) {
        var td = element("td", typeof cell === "string" ? cell : undefined);
        if (typeof cell !== "string") { td.appendChild(cell); }
        td.dataset.label = labels[i];
        row.appendChild(td);
      });
      return row;
    }));
  }

  function show(n) {
    var steps = replay.steps;
    var step = steps[n - 1];
    var text = "Langkah " + n + " dari " + replay.total_steps;
    slider.value = String(n);
    slider.setAttribute("aria-valuetext", text);
    $("langkah-teks").textContent = text;
    $("langkah-sebelum").disabled = n <= 1;
    $("langkah-sesudah").disabled = n >= steps.length;
    $("langkah-peristiwa").textContent = (eventTitles[step.type] || step.type) + (step.element ? " — " + title(step.element) : "");
    $("langkah-oleh").textContent = people[step.actor] || step.actor;
    $("langkah-waktu").textContent = times[String(step.seq)] || step.at;
    $("langkah-siap").textContent = step.ready.length ? step.ready.map(title).join(", ") : "tidak ada";
    var changed = {};
    fill($("langkah-selisih"), step.changes.map(function (c) {
      changed[c.path] = true;
      return [fieldCell(c.path), CHANGES[c.change] || c.change, plain(c.before, c.path), plain(c.after, c.path)];
    }));
    $("langkah-tanpa-selisih").hidden = step.changes.length > 0;
    fill($("langkah-data"), flatten(step.data, "", []).map(function (row) {
      var path = row[0];
      var touched = Object.keys(changed).some(function (p) { return path === p || path.indexOf(p + ".") === 0; });
      var cells = [fieldCell(path), row[1]];
      if (touched) { cells.className = "berubah"; }
      return cells;
    }));
    document.querySelectorAll("tr[data-seq]").forEach(function (row) {
      row.classList.toggle("terpilih", row.dataset.seq === String(step.seq));
    });
    if (diagram.viewer && step.definition_id && step.definition_id !== diagram.shown) {
      loadDiagram(step.definition_id);  // a migration moved the case: show the version of this step
    } else {
      mark(step);
    }
  }

  function mark(step) {
    if (!diagram.viewer) { return; }
    var canvas = diagram.viewer.get("canvas");
    var registry = diagram.viewer.get("elementRegistry");
    diagram.marked.forEach(function (m) { canvas.removeMarker(m[0], m[1]); });
    diagram.marked = [];
    [["selesai", step.completed], ["aktif", step.ready]].forEach(function (pair) {
      pair[1].forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, pair[0]); diagram.marked.push([id, pair[0]]); }
      });
    });
    $("diagram-langkah").dataset.step = String(step.n);
  }

  // Load the diagram of a version (by definition id; none: the case's current one) and mark the
  // selected step on it. A step of another version loads that version's diagram in its place.
  function loadDiagram(definitionId) {
    var container = $("diagram-langkah");
    if (!window.BpmnJS) { container.textContent = "Diagram tidak dapat ditampilkan."; return; }
    if (diagram.loading === definitionId) { return; }
    diagram.loading = definitionId;
    var viewer = diagram.viewer || new window.BpmnJS({ container: container });
    var url = definitionId ? root.dataset.versions + definitionId : root.dataset.diagram;
    container.dataset.ready = "false";
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var fitter = window.MediasiDiagram;  // diagram-fit.js: the box fits the diagram, with zoom buttons
        if (!fitter) {
          viewer.get("canvas").zoom("fit-viewport");
        } else if (diagram.viewer) {
          fitter.fit(viewer, container);  // another version's diagram in the same viewer
        } else {
          fitter.attach(viewer, container, $("diagram-langkah-zoom"));
        }
        diagram.viewer = viewer;
        diagram.marked = [];
        diagram.shown = definitionId;
        diagram.loading = null;
        show(Number(slider.value));
        container.dataset.ready = "true";
        container.dataset.definition = String(definitionId || "");
      })
      .catch(function (error) {
        container.dataset.ready = "error";
        container.textContent = "Diagram tidak dapat ditampilkan (" + error.message + ").";
      });
  }

  // Each step event in the timeline gets a button that moves the slider to it.
  function linkTimeline() {
    replay.steps.forEach(function (step) {
      var row = document.querySelector('tr[data-seq="' + step.seq + '"]');
      if (!row) { return; }
      var button = element("button", "Langkah " + step.n, "tautan");
      button.type = "button";
      button.addEventListener("click", function () {
        show(step.n);
        root.scrollIntoView({ behavior: "smooth", block: "start" });
      });
      row.cells[0].appendChild(document.createTextNode(" "));
      row.cells[0].appendChild(button);
    });
  }

  function divergence(d) {
    var box = $("putar-selisih");
    box.hidden = false;
    box.appendChild(element("strong", "Pemutaran ulang tidak cocok dengan catatan. "));
    box.appendChild(document.createTextNode(
      "Langkah " + d.step + " (peristiwa " + d.seq + "): " + d.reason +
      (replay.steps.length ? ". Langkah sesudahnya tidak dapat ditampilkan." : ".")));
  }

  function start(data) {
    replay = data;
    var message = $("putar-pesan");
    if (replay.divergence) { divergence(replay.divergence); }
    if (!replay.steps.length) { message.textContent = "Tidak ada langkah yang dapat diputar ulang."; return; }
    message.textContent = replay.ok
      ? "Pemutaran ulang cocok dengan catatan" + (replay.final_checked ? ", termasuk keadaan akhirnya." : ".")
      : "";
    message.hidden = !replay.ok;
    slider.max = String(replay.steps.length);
    $("putar-kendali").hidden = false;
    $("putar-isi").hidden = false;
    slider.addEventListener("input", function () { show(Number(slider.value)); });
    $("langkah-sebelum").addEventListener("click", function () { show(Number(slider.value) - 1); });
    $("langkah-sesudah").addEventListener("click", function () { show(Number(slider.value) + 1); });
    show(replay.steps.length);
    linkTimeline();
    loadDiagram(replay.steps[replay.steps.length - 1].definition_id);
    root.dataset.ready = "true";
  }

  fetch(root.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(start)
    .catch(function (error) {
      root.dataset.ready = "error";
      $("putar-pesan").textContent = "Pemutaran ulang tidak dapat dimuat (" + error.message + ").";
    });

  // "Periksa rantai" recomputes the chain without leaving the page; without script the form posts.
  var check = $("periksa-rantai");
  if (check) {
    check.addEventListener("submit", function (event) {
      event.preventDefault();
      var line = $("status-rantai");
      var button = check.querySelector("button");
      button.disabled = true;
      fetch(check.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        body: new FormData(check)
      })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (status) {
          line.className = "rantai " + (status.ok ? "rantai-utuh" : "rantai-rusak");
          line.querySelector(".rantai-ringkas").textContent = status.summary;
          line.querySelector(".waktu").textContent = "Diperiksa " + status.checked_at;
        })
        .catch(function (error) {
          line.querySelector(".waktu").textContent = "Pemeriksaan gagal (" + error.message + ").";
        })
        .then(function () { button.disabled = false; });
    });
  }
}());
