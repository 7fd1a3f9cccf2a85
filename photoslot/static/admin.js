// PhotoSlot admin UI: the few behaviours htmx does not cover. No inline scripts.
"use strict";

(function () {
  function say(text) {
    const flash = document.getElementById("flash");
    if (!flash) return;
    flash.innerHTML = "";
    const p = document.createElement("p");
    p.className = "notice bad";
    p.textContent = text;
    flash.appendChild(p);
  }

  // 5xx answers are not swapped (base.html's htmx config); say what happened instead.
  document.addEventListener("htmx:responseError", function (event) {
    const status = event.detail.xhr.status;
    say("Ошибка сервера (" + status + "). Повторите через минуту.");
  });
  document.addEventListener("htmx:sendError", function () {
    say("Нет связи с сервером. Проверьте сеть — страница повторит попытку сама.");
    document.getElementById("flash").dataset.network = "down";
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    // A successful poll after a network blip clears the stale message.
    const flash = document.getElementById("flash");
    if (event.detail.successful && flash && flash.dataset.network === "down") {
      flash.innerHTML = "";
      delete flash.dataset.network;
    }
  });

  // The #flash message: a click dismisses it; a success fades after a few seconds.
  document.addEventListener("click", function (event) {
    const flash = event.target.closest("#flash");
    if (flash) flash.innerHTML = "";
  });
  document.addEventListener("htmx:afterSettle", function () {
    const ok = document.querySelector("#flash .notice.ok");
    if (ok) setTimeout(function () { if (ok.isConnected) ok.remove(); }, 6000);
  });

  // Copy buttons: data-copy="#selector" of an input or a <pre>.
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    const text = source.value !== undefined ? source.value : source.textContent;
    const done = function () {
      const label = button.textContent;
      button.textContent = "Скопировано ✓";
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(source, done); });
    } else {
      fallbackCopy(source, done);
    }
  });

  // Plain http (a venue's LAN) has no Clipboard API: select the text and use execCommand.
  function fallbackCopy(source, done) {
    if (source.select) {
      source.select();
    } else {
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    try {
      if (document.execCommand("copy")) done();
    } catch (ignored) {
      // The text stays selected for a manual copy.
    }
  }

  // Drag and drop onto forms marked data-dropzone: the dropped file fills the form's file input
  // and the form is submitted (through htmx when it is loaded).
  function dropTarget(event) {
    return event.target.closest && event.target.closest("[data-dropzone]");
  }
  ["dragenter", "dragover"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      const zone = dropTarget(event);
      if (!zone) return;
      event.preventDefault();
      zone.classList.add("dragover");
    });
  });
  document.addEventListener("dragleave", function (event) {
    const zone = dropTarget(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("dragover");
  });
  document.addEventListener("drop", function (event) {
    const zone = dropTarget(event);
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dragover");
    const input = zone.querySelector("input[type=file]");
    if (!input || !event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    zone.requestSubmit();
  });
})();
