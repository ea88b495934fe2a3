// Staff console: sign-in, search as you type (debounced; arrows/Enter/Esc; the query kept in the URL),
// copy a checklist, sign-out. No external resources.
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";

  function postJSON(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify(body || {}) });
  }
  // JSON API call; rejects with the server's Vietnamese reason; a lost session goes to the sign-in page.
  function call(method, url, body) {
    return fetch(url, { method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: body ? JSON.stringify(body) : undefined })
      .then(function (res) {
        if (res.status === 401) { location.assign("/staff/login?next=" + encodeURIComponent(location.pathname)); }
        if (res.status === 204) return null;
        return res.json().then(function (data) { if (!res.ok) throw new Error(data.detail || "Lỗi"); return data; });
      });
  }

  // ---------------------------------------------------------------- sign-in / sign-out
  var loginForm = document.getElementById("login-form");
  if (loginForm) {
    loginForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var error = document.getElementById("login-error");
      error.hidden = true;
      postJSON("/api/staff/login", { username: loginForm.username.value, password: loginForm.password.value })
        .then(function (res) {
          if (res.ok) { window.location.assign(loginForm.dataset.next || "/staff"); return; }
          return res.json().then(function (body) { throw new Error(body.detail || "Đăng nhập không thành công."); });
        })
        .catch(function (err) { error.textContent = err.message; error.hidden = false; });
    });
  }
  var logout = document.getElementById("logout");
  if (logout) {
    logout.addEventListener("click", function () {
      postJSON("/api/staff/logout").then(function () { window.location.assign("/staff/login"); });
    });
  }

  // ---------------------------------------------------------------- one's account; administrators: accounts
  var passwordForm = document.getElementById("password-form");
  if (passwordForm) {
    passwordForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var result = document.getElementById("password-result");
      call("POST", "/api/staff/password", { old_password: passwordForm.old_password.value,
                                            new_password: passwordForm.new_password.value })
        .then(function () { result.className = ""; result.textContent = "Đã đổi mật khẩu; các phiên khác đã được đăng xuất."; passwordForm.reset(); })
        .catch(function (err) { result.className = "error"; result.textContent = err.message; })
        .then(function () { result.hidden = false; });
    });
  }
  var everywhere = document.getElementById("logout-everywhere");
  if (everywhere) {
    everywhere.addEventListener("click", function () {
      call("POST", "/api/staff/logout-everywhere").then(function () { window.location.assign("/staff/login"); });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("button[data-disable], button[data-enable]"), function (button) {
    button.addEventListener("click", function () {
      var name = button.dataset.disable || button.dataset.enable;
      button.disabled = true;
      call("POST", "/api/staff/users/" + encodeURIComponent(name) + (button.dataset.disable ? "/disable" : "/enable"))
        .then(function () { location.reload(); })
        .catch(function (err) { button.textContent = err.message; button.disabled = false; });
    });
  });

  // ---------------------------------------------------------------- search as you type
  var form = document.getElementById("search-form");
  if (form) {
    var q = document.getElementById("q");
    var list = document.getElementById("results");
    var status = document.getElementById("search-status");
    var timer = null, seq = 0, active = -1;
    var groups = {};
    Array.prototype.forEach.call(form.group.options, function (o) { if (o.value) groups[o.value] = o.text; });

    function params() {
      var p = new URLSearchParams();
      ["q", "field", "level", "group"].forEach(function (name) {
        var v = form[name].value.trim(); if (v) p.set(name, v);
      });
      return p;
    }
    function highlight(i) {
      var items = list.querySelectorAll("li");
      if (!items.length) { active = -1; return; }
      active = Math.max(0, Math.min(i, items.length - 1));
      Array.prototype.forEach.call(items, function (li, n) {
        li.classList.toggle("active", n === active);      // a list of links: the chosen one is "current"
        if (n === active) li.firstChild.setAttribute("aria-current", "true"); else li.firstChild.removeAttribute("aria-current");
      });
      items[active].scrollIntoView({ block: "nearest" });
    }
    function show(results) {
      list.textContent = "";
      results.forEach(function (h) {
        var li = document.createElement("li");
        var a = document.createElement("a"); a.href = "/staff/procedures/" + encodeURIComponent(h.code);
        var name = document.createElement("span"); name.className = "name"; name.textContent = h.name;
        var meta = document.createElement("span"); meta.className = "meta";
        meta.textContent = [h.code, h.field, h.levels.join(", "), groups[h.source_group] || h.source_group].join(" · ");
        a.appendChild(name); a.appendChild(meta); li.appendChild(a); list.appendChild(li);
      });
      active = -1;
    }
    function search() {
      var p = params();
      history.replaceState(null, "", "/staff" + (p.toString() ? "?" + p.toString() : ""));
      if (!p.get("q")) { show([]); status.textContent = ""; return; }
      var mine = ++seq;
      fetch("/api/staff/procedures/search?" + p.toString(), { credentials: "same-origin" })
        .then(function (res) {
          if (res.status === 401) { window.location.assign("/staff/login?next=" + encodeURIComponent(location.pathname + location.search)); }
          return res.json();
        })
        .then(function (body) {
          if (mine !== seq) return;                       // an older answer arriving late
          show(body.results || []);
          status.textContent = (body.results || []).length ? (body.results.length + " thủ tục (" + body.took_ms + " ms)")
            : "Không tìm thấy thủ tục phù hợp.";
        });
    }
    function later() { clearTimeout(timer); timer = setTimeout(search, 150); }
    q.addEventListener("input", later);
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) { s.addEventListener("change", search); });
    form.addEventListener("submit", function (e) { e.preventDefault(); search(); });
    q.addEventListener("keydown", function (e) {
      var items = list.querySelectorAll("li a");
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Enter" && active >= 0 && items[active]) { e.preventDefault(); items[active].click(); }
      else if (e.key === "Escape") { q.value = ""; search(); }
    });
  }

  // ---------------------------------------------------------------- procedure page
  var copy = document.getElementById("copy-checklist");
  if (copy) {
    copy.addEventListener("click", function () {
      var text = document.getElementById("checklist-text").value;
      var done = function () { document.getElementById("copy-status").textContent = "Đã sao chép danh sách giấy tờ."; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done);
      } else {                                           // plain http on the office network
        var area = document.getElementById("checklist-text");
        area.hidden = false; area.select(); document.execCommand("copy"); area.hidden = true; done();
      }
    });
  }
  var back = document.getElementById("back");
  if (back && document.referrer.indexOf(location.origin + "/staff") === 0) {
    back.addEventListener("click", function (e) { e.preventDefault(); history.back(); });
  }
  if (document.body.classList.contains("print") && !/[?&]noprint/.test(location.search)) {
    window.addEventListener("load", function () { window.print(); });
  }

  // ---------------------------------------------------------------- handover: the queue and the conversation
  if (document.getElementById("handoff")) handover();
  if (document.getElementById("teach-form")) teaching();

  function handover() {
    var queue = document.getElementById("queue"), panel = document.getElementById("conversation");
    var messages = document.getElementById("messages"), error = document.getElementById("handoff-error");
    var selected = null, lastId = 0, current = null;
    var LABELS = { waiting: "Đang chờ", claimed: "Đang hỗ trợ", released: "Đã trả lại trợ lý ảo", closed: "Đã kết thúc" };
    var CHANNELS = { web: "Web", zalo: "Zalo", telegram: "Telegram" };

    function describe(h) {
      var who = h.status === "claimed" ? (h.mine ? "anh/chị" : h.claimed_by) : "";
      return LABELS[h.status] + (h.position ? " · vị trí " + h.position : "") + (who ? " · " + who : "") +
        " · " + (CHANNELS[h.channel] || h.channel) + (h.contact_phone ? " · SĐT " + h.contact_phone : "");
    }
    function renderQueue(items) {
      var focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest("#queue li") : null;
      var keep = focused ? focused.dataset.id : null;               // a refresh must not drop the keyboard focus
      queue.textContent = "";
      items.forEach(function (h) {
        var li = document.createElement("li");
        li.dataset.id = h.id;
        li.className = (h.id === selected ? "selected " : "") + h.status;
        var pick = document.createElement("button");           // a button: reached with Tab, opened with Enter
        pick.type = "button"; pick.className = "pick"; pick.textContent = "Yêu cầu #" + h.id;
        if (h.id === selected) pick.setAttribute("aria-current", "true");
        var state = document.createElement("span"); state.className = "state"; state.textContent = describe(h);
        pick.appendChild(state);
        pick.addEventListener("click", function () { open(h.id); });
        li.appendChild(pick);
        queue.appendChild(li);
      });
      if (keep) { var again = queue.querySelector('li[data-id="' + keep + '"] button'); if (again) again.focus(); }
    }
    function addMessages(items) {
      items.forEach(function (m) {
        var li = document.createElement("li"); li.className = m.direction; li.textContent = m.text;
        messages.appendChild(li); lastId = Math.max(lastId, m.id);
      });
      if (items.length) messages.scrollTop = messages.scrollHeight;
    }
    function showHandoff(h) {
      current = h;
      document.getElementById("conversation-title").textContent = "Yêu cầu #" + h.id;
      document.getElementById("conversation-meta").textContent = describe(h);
      document.getElementById("last-answer").textContent = h.last_answer ? "Trợ lý ảo trả lời lần cuối: " + h.last_answer : "";
      document.getElementById("claim").hidden = h.status !== "waiting";
      document.getElementById("take-over").hidden = !(h.status === "claimed" && !h.mine && document.getElementById("handoff").dataset.admin);
      document.getElementById("release").hidden = !(h.status === "claimed" && h.mine);
      document.getElementById("close").hidden = !(h.status === "claimed" && h.mine);
      document.getElementById("reply-form").hidden = !(h.status === "claimed" && h.mine);
      document.getElementById("actions-none").hidden = h.status === "waiting" || (h.status === "claimed" && h.mine);
    }
    function open(id) {
      selected = id; lastId = 0; messages.textContent = ""; error.textContent = ""; panel.hidden = false;
      refreshConversation();
    }
    function refreshConversation() {
      if (!selected) return;
      var id = selected;
      call("GET", "/api/staff/handoffs/" + id + "?after=" + lastId).then(function (data) {
        if (id !== selected) return;
        showHandoff(data.handoff); addMessages(data.messages);
      });
    }
    function refreshQueue() { call("GET", "/api/staff/handoffs").then(renderQueue); }
    function act(action) {
      error.textContent = "";
      call("POST", "/api/staff/handoffs/" + selected + "/" + action).then(function (h) {
        showHandoff(h); refreshQueue(); refreshConversation();
        // The button just used is gone: the keyboard goes where the work continues.
        document.getElementById(action === "claim" ? "reply" : "conversation-title").focus();
      }).catch(function (err) { error.textContent = err.message; });
    }
    document.getElementById("claim").addEventListener("click", function () { act("claim"); });
    document.getElementById("take-over").addEventListener("click", function () { act("reassign"); });
    document.getElementById("release").addEventListener("click", function () { act("release"); });
    document.getElementById("close").addEventListener("click", function () { act("close"); });
    document.getElementById("reply-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var box = document.getElementById("reply"), text = box.value.trim();
      if (!text) return;
      call("POST", "/api/staff/handoffs/" + selected + "/messages", { text: text })
        .then(function () { box.value = ""; refreshConversation(); })
        .catch(function (err) { error.textContent = err.message; });
    });
    refreshQueue();
    setInterval(refreshQueue, 2000);
    setInterval(refreshConversation, 1500);
  }

  // ---------------------------------------------------------------- teaching: pick the procedure(s), save, undo
  function teaching() {
    var form = document.getElementById("teach-form");
    var search = document.getElementById("teach-search"), list = document.getElementById("teach-results");
    var status = document.getElementById("teach-status"), timer = null;
    function find() {
      var q = search.value.trim();
      if (!q) { list.textContent = ""; return; }
      call("GET", "/api/staff/procedures/search?limit=8&q=" + encodeURIComponent(q)).then(function (body) {
        list.textContent = "";
        body.results.forEach(function (h) {
          var li = document.createElement("li"), label = document.createElement("label"), box = document.createElement("input");
          box.type = "checkbox"; box.value = h.code; box.name = "code";
          var text = document.createElement("span"); text.textContent = h.name + " (" + h.code + " · " + h.levels.join(", ") + ")";
          label.appendChild(box); label.appendChild(text); li.appendChild(label); list.appendChild(li);
        });
      });
    }
    search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(find, 150); });
    find();
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var codes = Array.prototype.map.call(list.querySelectorAll("input:checked"), function (b) { return b.value; });
      if (!codes.length) { status.textContent = "Hãy chọn ít nhất một thủ tục."; return; }
      call("POST", "/api/staff/examples", { question: document.getElementById("teach-question").value, codes: codes })
        .then(function () { location.assign("/staff/teach"); })
        .catch(function (err) { status.textContent = err.message; });
    });
    Array.prototype.forEach.call(document.querySelectorAll("button.undo"), function (button) {
      button.addEventListener("click", function () {
        call("DELETE", "/api/staff/examples/" + button.dataset.id).then(function () { location.reload(); });
      });
    });
  }

  // ---------------------------------------------------------------- messages not delivered: send again
  Array.prototype.forEach.call(document.querySelectorAll("button[data-retry]"), function (button) {
    button.addEventListener("click", function () {
      button.disabled = true;
      call("POST", "/api/staff/outbox/" + button.dataset.retry + "/retry")
        .then(function (body) { button.textContent = body.status === "sent" ? "Đã gửi" : "Đang gửi lại…"; })
        .catch(function (err) { button.textContent = err.message; button.disabled = false; });
    });
  });

  // ---------------------------------------------------------------- scan an appointment slip: open its dossier
  var slipScan = document.getElementById("slip-scan");
  if (slipScan) {
    var slipStatus = document.getElementById("slip-scan-status");
    slipScan.slip.addEventListener("change", function () {
      var file = slipScan.slip.files[0];
      if (!file) return;
      slipStatus.textContent = "Đang đọc phiếu hẹn…";
      fetch("/api/staff/dossiers/photo", { method: "POST", credentials: "same-origin",
        headers: { "Content-Type": file.type || "application/octet-stream", "X-CSRF-Token": csrf }, body: file })
        .then(function (res) {
          if (res.status === 401) { location.assign("/staff/login?next=" + encodeURIComponent(location.pathname)); }
          return res.json().then(function (data) { if (!res.ok) throw new Error(data.detail || "Lỗi"); return data; });
        })
        .then(function (data) { location.assign(data.page); })
        .catch(function (err) { slipStatus.textContent = err.message; slipScan.reset(); });
    });
  }
})();
