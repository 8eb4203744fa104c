// Editing a campaign (staff/campaign_form.html): the language switcher, the unsaved-changes
// warning, autosave with its "Saved" confirmation, and the milestone choices that follow the
// milestone keys as they are typed. Served from /static under `script-src 'self'` beside
// authoring.js (the live preview); no inline script. Without it the form still works: every
// checked language shows side by side and Save stores the campaign.
"use strict";

(function () {
  const form = document.getElementById("campaign-form");
  if (!form) {
    return;
  }

  // -- The language switcher: the default language beside the one being translated -------
  const switcher = form.querySelector(".lang-switcher");
  const choice = switcher && switcher.querySelector("select[data-translating]");
  const defaultLanguage = form.querySelector('select[name="default_language"]');
  let translating = "";

  function checkedLanguages() {
    return Array.from(form.querySelectorAll('input[name="languages"]:checked'), function (el) {
      return el.value;
    });
  }

  function placeLanguages() {
    if (!switcher || !choice) {
      return;
    }
    const langs = checkedLanguages();
    const main = defaultLanguage ? defaultLanguage.value : langs[0];
    const others = langs.filter(function (lang) {
      return lang !== main;
    });
    const wanted = choice.value || translating;
    choice.replaceChildren();
    others.forEach(function (lang) {
      const empty = emptyIn(lang);
      choice.append(new Option(empty ? lang + " (" + empty + " empty)" : lang, lang));
    });
    if (others.length > 1) {
      choice.append(new Option("all, side by side", "all"));
    }
    if (others.includes(wanted) || (wanted === "all" && others.length > 1)) {
      choice.value = wanted;
    } else {
      choice.value = others[0] || "";
    }
    translating = choice.value;
    switcher.hidden = others.length === 0;
    const twoUp = translating !== "" && translating !== "all";
    form.classList.toggle("two-up", twoUp);
    form.querySelectorAll(".langs .lang").forEach(function (label) {
      const lang = label.dataset.lang;
      label.classList.toggle("shown", lang === main || lang === translating);
      label.classList.toggle("default-lang", lang === main);
    });
  }

  // How many of a language's texts are still empty: what is left to translate. A Latin
  // text generated from the Cyrillic (shown as the placeholder) counts as written.
  function emptyIn(lang) {
    let n = 0;
    form.querySelectorAll(".lang-" + lang + " input, .lang-" + lang + " textarea").forEach(
      function (el) {
        if (el.value.trim() === "" && !el.placeholder) {
          n += 1;
        }
      }
    );
    return n;
  }

  if (choice) {
    choice.addEventListener("change", function () {
      translating = choice.value;
      placeLanguages();
    });
  }

  // -- Milestone keys become the choices of every milestone field --------------------------
  const KEY = /^milestones\.\d+\.key$/;

  function milestoneKeys() {
    const keys = [];
    form.querySelectorAll("input[name]").forEach(function (el) {
      const key = el.value.trim();
      if (KEY.test(el.name) && key && !keys.includes(key)) {
        keys.push(key);
      }
    });
    return keys;
  }

  function placeMilestones() {
    const keys = milestoneKeys();
    form.querySelectorAll("select[data-milestone-choice]").forEach(function (select) {
      const chosen = select.value;
      select.querySelectorAll('option:not([value=""])').forEach(function (option) {
        option.remove();
      });
      const offered = chosen && !keys.includes(chosen) ? [chosen].concat(keys) : keys;
      offered.forEach(function (key) {
        select.append(new Option(key, key));
      });
      select.value = chosen;
    });
  }

  // -- Unsaved changes, autosave and "Saved" -----------------------------------------------
  const status = form.querySelector(".save-status");
  const version = form.querySelector('input[name="version"]');
  const endpoint = form.dataset.autosave;
  const every = Number(form.dataset.autosaveEvery) || 8000;
  let dirty = false;
  let edits = 0; // edits made so far: one typed while an autosave is in flight stays unsaved
  let busy = false;
  let conflict = false; // someone else saved: stop autosaving, never overwrite theirs

  function say(text, kind) {
    if (status) {
      status.textContent = text;
      status.dataset.kind = kind;
    }
  }

  function edited(event) {
    const el = event.target;
    if (!el || !el.name || !form.contains(el)) {
      return; // the switcher and the preview's own controls change nothing to save
    }
    if (el.name === "languages" || el.name === "default_language" || el.closest(".langs")) {
      placeLanguages(); // the switcher's counts of empty texts follow the typing
    }
    if (KEY.test(el.name)) {
      placeMilestones();
    }
    dirty = true;
    edits += 1;
    if (!conflict) {
      say(endpoint ? "Unsaved changes (autosaving…)" : "Unsaved changes", "dirty");
    }
  }

  async function autosave() {
    if (!endpoint || !dirty || busy || conflict) {
      return;
    }
    busy = true;
    const at = edits;
    // The form as it stands, CSRF token and version included, urlencoded like a submit.
    const body = new URLSearchParams(new FormData(form));
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        body: body,
        credentials: "same-origin",
      });
      const type = response.headers.get("content-type") || "";
      if (!type.includes("json")) {
        // Signed out, or the form token no longer matches: the guard's own words.
        conflict = true;
        say("Not saved: " + (await response.text()).slice(0, 200), "error");
        return;
      }
      const data = await response.json();
      if (data.saved) {
        if (version && data.version) {
          version.value = data.version; // the next save (or Save) is checked against this one
        }
        if (edits === at) {
          dirty = false;
        }
        say(data.message, data.approval_dropped ? "withdrawn" : "saved");
      } else {
        conflict = response.status === 409;
        say(data.message || data.error || "Not saved.", "error");
      }
    } catch (error) {
      say("Not saved: the server did not answer; trying again shortly.", "error");
    } finally {
      busy = false;
    }
  }

  document.addEventListener("input", edited);
  document.addEventListener("change", edited);
  form.addEventListener("submit", function (event) {
    const opensTab = event.submitter && event.submitter.formTarget === "_blank";
    if (!opensTab) {
      dirty = false; // leaving through Save or Create is not losing changes
    }
  });
  // The browser's own "Leave site?" question (its text is the browser's: HTML's
  // beforeunload event no longer lets a page word it).
  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  if (endpoint) {
    window.setInterval(autosave, every);
  }
  placeLanguages();
  placeMilestones();
})();
