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
  // Settings: "Сгенерировать" fills both password fields with a strong random password and shows
  // it once (it is not kept anywhere else); the hint under the field rates what is typed.
  const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";  // no 0/O, 1/l/I
  function randomPassword(length) {
    const values = new Uint32Array(length);
    window.crypto.getRandomValues(values);
    let text = "";
    values.forEach(function (value) { text += ALPHABET[value % ALPHABET.length]; });
    return text;
  }
  function rateStrength(hint, password) {
    const minimum = parseInt(hint.dataset.min, 10);
    const kinds = [/[a-zа-яё]/, /[A-ZА-ЯЁ]/, /[0-9]/, /[^A-Za-zА-Яа-яЁё0-9]/]
      .filter(function (re) { return re.test(password); }).length;
    if (!password) return hint.dataset.rule;
    if (password.length < minimum) return "Слишком короткий: нужно не меньше " + minimum + " символов.";
    if (password.length >= 16 && kinds >= 3) return "Надёжность: хорошая.";
    if (password.length >= 12 && kinds >= 2) return "Надёжность: средняя — длиннее или с цифрами и заглавными будет лучше.";
    return "Надёжность: слабая — такой пароль легко подобрать; нажмите «Сгенерировать».";
  }
  function setUpPasswordForm(root) {
    root.querySelectorAll("[data-generate-password]").forEach(function (button) {
      button.hidden = false;
    });
    const hint = root.querySelector("#password-strength");
    if (hint && !hint.dataset.rule) hint.dataset.rule = hint.textContent;
  }
  document.addEventListener("DOMContentLoaded", function () { setUpPasswordForm(document); });
  document.addEventListener("htmx:afterSettle", function () { setUpPasswordForm(document); });
  document.addEventListener("input", function (event) {
    if (event.target.id !== "ingest-password-new") return;
    const hint = document.getElementById("password-strength");
    if (hint) hint.textContent = rateStrength(hint, event.target.value);
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-generate-password]");
    if (!button) return;
    const form = button.closest("form");
    const password = randomPassword(20);
    form.querySelector("#ingest-password-new").value = password;
    form.querySelector("#ingest-password-confirm").value = password;
    form.querySelector("#generated-password").textContent = password;
    form.querySelector("#generated").hidden = false;
    form.querySelectorAll(".field-error").forEach(function (error) { error.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
    });
    const hint = document.getElementById("password-strength");
    if (hint) hint.textContent = rateStrength(hint, password);
  });
})();
