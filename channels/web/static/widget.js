// Embeddable web chat widget: <script src="http://HOST/static/widget.js" defer></script>
// Talks to the gateway it was loaded from: POST /api/chat (the server issues the conversation id, kept in
// localStorage) and GET /api/chat/{id}/events (server-sent events) for messages sent later (officer replies,
// dossier news). A reloaded page shows the conversation again from GET /api/chat/{id}/history. No external
// resources.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/static/widget.js", window.location.href).origin;
  var idKey = "tthc-session";
  var seenKey = "tthc-last-pushed";
  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    close: "M6 6l12 12M18 6L6 18"
  };

  function load(key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } }
  function save(key, value) {
    try { if (value === null) window.localStorage.removeItem(key); else window.localStorage.setItem(key, value); }
    catch (e) { /* private mode: the conversation lasts as long as the page */ }
  }
  var sessionId = load(idKey);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "tthc-icon");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  // Render text safely: plain text nodes, URLs turned into links.
  function renderText(container, text) {
    var parts = String(text).split(/(https?:\/\/[^\s)]+)/g);
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        var a = el("a", null, part);
        a.href = part; a.target = "_blank"; a.rel = "noopener noreferrer";
        container.appendChild(a);
      } else if (part) {
        container.appendChild(document.createTextNode(part));
      }
    });
  }

  var link = document.createElement("link");
  link.rel = "stylesheet"; link.href = base + "/static/widget.css";
  document.head.appendChild(link);

  var launcher = el("button", "tthc-launcher");
  launcher.type = "button";
  launcher.appendChild(icon("chat"));
  launcher.setAttribute("aria-label", "Mở trợ lý ảo thủ tục hành chính");
  var panel = el("section", "tthc-panel");
  panel.setAttribute("aria-label", "Trợ lý ảo thủ tục hành chính");
  var header = el("div", "tthc-header");
  var heading = el("div", "tthc-title");
  heading.appendChild(icon("chat"));
  var titles = el("div");
  titles.appendChild(el("div", null, "Trợ lý ảo thủ tục hành chính"));
  titles.appendChild(el("small", null, "Hỏi về giấy tờ, lệ phí, thời gian, nơi nộp hồ sơ"));
  heading.appendChild(titles);
  var close = el("button", "tthc-close");
  close.type = "button";
  close.setAttribute("aria-label", "Đóng khung trò chuyện");
  close.appendChild(icon("close"));
  header.appendChild(heading); header.appendChild(close);
  var log = el("div", "tthc-log");
  log.setAttribute("role", "log"); log.setAttribute("aria-live", "polite");
  var form = el("form", "tthc-form");
  var input = el("input");
  input.type = "text"; input.maxLength = 1000; input.placeholder = "Nhập câu hỏi của anh/chị…";
  input.setAttribute("aria-label", "Câu hỏi");
  var send = el("button", null, "Gửi");
  send.type = "submit";
  var photo = el("input");
  photo.type = "file"; photo.accept = "image/jpeg,image/png,image/webp"; photo.hidden = true;
  var attach = el("button", "tthc-attach", "📷");
  attach.type = "button";
  attach.title = "Ảnh phiếu hẹn: em đọc mã hồ sơ trên ảnh để tra cứu";
  attach.setAttribute("aria-label", "Ảnh phiếu hẹn");
  form.appendChild(attach); form.appendChild(photo); form.appendChild(input); form.appendChild(send);
  panel.appendChild(header); panel.appendChild(log); panel.appendChild(form);

  function scrollDown() { log.scrollTop = log.scrollHeight; }
  // A new answer opens at its top: a long one would otherwise show only its end.
  function reveal(row) {
    if (row.offsetHeight > log.clientHeight) log.scrollTop = row.offsetTop - 8; else scrollDown();
  }

  function addMessage(who, text) {
    var row = el("div", "tthc-msg tthc-" + who);
    var bubble = el("div", "tthc-bubble");
    renderText(bubble, text);
    row.appendChild(bubble);
    log.appendChild(row);
    scrollDown();
    return row;
  }

  // A set of choices is used once: picking one disables them all (the picked one stays marked).
  function addButtons(buttons) {
    if (!buttons || !buttons.length) return;
    var box = el("div", "tthc-buttons");
    box.setAttribute("role", "group"); box.setAttribute("aria-label", "Lựa chọn");
    buttons.forEach(function (b) {
      var btn = el("button", null, b.title);
      btn.type = "button";
      btn.addEventListener("click", function () {
        box.querySelectorAll("button").forEach(function (other) { other.disabled = true; });
        btn.classList.add("tthc-picked"); btn.setAttribute("aria-pressed", "true");
        ask(b.payload, b.title);
        input.focus();
      });
      box.appendChild(btn);
    });
    log.appendChild(box);
    scrollDown();
  }

  function show(messages) {
    var first = null;
    (messages || []).forEach(function (m) {
      var row = m.text ? addMessage("bot", m.text) : null;
      first = first || row;
      addButtons(m.buttons);
    });
    if (first) reveal(first);
  }

  // After a reload: the conversation so far, from the server (choices of past turns are not shown again).
  function restore() {
    if (!sessionId) return Promise.resolve();
    return fetch(base + "/api/chat/" + encodeURIComponent(sessionId) + "/history").then(function (res) {
      if (res.status === 403) { forget(); return null; }
      return res.ok ? res.json() : null;
    }).then(function (data) {
      if (!data) return;
      data.messages.forEach(function (m) { addMessage(m.from_citizen ? "user" : "bot", m.text); });
      var seen = parseInt(load(seenKey) || "0", 10) || 0;
      if (data.last_pushed > seen) save(seenKey, String(data.last_pushed));
    }).catch(function () { /* the conversation still continues; only its past is not shown */ });
  }

  // Messages sent to the conversation later arrive on a server-sent event stream.
  var stream = null;
  function listen() {
    if (stream || !sessionId || !window.EventSource) return;
    var after = parseInt(load(seenKey) || "0", 10) || 0;
    stream = new EventSource(base + "/api/chat/" + encodeURIComponent(sessionId) + "/events?after=" + after);
    stream.onmessage = function (event) {
      var message = JSON.parse(event.data);
      if (message.id <= (parseInt(load(seenKey) || "0", 10) || 0)) return;
      save(seenKey, String(message.id));
      show([message]);
    };
  }
  function forget() {
    if (stream) { stream.close(); stream = null; }
    sessionId = null; save(idKey, null); save(seenKey, null);
  }

  function answered(res) {
    return res.json().then(function (data) { return { status: res.status, body: data }; });
  }
  function post(text) {
    var body = { text: text };
    if (sessionId) body.sender_id = sessionId;
    return fetch(base + "/api/chat", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).then(answered);
  }
  // A photo of the appointment slip: the image itself is the body; the server reads the dossier code from it.
  function postPhoto(file) {
    var query = sessionId ? "?sender_id=" + encodeURIComponent(sessionId) : "";
    return fetch(base + "/api/chat/photo" + query, {
      method: "POST", headers: { "Content-Type": file.type || "application/octet-stream" }, body: file
    }).then(answered);
  }

  // One message at a time: one typed, picked or photographed while the previous is pending waits, shown as such,
  // and goes next.
  var busy = false;
  var queue = [];
  function ask(text, shown) {
    if (!text.trim()) return;
    exchange(shown || text, function () { return post(text); });
  }
  function exchange(shown, send) {
    if (busy) {
      var row = addMessage("user", shown);
      row.classList.add("tthc-queued");
      row.appendChild(el("span", "tthc-queued-note", "Chờ gửi"));
      queue.push({ send: send, row: row });
      return;
    }
    busy = true;
    addMessage("user", shown);
    transmit(send);
  }

  function next() {
    busy = false;
    var waiting = queue.shift();
    if (!waiting) return;
    busy = true;
    waiting.row.classList.remove("tthc-queued");
    var note = waiting.row.querySelector(".tthc-queued-note");
    if (note) note.remove();
    log.appendChild(waiting.row);                // after the answer it waited for
    transmit(waiting.send);
  }

  function transmit(send) {
    // Shown only if the answer takes a moment: an officer-held conversation answers at once with nothing,
    // and then no sign of the assistant may appear.
    var typing = el("div", "tthc-typing", "Trợ lý đang trả lời…");
    var typingTimer = setTimeout(function () { log.appendChild(typing); scrollDown(); }, 400);
    send().then(function (r) {
      if (r.status === 403 && sessionId) {         // the server no longer knows this conversation: start anew
        forget();
        return send();
      }
      return r;
    }).then(function (r) {
      if (r.status === 413 || r.status === 415) { show([{ text: r.body.detail }]); return; }
      if (r.status !== 200) throw new Error((r.body && r.body.detail) || "error");
      if (r.body.sender_id !== sessionId) { forget(); sessionId = r.body.sender_id; save(idKey, sessionId); }
      show(r.body.messages);
      listen();
    }).catch(function () {
      addMessage("bot", "Xin lỗi anh/chị, em chưa kết nối được máy chủ. Anh/chị vui lòng thử lại sau ít phút ạ.");
    }).then(function () {
      clearTimeout(typingTimer); typing.remove();
      if (panel.classList.contains("tthc-open")) input.focus();
      next();
    });
  }

  // While the panel is open the launcher is hidden (out of the Tab order, never under the panel); Esc closes.
  function setOpen(open) {
    panel.classList.toggle("tthc-open", open);
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) input.focus(); else launcher.focus();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    ask(text);
  });
  attach.addEventListener("click", function () { photo.click(); });
  photo.addEventListener("change", function () {
    var file = photo.files[0];
    photo.value = "";
    if (!file) return;
    exchange("📷 " + file.name, function () { return postPhoto(file); });
  });
  launcher.addEventListener("click", function () { setOpen(!panel.classList.contains("tthc-open")); });
  close.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape" || e.key === "Esc") { e.preventDefault(); setOpen(false); }
  });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
    addMessage("bot", "Xin chào anh/chị! Em là trợ lý ảo thủ tục hành chính. Anh/chị cần hỏi về thủ tục nào ạ?");
    if (script && script.getAttribute("data-open") === "true") setOpen(true);
    restore().then(listen);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount); else mount();
})();
