// Embeddable web chat widget: <script src="http://HOST/static/widget.js" defer></script>
// Talks to POST /api/chat on the host it was loaded from. No external resources.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/static/widget.js", window.location.href).origin;
  var storageKey = "tthc-sender-id";

  function senderId() {
    var id = null;
    try { id = window.localStorage.getItem(storageKey); } catch (e) { /* private mode */ }
    if (!id) {
      id = "w-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
      try { window.localStorage.setItem(storageKey, id); } catch (e) { /* ignore */ }
    }
    return id;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
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

  var launcher = el("button", "tthc-launcher", "💬");
  launcher.setAttribute("aria-label", "Mở trợ lý ảo thủ tục hành chính");
  var panel = el("section", "tthc-panel");
  panel.setAttribute("aria-label", "Trợ lý ảo thủ tục hành chính");
  var header = el("div", "tthc-header", "Trợ lý ảo thủ tục hành chính");
  header.appendChild(el("small", null, "Hỏi về giấy tờ, lệ phí, thời gian, nơi nộp hồ sơ"));
  var log = el("div", "tthc-log");
  log.setAttribute("role", "log"); log.setAttribute("aria-live", "polite");
  var form = el("form", "tthc-form");
  var input = el("input");
  input.type = "text"; input.maxLength = 1000; input.placeholder = "Nhập câu hỏi của anh/chị…";
  input.setAttribute("aria-label", "Câu hỏi");
  var send = el("button", null, "Gửi");
  send.type = "submit";
  form.appendChild(input); form.appendChild(send);
  panel.appendChild(header); panel.appendChild(log); panel.appendChild(form);

  function addMessage(who, text) {
    var row = el("div", "tthc-msg tthc-" + who);
    var bubble = el("div", "tthc-bubble");
    renderText(bubble, text);
    row.appendChild(bubble);
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
    return row;
  }

  function addButtons(buttons) {
    if (!buttons || !buttons.length) return;
    var box = el("div", "tthc-buttons");
    buttons.forEach(function (b) {
      var btn = el("button", null, b.title);
      btn.type = "button";
      btn.addEventListener("click", function () { ask(b.payload, b.title); });
      box.appendChild(btn);
    });
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  var busy = false;
  function ask(text, shown) {
    if (busy || !text.trim()) return;
    busy = true;
    addMessage("user", shown || text);
    var typing = el("div", "tthc-typing", "Trợ lý đang trả lời…");
    log.appendChild(typing);
    fetch(base + "/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender_id: senderId(), text: text })
    }).then(function (res) {
      return res.json().then(function (body) { return { ok: res.ok, body: body }; });
    }).then(function (r) {
      if (!r.ok) throw new Error((r.body && r.body.detail) || "error");
      (r.body.messages || []).forEach(function (m) {
        if (m.text) addMessage("bot", m.text);
        addButtons(m.buttons);
      });
    }).catch(function () {
      addMessage("bot", "Xin lỗi anh/chị, em chưa kết nối được máy chủ. Anh/chị vui lòng thử lại sau ít phút ạ.");
    }).then(function () {
      typing.remove(); busy = false; input.focus();
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    ask(text);
  });
  launcher.addEventListener("click", function () {
    panel.classList.toggle("tthc-open");
    if (panel.classList.contains("tthc-open")) input.focus();
  });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
    addMessage("bot", "Xin chào anh/chị! Em là trợ lý ảo thủ tục hành chính. Anh/chị cần hỏi về thủ tục nào ạ?");
    if (script && script.getAttribute("data-open") === "true") panel.classList.add("tthc-open");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount); else mount();
})();
