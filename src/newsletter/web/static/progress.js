// The send progress on a campaign's page (staff/campaign.html): while the campaign is
// sending, ask /staff/campaigns/<slug>/progress every few seconds and update the counts and
// the meter in place; stop once nothing is waiting. Served from /static under
// `script-src 'self'`: no inline script. Without it the page still shows the counts as of
// its loading.
"use strict";

(function () {
  const box = document.querySelector("[data-progress]");
  if (!box || box.dataset.state !== "sending") {
    return;
  }
  const url = box.dataset.progress;
  const EVERY_MS = 3000;

  function show(data) {
    const counts = data.counts || {};
    const waiting = (counts.pending || 0) + (counts.sending || 0);
    const values = {
      settled: data.settled,
      total: counts.total,
      sent: counts.sent,
      failed: counts.failed,
      unknown: counts.unknown,
      pending: waiting,
    };
    Object.keys(values).forEach(function (name) {
      const el = box.querySelector('[data-count="' + name + '"]');
      if (el && values[name] !== undefined) {
        el.textContent = String(values[name]);
      }
    });
    const meter = box.querySelector("meter");
    if (meter) {
      meter.max = counts.total || 0;
      meter.value = data.settled || 0;
    }
    box.dataset.state = data.state;
    const note = box.querySelector(".refresh");
    if (note && !data.sending) {
      note.textContent = "(finished: " + data.state + ")";
    }
  }

  async function poll() {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok) {
        const data = await response.json();
        show(data);
        if (!data.sending) {
          return; // done: no more requests
        }
      }
    } catch (error) {
      // the server restarting: try again at the next tick
    }
    window.setTimeout(poll, EVERY_MS);
  }
  window.setTimeout(poll, EVERY_MS);
})();
