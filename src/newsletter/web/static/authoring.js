// The campaign form's live preview and "add a row" buttons (staff/campaign_form.html).
// Served from /static under `script-src 'self'`: no inline script, no build step, no CDN.
// Without it the form still works: save shows problems beside fields, and the
// "Preview in a new tab" button posts the same form to the same preview endpoint.
"use strict";

(function () {
  const form = document.getElementById("campaign-form");
  const target = document.getElementById("live-preview");
  if (!form || !target) {
    return;
  }
  const endpoint = form.dataset.livePreview;
  const DEBOUNCE_MS = 400;
  let timer = null;
  let sent = 0;
  let busy = false; // one preview in flight per page: the server renders every language
  let again = false;

  function ours(element) {
    return element && (element.form === form || form.contains(element));
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DEBOUNCE_MS);
  }

  async function refresh() {
    if (busy) {
      again = true; // typed while the last one renders: ask once more when it is back
      return;
    }
    busy = true;
    const mine = ++sent;
    // The form as it stands, CSRF token included, urlencoded like a normal submit.
    const body = new URLSearchParams(new FormData(form));
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        body: body,
        credentials: "same-origin",
      });
      const html = await response.text();
      if (mine === sent) {
        apply(html, response.ok);
      }
    } catch (error) {
      // offline for a moment: the next keystroke tries again
    } finally {
      busy = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  function apply(html, ok) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const fresh = doc.querySelector(".live-result");
    if (!ok || !fresh) {
      target.textContent = html.slice(0, 300);
      return;
    }
    const old = target.querySelector(".frames");
    if (!fresh.querySelector(".frames") && old) {
      old.classList.add("stale"); // keep showing the last email that rendered
      fresh.append(old);
    }
    placeProblems(fresh);
    placeLatin(fresh);
    placeKeys(fresh);
    target.replaceChildren(document.adoptNode(fresh));
  }

  // A new, empty form is not covered in "Field required" before anyone typed: a field's
  // problem shows beside it once it (or one of its language inputs) was edited. A stored
  // campaign's problems show at once: they are what it still lacks.
  const slug = form.querySelector("input[name=slug]");
  let everyField = !slug || slug.value !== "";
  const touched = new Set();

  function shown(name) {
    if (everyField || touched.has(name)) {
      return true;
    }
    return Array.from(touched).some(function (t) {
      return t.startsWith(name + ".");
    });
  }

  function wasEdited(name) {
    return touched.has(name) || Array.from(touched).some(function (t) {
      return t.startsWith(name + ".");
    });
  }

  // What the server said when the form was last saved (a slug that already exists, a
  // version saved by someone else) stays beside its field until that field is edited: the
  // live preview cannot know it, so its silence must not wipe it out.
  function placeProblems(fresh) {
    const byField = new Map();
    fresh.querySelectorAll(".field-problems li").forEach(function (li) {
      byField.set(li.dataset.field, li.textContent);
    });
    let standing = form.querySelectorAll("ul.errors li").length;
    form.querySelectorAll("[data-error-for]").forEach(function (span) {
      const name = span.dataset.errorFor;
      const live = shown(name) ? byField.get(name) || "" : "";
      const server = span.dataset.server && !wasEdited(name) ? span.dataset.server : "";
      if (server) {
        standing += 1;
      }
      span.textContent = [server, live !== server ? live : ""].filter(Boolean).join("; ");
    });
    const ok = fresh.querySelector(".live-problems .ok");
    if (ok && standing) {
      ok.className = "error";
      ok.textContent = "The last save was refused: see the messages on the form.";
    }
  }

  function placeLatin(fresh) {
    const latin = new Map();
    fresh.querySelectorAll(".latin li").forEach(function (li) {
      latin.set(li.dataset.field, li.textContent);
    });
    form.querySelectorAll(".lang-sr-Latn input, .lang-sr-Latn textarea").forEach(function (el) {
      el.placeholder = latin.get(el.name) || "";
    });
  }

  // The reminder keys typed so far become the preview's step choices (the milestone keys
  // become the choices of every milestone field in editing.js, as they are typed).
  function placeKeys(fresh) {
    const steps = Array.from(fresh.querySelectorAll(".steps li"), function (li) {
      return li.textContent;
    });
    const select = document.querySelector('select[name="preview_step"]');
    if (select) {
      const chosen = select.value;
      select.querySelectorAll('option:not([value="main"])').forEach(function (option) {
        option.remove();
      });
      steps.forEach(function (key) {
        const option = document.createElement("option");
        option.value = key;
        option.textContent = "reminder " + key;
        select.append(option);
      });
      select.value = steps.includes(chosen) ? chosen : "main";
    }
  }

  // "Add a row": copy the list's last row under the next number, empty.
  function addRow(button) {
    const list = button.dataset.addItem;
    const rows = Array.from(form.querySelectorAll("fieldset.item")).filter(function (row) {
      return (row.dataset.item || "").replace(/\.\d+$/, "") === list;
    });
    const last = rows[rows.length - 1];
    if (!last) {
      return;
    }
    const from = last.dataset.item + ".";
    const index = Number(last.dataset.item.slice(list.length + 1)) + 1;
    const to = list + "." + index + ".";
    const copy = last.cloneNode(true);
    copy.dataset.item = list + "." + index;
    copy.querySelectorAll("[name]").forEach(function (el) {
      if (el.name.startsWith(from)) {
        el.name = to + el.name.slice(from.length);
      }
      if (el.type === "checkbox") {
        el.checked = false;
      } else {
        el.value = "";
      }
    });
    copy.querySelectorAll("[data-error-for]").forEach(function (el) {
      el.textContent = "";
      if (el.dataset.errorFor.startsWith(from)) {
        el.dataset.errorFor = to + el.dataset.errorFor.slice(from.length);
      }
    });
    const legend = copy.querySelector("legend");
    if (legend) {
      legend.textContent = legend.textContent.replace(/\d+$/, String(index + 1));
    }
    last.after(copy);
  }

  form.querySelectorAll("button[data-add-item]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      addRow(button);
    });
  });

  function edited(event) {
    if (ours(event.target)) {
      if (event.target.name) {
        touched.add(event.target.name);
      }
      schedule();
    }
  }
  document.addEventListener("input", edited);
  document.addEventListener("change", edited);
  // Trying to create the campaign shows every problem (the server shows them too).
  form.addEventListener("submit", function () {
    everyField = true;
  });
  // Enter in the preview's own controls previews; it must not create the campaign.
  document.querySelectorAll("[form='campaign-form']").forEach(function (el) {
    el.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        refresh();
      }
    });
  });
  refresh();
})();
