// The modeler page: bpmn-js Modeler (served from this app) on a draft, a side panel for what this
// engine reads from a diagram, and the draft's buttons: save, validate, deploy.
(function () {
  "use strict";
  var root = document.getElementById("pemodel");
  if (!root || !window.BpmnJS) { return; }
  var SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  var TIMER_KINDS = [["timeDuration", "Durasi"], ["timeDate", "Tanggal dan jam"], ["timeCycle", "Siklus"]];
  var ERROR_MARKER = "galat-elemen";

  var modeler = new window.BpmnJS({ container: document.getElementById("kanvas") });
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");
  var registry = modeler.get("elementRegistry");
  var canvas = modeler.get("canvas");
  var selection = modeler.get("selection");
  var laneChoices = JSON.parse(root.dataset.laneChoices);
  var outcomes = JSON.parse(root.dataset.outcomes);
  var state = { revision: null, laneRoles: {}, laneNames: {}, forms: [], dirty: false, busy: false, marked: [] };
  var buttons = {
    save: document.getElementById("simpan-draf"),
    validate: document.getElementById("validasi"),
    deploy: document.getElementById("terapkan")
  };
  var statusLine = document.getElementById("pemodel-status");
  var panel = document.getElementById("panel-isi");

  // ---------------------------------------------------------------- small DOM helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === false || value === null || value === undefined) { return; }
      if (name === "text") { node.textContent = value; } else { node.setAttribute(name, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function field(id, label, control, help) {
    return el("div", { "class": "field" }, [
      el("label", { "for": id, text: label }),
      help ? el("p", { "class": "bantuan", id: id + "-bantuan", text: help }) : null,
      control
    ]);
  }

  function say(text) { statusLine.textContent = text; }

  function setBusy(busy) {
    state.busy = busy;
    buttons.save.disabled = busy;
    buttons.validate.disabled = busy;
    buttons.deploy.disabled = busy || buttons.deploy.dataset.terkunci === "true";
  }

  function markDirty() {
    state.dirty = true;
    say("Ada perubahan yang belum disimpan.");
  }

  // ---------------------------------------------------------------- reading and writing the diagram

  function is(element, type) {
    var bo = element && element.businessObject;
    return !!(bo && bo.$instanceOf && bo.$instanceOf(type));
  }

  function spiffProperties(bo) {
    var values = (bo.extensionElements && bo.extensionElements.values) || [];
    return values.filter(function (v) { return v.$type === "spiffworkflow:properties"; })[0] || null;
  }

  function property(bo, name) {
    var props = spiffProperties(bo);
    var found = ((props && props.$children) || []).filter(function (p) { return p.name === name; })[0];
    return found ? (found.value || "") : "";
  }

  // Spiff extension elements are kept as generic XML by bpmn-js (no descriptor is needed to round-trip
  // them). A change builds new extension elements, so that undo restores the old ones.
  function setProperty(element, name, value) {
    var bo = element.businessObject;
    var oldValues = (bo.extensionElements && bo.extensionElements.values) || [];
    var oldProps = spiffProperties(bo);
    var entries = ((oldProps && oldProps.$children) || [])
      .filter(function (p) { return p.$type === "spiffworkflow:property"; })
      .map(function (p) { return { name: p.name, value: p.value }; });
    var index = entries.map(function (p) { return p.name; }).indexOf(name);
    if (value && index >= 0) { entries[index].value = value; }
    if (value && index < 0) { entries.push({ name: name, value: value }); }
    if (!value && index >= 0) { entries.splice(index, 1); }
    var props = null;
    if (entries.length) {
      props = moddle.createAny("spiffworkflow:properties", SPIFF, {});
      props.$children = entries.map(function (p) {
        return moddle.createAny("spiffworkflow:property", SPIFF, { name: p.name, value: p.value });
      });
    }
    var values = oldValues.filter(function (v) { return v !== oldProps; });
    if (props) { values.splice(oldProps ? oldValues.indexOf(oldProps) : values.length, 0, props); }
    var extension = values.length ? moddle.create("bpmn:ExtensionElements", { values: values }) : undefined;
    modeling.updateProperties(element, { extensionElements: extension });
  }

  function documentation(bo) {
    return ((bo.documentation || [])[0] || {}).text || "";
  }

  function setDocumentation(element, text) {
    var docs = text ? [moddle.create("bpmn:Documentation", { text: text })] : [];
    modeling.updateProperties(element, { documentation: docs });
  }

  function timerDefinition(bo) {
    return (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0];
  }

  function fromGateway(element) {
    return is(element, "bpmn:SequenceFlow") && element.businessObject.sourceRef &&
      /Gateway$/.test(element.businessObject.sourceRef.$type) &&
      element.businessObject.sourceRef.$type !== "bpmn:ParallelGateway";
  }

  // ---------------------------------------------------------------- lanes and their roles

  function lanes() {
    return registry.filter(function (e) { return is(e, "bpmn:Lane"); });
  }

  // A lane renamed on the canvas keeps its roles: the map follows the lane, not the old name.
  function followLaneNames() {
    lanes().forEach(function (lane) {
      var name = lane.businessObject.name || "";
      var before = state.laneNames[lane.id];
      if (before !== undefined && before !== name && state.laneRoles[before] && !state.laneRoles[name]) {
        state.laneRoles[name] = state.laneRoles[before];
        delete state.laneRoles[before];
      }
      state.laneNames[lane.id] = name;
    });
  }

  function laneMap() {
    var map = {};
    lanes().forEach(function (lane) {
      var name = lane.businessObject.name || "";
      map[name] = (state.laneRoles[name] || []).slice();
    });
    return map;
  }

  // ---------------------------------------------------------------- the side panel

  function showPanel(element) {
    panel.textContent = "";
    if (element && element.labelTarget) { element = element.labelTarget; }  // a label stands for its element
    if (!element) {
      panel.appendChild(el("p", { "class": "kosong", text: "Pilih elemen pada diagram untuk mengubah sifatnya." }));
      return;
    }
    var bo = element.businessObject;
    panel.appendChild(el("p", { "class": "meta", text: bo.$type.replace("bpmn:", "") + " · " + element.id }));
    if (!is(element, "bpmn:Process") && !is(element, "bpmn:Collaboration")) { panel.appendChild(nameField(element)); }
    if (is(element, "bpmn:Lane")) { panel.appendChild(roleField(element)); }
    if (is(element, "bpmn:UserTask") || (is(element, "bpmn:StartEvent") && !(bo.eventDefinitions || []).length)) {
      panel.appendChild(formField(element));
    }
    if (is(element, "bpmn:UserTask")) {
      panel.appendChild(documentationField(element));
      SLA_PROPERTIES.forEach(function (spec) { panel.appendChild(propertyField(element, spec)); });
    }
    if (fromGateway(element)) { panel.appendChild(conditionField(element)); }
    if (is(element, "bpmn:Event") && timerDefinition(bo)) { panel.appendChild(timerField(element)); }
    if (is(element, "bpmn:Event")) { panel.appendChild(propertyField(element, NOTIFY_PROPERTY)); }
    if (is(element, "bpmn:EndEvent")) { panel.appendChild(outcomeField(element)); }
  }

  function onChange(control, apply) {
    control.addEventListener("change", function () { apply(control.value.trim()); });
    return control;
  }

  function nameField(element) {
    var input = el("input", { id: "sifat-nama", type: "text", value: element.businessObject.name || "" });
    onChange(input, function (value) {
      modeling.updateLabel(element, value);
    });
    return field("sifat-nama", "Nama", input);
  }

  function roleField(element) {
    var name = element.businessObject.name || "";
    var chosen = state.laneRoles[name] || [];
    var set = el("fieldset", { id: "sifat-peran" }, [el("legend", { text: "Peran yang mengerjakan lajur ini" })]);
    laneChoices.forEach(function (choice, n) {
      var box = el("input", { type: "checkbox", id: "peran-" + n, value: choice[0], checked: chosen.indexOf(choice[0]) >= 0 });
      box.addEventListener("change", function () {
        followLaneNames();  // the lane may have been renamed since the panel was drawn
        var lane = element.businessObject.name || "";
        var current = (state.laneRoles[lane] || []).filter(function (r) { return r !== choice[0]; });
        if (box.checked) { current.push(choice[0]); }
        state.laneRoles[lane] = current;
        markDirty();
      });
      set.appendChild(el("label", { "class": "pilihan", "for": "peran-" + n }, [box, document.createTextNode(choice[1])]));
    });
    return set;
  }

  function formField(element) {
    var current = property(element.businessObject, "formJsonSchemaFilename");
    var select = el("select", { id: "sifat-formulir" }, [el("option", { value: "", text: "(tanpa formulir)" })]);
    var names = state.forms.slice();
    if (current && names.indexOf(current) < 0) { names.push(current); }
    names.forEach(function (name) {
      var label = state.forms.indexOf(name) >= 0 ? name : name + " (tidak ada di draf)";
      select.appendChild(el("option", { value: name, text: label, selected: name === current }));
    });
    onChange(select, function (value) { setProperty(element, "formJsonSchemaFilename", value); });
    var wrap = field("sifat-formulir", "Formulir", select, "Formulir JSON Schema draf ini yang diisi pada langkah ini.");
    if (current && state.forms.indexOf(current) >= 0) {
      wrap.appendChild(el("p", {}, [el("a", { href: root.dataset.formUrl.replace("__NAMA__", encodeURIComponent(current)), text: "Ubah formulir " + current })]));
    }
    return wrap;
  }

  function documentationField(element) {
    var area = el("textarea", { id: "sifat-petunjuk", rows: "4" });
    area.value = documentation(element.businessObject);
    onChange(area, function (value) { setDocumentation(element, value); });
    return field("sifat-petunjuk", "Petunjuk tugas", area, "Ditampilkan kepada petugas di atas formulir.");
  }

  function conditionField(element) {
    var bo = element.businessObject;
    var isDefault = bo.sourceRef.default === bo;
    var area = el("textarea", { id: "sifat-kondisi", rows: "3", "class": "kode", spellcheck: "false", disabled: isDefault });
    area.value = (bo.conditionExpression && bo.conditionExpression.body) || "";
    onChange(area, function (value) {
      var expression = value ? moddle.create("bpmn:FormalExpression", { body: value }) : undefined;
      modeling.updateProperties(element, { conditionExpression: expression });
    });
    var help = isDefault ? "Alur bawaan gerbang: dilalui bila tidak ada kondisi lain yang benar."
      : "Ekspresi Python atas data kasus, misalnya keputusan == \"diterima\". Bukan JUEL (${...}).";
    return field("sifat-kondisi", "Kondisi", area, help);
  }

  function timerField(element) {
    var timer = timerDefinition(element.businessObject);
    var kind = TIMER_KINDS.filter(function (k) { return timer[k[0]]; }).map(function (k) { return k[0]; })[0] || "timeDuration";
    var select = el("select", { id: "sifat-jenis-timer" });
    TIMER_KINDS.forEach(function (k) { select.appendChild(el("option", { value: k[0], text: k[1], selected: k[0] === kind })); });
    var input = el("input", { id: "sifat-timer", type: "text", "class": "kode", value: (timer[kind] && timer[kind].body) || "" });
    function apply() {
      var changes = { timeDuration: undefined, timeDate: undefined, timeCycle: undefined };
      if (input.value.trim()) { changes[select.value] = moddle.create("bpmn:FormalExpression", { body: input.value.trim() }); }
      modeling.updateModdleProperties(element, timer, changes);
    }
    select.addEventListener("change", apply);
    input.addEventListener("change", apply);
    return el("div", {}, [
      field("sifat-jenis-timer", "Jenis timer", select),
      field("sifat-timer", "Ekspresi timer", input,
        "Teks Python yang dikutip, misalnya \"P5D\" (lima hari), atau hari_kerja(2): akhir jam layanan hari kerja kedua.")
    ]);
  }

  // Service levels and escalation (engine/sla.py): plain properties, checked by "Validasi".
  var SLA_PROPERTIES = [
    ["slaStart", "Mulai jam SLA", "Jam yang mulai saat tugas ini terbuka, misalnya respons:5 penyelesaian:14 (hari kerja)."],
    ["slaStop", "Hentikan jam SLA", "Jam yang berhenti saat tugas ini selesai, misalnya respons."],
    ["slaDue", "Tenggat tugas", "kelengkapan (hari kerja menurut pengaturan) atau jumlah jam seperti 72h; kosong: menurut jam SLA."]
  ];
  var NOTIFY_PROPERTY = ["notifyRoles", "Beri tahu peran",
    "Peran yang menerima notifikasi eskalasi saat alur melewati elemen ini, dipisah koma, misalnya ketua_lppar."];

  function propertyField(element, spec) {
    var id = "sifat-" + spec[0];
    var input = el("input", { id: id, type: "text", "class": "kode", value: property(element.businessObject, spec[0]) });
    onChange(input, function (value) { setProperty(element, spec[0], value); });
    return field(id, spec[1], input, spec[2]);
  }

  function outcomeField(element) {
    var input = el("input", { id: "sifat-hasil", type: "text", list: "daftar-hasil", value: property(element.businessObject, "outcome") });
    var list = el("datalist", { id: "daftar-hasil" });
    outcomes.forEach(function (o) { list.appendChild(el("option", { value: o[0], label: o[1] })); });
    onChange(input, function (value) { setProperty(element, "outcome", value); });
    var wrap = field("sifat-hasil", "Hasil kasus (outcome)", input,
      "Hasil kasus yang berakhir di sini, misalnya mediated, rejected, referred. Kosongkan bila tidak menentukan hasil.");
    wrap.appendChild(list);
    return wrap;
  }

  // ---------------------------------------------------------------- talking to the server

  function send(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": root.dataset.csrf },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, status: response.status, data: data }; });
    });
  }

  function save() {
    followLaneNames();
    return modeler.saveXML({ format: true }).then(function (result) {
      return send(root.dataset.save, { xml: result.xml, lane_roles: laneMap(), revision: state.revision });
    }).then(function (answer) {
      if (!answer.ok) { throw new Error(answer.data.message || ("HTTP " + answer.status)); }
      state.revision = answer.data.revision;
      state.dirty = false;
      root.dataset.revision = String(state.revision);
      document.getElementById("status-draf").textContent = "Draf";
      return answer;
    });
  }

  function clearMarkers() {
    state.marked.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, ERROR_MARKER); } });
    state.marked = [];
  }

  function focusElement(id) {
    var element = registry.get(id);
    if (!element) { return; }
    selection.select(element);
    if (canvas.zoom() < 0.9) { canvas.zoom(1); }  // a whole diagram fitted to the view is too small to read
    canvas.scrollToElement(element, { top: 80, bottom: 80, left: 120, right: 80 });
    document.getElementById("kanvas").scrollIntoView({ block: "nearest" });
  }

  function showProblems(problems) {
    var section = document.getElementById("hasil-validasi");
    var list = document.getElementById("masalah");
    clearMarkers();
    list.textContent = "";
    section.hidden = false;
    document.getElementById("masalah-ringkas").textContent = problems.length
      ? problems.length + " masalah; klik masalah untuk menunjuk elemennya pada diagram."
      : "Tidak ada masalah: draf siap diterapkan.";
    section.className = "hasil-validasi " + (problems.length ? "ada-masalah" : "lolos");
    problems.forEach(function (problem) {
      var where = problem.line ? "Baris " + problem.line + ": " : "";
      var item = el("li", { "data-element": problem.element || false });
      if (problem.element && registry.get(problem.element)) {
        if (state.marked.indexOf(problem.element) < 0) {
          canvas.addMarker(problem.element, ERROR_MARKER);
          state.marked.push(problem.element);
        }
        var link = el("button", { type: "button", "class": "tautan", text: where + problem.message });
        link.addEventListener("click", function () { focusElement(problem.element); });
        item.appendChild(link);
      } else {
        item.textContent = where + problem.message;
      }
      list.appendChild(item);
    });
  }

  function run(label, action) {
    if (state.busy) { return; }
    setBusy(true);
    say(label);
    action()
      .catch(function (error) { say("Gagal: " + error.message); })
      .then(function () { setBusy(false); });
  }

  buttons.save.addEventListener("click", function () {
    run("Menyimpan…", function () {
      return save().then(function () { say("Draf disimpan (revisi " + state.revision + ")."); });
    });
  });

  buttons.validate.addEventListener("click", function () {
    run("Menyimpan dan memvalidasi…", function () {
      return save().then(function () { return send(root.dataset.validate); }).then(function (answer) {
        if (!answer.ok) { throw new Error(answer.data.message || ("HTTP " + answer.status)); }
        showProblems(answer.data.problems);
        say(answer.data.ok ? "Validasi lolos." : "Validasi menemukan " + answer.data.problems.length + " masalah.");
      });
    });
  });

  buttons.deploy.addEventListener("click", function () {
    run("Menyimpan dan menerapkan…", function () {
      return save().then(function () { return send(root.dataset.deploy, { revision: state.revision }); }).then(function (answer) {
        if (answer.data.problems) {
          showProblems(answer.data.problems);
          say("Belum dapat diterapkan: " + answer.data.problems.length + " masalah.");
          return;
        }
        if (!answer.ok) { throw new Error(answer.data.message || ("HTTP " + answer.status)); }
        window.location.assign(answer.data.url);
      });
    });
  });

  // ---------------------------------------------------------------- loading

  modeler.on("selection.changed", function (event) {
    showPanel(event.newSelection.length === 1 ? event.newSelection[0] : null);
  });
  modeler.on("commandStack.changed", function () {
    followLaneNames();
    markDirty();
    var selected = selection.get();
    var active = document.activeElement;
    // Redraw the panel for the selected element, unless the person is typing in it.
    if (selected.length === 1 && !(active && panel.contains(active))) { showPanel(selected[0]); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (state.dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  fetch(root.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(function (draft) {
      state.revision = draft.revision;
      state.laneRoles = draft.lane_roles;
      state.forms = draft.forms;
      root.dataset.revision = String(draft.revision);
      return modeler.importXML(draft.xml);
    })
    .then(function (result) {
      var warnings = result.warnings || [];
      root.dataset.importWarnings = String(warnings.length);
      warnings.forEach(function (w) { window.console.warn("bpmn-js:", w.message); });
      followLaneNames();
      canvas.zoom("fit-viewport");
      setBusy(false);
      state.dirty = false;
      say(warnings.length ? "Diagram dimuat dengan " + warnings.length + " peringatan." : "Diagram dimuat.");
      root.dataset.ready = "true";
    })
    .catch(function (error) {
      root.dataset.ready = "error";
      say("Diagram tidak dapat dimuat (" + error.message + ").");
    });
}());
