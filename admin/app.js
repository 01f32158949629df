// The operator's page: no framework and no build step. It reads the admin API
// (docs/ADMIN.md), draws the chosen space's avatars on a canvas over the world file's floor
// plan, and sends operators' changes with the token they typed.
"use strict";

const ROLE_COLOURS = ["#4a4a4a", "#1565c0", "#2e7d32", "#ef6c00", "#c2185b"];
const HEAT_CELL_METRES = 3;
const HEAT_DECAY = 0.93; // per frame (4 a second): about half a minute of memory at 1 %
const page = {
  token: sessionStorage.getItem("seoulworld-token") || "",
  spaces: [],
  chosen: null,   // space id
  floor: 0,
  stream: null,
  frame: null,    // the latest decoded frame
  heat: null,     // Float32Array over the floor's cells
  heatCols: 0,
  heatRows: 0,
};

const $ = (id) => document.getElementById(id);

function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (page.token) h["Authorization"] = "Bearer " + page.token;
  return h;
}

async function getJSON(path) {
  const response = await fetch(path, { headers: headers(), cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || response.status + " " + response.statusText);
  return body;
}

function escapeText(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
}

function duration(seconds) {
  if (seconds < 90) return Math.round(seconds) + " s";
  if (seconds < 5400) return Math.round(seconds / 60) + " min";
  return (seconds / 3600).toFixed(1) + " h";
}

function seoulTime(millis) {
  return new Date(millis).toLocaleString("ko-KR", { timeZone: "Asia/Seoul", hour12: false });
}

// MARK: Status line and readiness

async function refreshStatus() {
  try {
    const o = await getJSON("api/overview");
    const ready = await fetch("readyz", { cache: "no-store" }).then((r) => r.json());
    const line = `v${o.version} · up ${duration(o.uptimeSeconds)} · ${o.clients} clients · ${o.avatars} avatars · ` +
      `tick p50 ${o.tick.p50Millis.toFixed(1)} ms, p99 ${o.tick.p99Millis.toFixed(1)} ms (budget ${o.tick.budgetMillis} ms) · ` +
      `${o.roomsOpen} rooms · ${o.chatMessages} chat (${o.chatFiltered} masked) · ${o.userReports} reports` +
      (ready.ready ? " · ready" : " · NOT READY: " + ready.problems.join("; "));
    $("status").textContent = (o.cluster ? `node ${o.cluster.node} · ` : "") + line;
    $("status").classList.toggle("bad", !ready.ready);
    renderCluster(o.cluster);
  } catch (e) {
    $("status").textContent = "cannot reach the server: " + e.message;
    $("status").classList.add("bad");
  }
}

// MARK: The nodes of a cluster (docs/CLUSTER.md); hidden on a server alone

function renderCluster(c) {
  $("cluster").hidden = !c;
  // Which node hosts each space, for the spaces' list (whose people are this node's own).
  page.hostOf = c ? {} : null;
  if (!c) return;
  for (const n of c.nodes) for (const s of n.spaces) page.hostOf[s] = { node: n.name, here: n.name === c.node };
  const rows = c.nodes.map((n) =>
    `<tr data-node="${escapeText(n.name)}" class="${n.live ? "" : "bad"}"><td>${escapeText(n.name)}${n.name === c.node ? " (this one)" : ""}</td>` +
    `<td>${escapeText(n.address || "–")}</td><td>${n.live ? "live" : "down or stopped"}</td><td class="num">${n.population}</td>` +
    `<td class="num">${n.spaces.length}</td></tr>`);
  if (!c.directoryReachable) rows.unshift(`<tr class="bad"><td colspan="5">this node cannot reach the directory: what follows is as last read</td></tr>`);
  $("nodes").tBodies[0].innerHTML = rows.join("") || `<tr><td colspan="5">the directory lists no nodes yet</td></tr>`;
}

// MARK: Spaces

async function refreshSpaces() {
  let spaces;
  try { spaces = await getJSON("api/spaces"); } catch (e) { return; }
  page.spaces = spaces;
  const body = $("spaces").tBodies[0];
  const rows = spaces.map((s) => {
    const share = s.capacity > 0 ? Math.min(100, (100 * s.population) / s.capacity) : 0;
    const host = page.hostOf && page.hostOf[s.id];
    const where = !page.hostOf || s.kind === "room" ? "" :
      (host ? (host.here ? `<div class="host">hosted here</div>` : `<div class="host" title="its people are counted on that node">on ${escapeText(host.node)}</div>`)
        : `<div class="host">hosted by no node just now</div>`);
    const name = (s.kind === "room" ? `room: ${escapeText(s.nameEn)}` : `${escapeText(s.nameEn)} <span class="ko">${escapeText(s.nameKo || "")}</span>`) + where;
    return `<tr data-space="${escapeText(s.id)}" data-population="${s.population}" class="${s.id === page.chosen ? "chosen" : ""}">` +
      `<td>${name}</td><td class="num">${s.population}</td><td class="num">${s.capacity}</td>` +
      `<td><div class="bar"><span style="width:${share.toFixed(1)}%"></span></div></td></tr>`;
  });
  body.innerHTML = rows.join("");
  if (!page.chosen || !spaces.some((s) => s.id === page.chosen)) {
    const wanted = new URLSearchParams(location.search).get("space");
    const first = spaces.find((s) => s.id === wanted) ||
      spaces.slice().sort((a, b) => b.population - a.population)[0];
    if (first) choose(first.id);
  }
}

$("spaces").addEventListener("click", (event) => {
  const row = event.target.closest("tr[data-space]");
  if (row) choose(row.dataset.space);
});

function chosenSpace() { return page.spaces.find((s) => s.id === page.chosen); }

function choose(id) {
  page.chosen = id;
  page.floor = 0;
  const space = chosenSpace();
  for (const row of $("spaces").tBodies[0].rows) row.classList.toggle("chosen", row.dataset.space === id);
  $("map-title").textContent = space ? `Map: ${space.nameEn}` : "Map";
  $("floor").innerHTML = (space ? space.floors : []).map((f) => `<option value="${f.index}">${escapeText(f.name)} (${f.level})</option>`).join("");
  layoutMap();
  openStream();
}

$("floor").addEventListener("change", () => {
  page.floor = Number($("floor").value);
  layoutMap();
});

// MARK: The live map

function layoutMap() {
  const space = chosenSpace();
  if (!space) return;
  const box = $("map-box");
  const aspect = space.heightMetres / Math.max(1, space.widthMetres);
  box.style.height = Math.min(window.innerHeight * 0.7, box.clientWidth * aspect) + "px";
  box.style.width = Math.min(box.parentElement.clientWidth, (window.innerHeight * 0.7) / Math.max(0.01, aspect)) + "px";
  $("map-image").src = `api/spaces/${encodeURIComponent(space.id)}/map.svg?floor=${page.floor}` + (page.token ? `&access_token=${encodeURIComponent(page.token)}` : "");
  const canvas = $("map");
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(box.clientWidth * ratio);
  canvas.height = Math.round(box.clientHeight * ratio);
  page.heatCols = Math.max(1, Math.ceil(space.widthMetres / HEAT_CELL_METRES));
  page.heatRows = Math.max(1, Math.ceil(space.heightMetres / HEAT_CELL_METRES));
  page.heat = new Float32Array(page.heatCols * page.heatRows);
  draw();
}

window.addEventListener("resize", layoutMap);

function openStream() {
  if (page.stream) page.stream.close();
  page.frame = null;
  const url = `api/spaces/${encodeURIComponent(page.chosen)}/stream` + (page.token ? `?access_token=${encodeURIComponent(page.token)}` : "");
  const stream = new EventSource(url);
  stream.addEventListener("frame", (event) => {
    const message = JSON.parse(event.data);
    page.frame = decodeFrame(message.positions, message.sequence);
    accumulateHeat();
    draw();
  });
  stream.addEventListener("gone", () => { page.chosen = null; refreshSpaces(); });
  page.stream = stream;
}

// The frame of docs/ADMIN.md: a 20-byte header, then 6 bytes per avatar.
function decodeFrame(base64, sequence) {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  if (bytes.length < 20 || view.getUint8(0) !== 1) return null;
  const n = view.getUint32(8, true);
  if (bytes.length !== 20 + n * 6) return null;
  const minX = view.getInt32(12, true) / 100, minY = view.getInt32(16, true) / 100;
  const x = new Float32Array(n), y = new Float32Array(n), floor = new Uint8Array(n), role = new Uint8Array(n);
  for (let i = 0, at = 20; i < n; i++, at += 6) {
    x[i] = minX + view.getUint16(at, true) / 10;
    y[i] = minY + view.getUint16(at + 2, true) / 10;
    floor[i] = bytes[at + 4];
    role[i] = bytes[at + 5];
  }
  return { sequence, n, x, y, floor, role };
}

function accumulateHeat() {
  const f = page.frame, heat = page.heat;
  if (!f || !heat) return;
  for (let i = 0; i < heat.length; i++) heat[i] *= HEAT_DECAY;
  for (let i = 0; i < f.n; i++) {
    if (f.floor[i] !== page.floor) continue;
    const c = Math.min(page.heatCols - 1, Math.max(0, Math.floor(f.x[i] / HEAT_CELL_METRES)));
    const r = Math.min(page.heatRows - 1, Math.max(0, Math.floor(f.y[i] / HEAT_CELL_METRES)));
    heat[r * page.heatCols + c] += 1;
  }
}

function draw() {
  const started = performance.now();
  const canvas = $("map"), space = chosenSpace(), f = page.frame;
  const g = canvas.getContext("2d");
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (!space) return;
  const sx = canvas.width / space.widthMetres, sy = canvas.height / space.heightMetres;
  if ($("heat").checked && page.heat) drawHeat(g, canvas);
  let drawn = 0;
  if (f) {
    const size = Math.max(4, Math.min(9, 0.6 * sx)); // an avatar is about 0.6 m across; at least 4 px to be seen
    // One path per role colour: 5,000 dots are five fills, not 5,000.
    for (let role = 0; role < ROLE_COLOURS.length; role++) {
      g.beginPath();
      for (let i = 0; i < f.n; i++) {
        if (f.floor[i] !== page.floor || f.role[i] !== role) continue;
        g.rect(f.x[i] * sx - size / 2, canvas.height - f.y[i] * sy - size / 2, size, size);
        drawn++;
      }
      g.fillStyle = ROLE_COLOURS[role];
      g.fill();
      g.lineWidth = 0.75;
      g.strokeStyle = "rgba(255, 255, 255, 0.8)";
      g.stroke();
    }
  }
  canvas.dataset.drawn = String(drawn);
  canvas.dataset.avatars = String(f ? f.n : 0);
  canvas.dataset.sequence = String(f ? f.sequence : 0);
  // How long drawing took, for the browser test's look at a crowd of 5,000.
  canvas.dataset.drawMillis = (performance.now() - started).toFixed(1);
  const onOtherFloors = f ? f.n - drawn : 0;
  $("map-count").textContent = f ? `${drawn} on this floor` + (onOtherFloors ? `, ${onOtherFloors} on others` : "") : "";
}

// The heat layer: one pixel per cell on a small canvas (north up), scaled up smoothly.
function drawHeat(g, canvas) {
  let peak = 0;
  for (const v of page.heat) peak = Math.max(peak, v);
  if (peak <= 0) return;
  const cols = page.heatCols, rows = page.heatRows;
  if (!page.heatCanvas || page.heatCanvas.width !== cols || page.heatCanvas.height !== rows) {
    page.heatCanvas = document.createElement("canvas");
    page.heatCanvas.width = cols;
    page.heatCanvas.height = rows;
  }
  const hg = page.heatCanvas.getContext("2d");
  const image = hg.createImageData(cols, rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = Math.sqrt(page.heat[r * cols + c] / peak); // square root: a few people still show
      const at = ((rows - 1 - r) * cols + c) * 4;
      image.data[at] = 230;
      image.data[at + 1] = Math.round(200 * (1 - v));
      image.data[at + 2] = 40;
      image.data[at + 3] = v < 0.05 ? 0 : Math.round(40 + 150 * v);
    }
  }
  hg.putImageData(image, 0, 0);
  g.save();
  g.imageSmoothingEnabled = true;
  g.drawImage(page.heatCanvas, 0, 0, canvas.width, canvas.height);
  g.restore();
}

$("heat").addEventListener("change", draw);

// MARK: Tick chart

async function refreshTicks() {
  let t;
  try { t = await getJSON("api/ticks"); } catch (e) { return; }
  const canvas = $("ticks"), g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 34;
  g.clearRect(0, 0, w, h);
  const seconds = t.seconds;
  const top = Math.max(t.summary.budgetMillis * 1.2, ...seconds.map((s) => s.maxMillis));
  const y = (ms) => h - 18 - (ms / top) * (h - 28);
  g.font = "11px sans-serif";
  g.fillStyle = "#444";
  g.strokeStyle = "#e4e0d6";
  for (const ms of [0, top / 2, top]) {
    g.fillText(ms.toFixed(0) + " ms", 2, y(ms) + 4);
    g.beginPath(); g.moveTo(pad, y(ms)); g.lineTo(w, y(ms)); g.stroke();
  }
  const now = Math.floor(Date.now() / 1000);
  const x = (second) => pad + ((second - (now - 600)) / 600) * (w - pad);
  g.fillText("10 min ago", pad, h - 4);
  g.fillText("now", w - 24, h - 4);
  g.setLineDash([4, 3]); g.strokeStyle = "#999";
  g.beginPath(); g.moveTo(pad, y(t.summary.budgetMillis)); g.lineTo(w, y(t.summary.budgetMillis)); g.stroke();
  g.setLineDash([]);
  for (const [key, colour] of [["meanMillis", "#457b9d"], ["maxMillis", "#d62828"]]) {
    g.strokeStyle = colour;
    g.beginPath();
    seconds.forEach((s, i) => (i === 0 ? g.moveTo(x(s.second), y(s[key])) : g.lineTo(x(s.second), y(s[key]))));
    g.stroke();
  }
}

// MARK: Who is online (the whole city's on a node of a cluster; docs/ADMIN.md /api/people)

async function refreshPeople() {
  let answer;
  try { answer = await getJSON("api/people"); } catch (e) { return; }
  const roles = { staff: 0, member: 0, guest: 0 };
  for (const p of answer.people) roles[p.role] = (roles[p.role] || 0) + 1;
  const nodes = new Set(answer.people.map((p) => p.node)).size;
  $("people-summary").textContent = `${answer.count} online: ${roles.staff} staff, ${roles.member} members, ${roles.guest} guests` +
    (nodes > 1 ? ` on ${nodes} nodes` : "") + (answer.complete ? "" : ` (this node's people only: ${answer.error})`);
  // Staff first, then members, then guests; the longest online first; at most 100 rows.
  // The node column only on a node of a cluster.
  $("people").classList.toggle("alone", answer.people.every((p) => !p.node));
  const order = { staff: 0, member: 1, guest: 2 };
  const shown = answer.people.slice().sort((a, b) => order[a.role] - order[b.role] || a.since.localeCompare(b.since)).slice(0, 100);
  $("people").tBodies[0].innerHTML = shown.map((p) =>
    `<tr data-role="${p.role}"><td>${p.name ? escapeText(p.name) : "<i>a guest</i>"}` +
    `${p.account ? ` <span class="account">${escapeText(p.account)}</span>` : ""}</td><td>${p.role}</td>` +
    `<td>${p.space ? escapeText(p.space) : "–"}</td><td>${escapeText(p.node)}</td><td>${escapeText(p.since.slice(11, 16))}</td></tr>`).join("") ||
    `<tr><td colspan="5">nobody is online</td></tr>`;
}

// MARK: Desks and reports

async function refreshDesks() {
  let desks;
  try { desks = await getJSON("api/desks"); } catch (e) { return; }
  $("desks").tBodies[0].innerHTML = desks.map((d) =>
    `<tr data-desk="${escapeText(d.id)}" data-waiting="${d.waiting}"><td>${escapeText(d.name)}</td><td>${d.open ? "open" : "closed"}</td>` +
    `<td class="num">${d.serving}</td><td class="num">${d.waiting}</td><td class="num">${d.waiting ? duration(d.longestWaitSeconds) : "–"}</td></tr>`).join("") ||
    `<tr><td colspan="5">no desks are served</td></tr>`;
}

async function refreshReports() {
  let reports;
  try { reports = await getJSON("api/reports"); } catch (e) {
    $("reports").innerHTML = `<li>${escapeText(e.message)}</li>`;
    return;
  }
  $("reports").innerHTML = reports.map((r) =>
    `<li data-report="${r.id}"><b>#${r.id}</b> ${escapeText(r.reason)}: ${escapeText(r.reportedName)}` +
    (r.reportedAccount ? ` (${escapeText(r.reportedAccount)})` : "") +
    ` <span class="when">${seoulTime(r.createdAtMillis)}${r.space ? " · " + escapeText(r.space) : ""}</span>` +
    (r.description ? `<br>${escapeText(r.description)}` : "") +
    `<button type="button" data-resolve="${r.id}">Resolve</button></li>`).join("") || "<li>no open reports</li>";
}

$("reports").addEventListener("click", async (event) => {
  const id = event.target.dataset.resolve;
  if (!id) return;
  const resolution = prompt(`How was report #${id} resolved? (kept in the audit trail)`);
  if (resolution) await send(`api/reports/${id}/resolve`, { resolution });
  refreshReports();
});

// MARK: The notice board

const CATEGORY_NAMES = { "event": "event", "service-update": "service update", "maintenance": "maintenance", "safety": "safety" };

async function refreshBoard() {
  let notices;
  try { notices = await getJSON("api/notices"); } catch (e) {
    $("board").innerHTML = `<li>${escapeText(e.message)}</li>`;
    return;
  }
  // Every text from the board is escaped: an editor's words are shown, never run.
  $("board").innerHTML = notices.map((n) => {
    const title = [n.titleKo, n.titleEn].filter(Boolean).map(escapeText).join(" · ");
    const body = [n.bodyKo, n.bodyEn].filter(Boolean).map(escapeText).join("<br>");
    const where = n.spaces.length ? n.spaces.map(escapeText).join(", ") : "the whole city";
    return `<li data-notice="${n.id}" data-state="${escapeText(n.state)}"><b>#${n.id}</b> ${n.pinned ? "📌 " : ""}${title}` +
      ` <span class="when">${escapeText(CATEGORY_NAMES[n.category] || n.category)} · ${escapeText(n.state)} · ${escapeText(n.startsAt.slice(0, 16).replace("T", " "))}` +
      ` to ${escapeText(n.endsAt.slice(0, 16).replace("T", " "))} · ${where} · by ${escapeText(n.author)}` +
      (n.withdrawnBy ? ` · withdrawn by ${escapeText(n.withdrawnBy)}` : "") + `</span><br>${body}` +
      (n.state === "withdrawn" ? "" : `<button type="button" data-withdraw="${n.id}">Withdraw</button>`) + `</li>`;
  }).join("") || "<li>the board is empty</li>";
}

$("board").addEventListener("click", async (event) => {
  const id = event.target.dataset.withdraw;
  if (!id || !confirm(`Withdraw notice #${id}? It leaves the board for good (the record keeps it).`)) return;
  await send(`api/notices/${id}/withdraw`, {});
  refreshBoard();
});

$("board-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  // The picker's time is Seoul's; the API wants it with its offset.
  const local = $("board-starts").value;
  const starts = local ? new Date(local + ":00+09:00") : new Date();
  const ends = new Date(starts.getTime() + Number($("board-hours").value) * 3600000);
  const spaces = $("board-spaces").value.split(",").map((s) => s.trim()).filter(Boolean);
  const body = { category: $("board-category").value, endsAt: ends.toISOString(), spaces, pinned: $("board-pinned").checked };
  if (local) body.startsAt = starts.toISOString();
  for (const [key, id] of [["titleKo", "board-title-ko"], ["titleEn", "board-title-en"], ["bodyKo", "board-body-ko"], ["bodyEn", "board-body-en"]]) {
    if ($(id).value.trim()) body[key] = $(id).value;
  }
  await send("api/notices", body);
  refreshBoard();
});

// MARK: The suggestion box

async function refreshSuggestions() {
  let queue;
  try { queue = await getJSON("api/suggestions?scope=queue"); } catch (e) {
    $("suggestions").innerHTML = `<li>${escapeText(e.message)}</li>`;
    return;
  }
  // A citizen's words, escaped like every other text from the server.
  $("suggestions").innerHTML = queue.map((s) =>
    `<li data-suggestion="${escapeText(s.trackingNumber)}" data-state="${escapeText(s.state)}"><b>${escapeText(s.trackingNumber)}</b> ${escapeText(s.title)}` +
    ` <span class="when">${escapeText(s.state)}${s.handler ? " (" + escapeText(s.handler) + ")" : ""} · ${escapeText(s.category)}` +
    `${s.space ? " · " + escapeText(s.space) : ""} · ${escapeText(s.filedAt.slice(0, 16).replace("T", " "))} · ${escapeText(s.account)}</span>` +
    `<br>${escapeText(s.body)}<button type="button" data-reply="${escapeText(s.trackingNumber)}">Reply</button></li>`).join("") ||
    "<li>no suggestions wait for an answer</li>";
}

async function refreshSuggestionFigures() {
  let report;
  try { report = await getJSON("api/stats?days=366&period=month"); } catch (e) { return; }
  // This month in Seoul ("2026-12"), as the report names its periods.
  const thisMonth = new Date().toLocaleString("sv-SE", { timeZone: "Asia/Seoul" }).slice(0, 7);
  const month = (service) => report.services.find((r) => r.service === service && r.period.startsWith(thisMonth));
  const filed = month("suggestion-filed"), answered = month("suggestion-answered");
  const days = answered && answered.medianDurationSeconds != null ? (answered.medianDurationSeconds / 86400).toFixed(1) + " days" : "–";
  $("suggestion-figures").textContent = `This month: ${filed ? filed.events : 0} filed, ${answered ? answered.events : 0} answered, ` +
    `median time to answer ${days} (from the store; seoulworld stats --period month for every month).`;
}

$("suggestions").addEventListener("click", (event) => {
  const number = event.target.dataset.reply;
  if (!number) return;
  $("suggestion-number").value = number;
  $("suggestion-text").focus();
});

$("suggestion-form").addEventListener("click", async (event) => {
  const action = event.target.dataset.suggestion;
  if (!action) return;
  const number = $("suggestion-number").value.trim();
  if (!number) return $("suggestion-form").reportValidity();
  await send(`api/suggestions/${encodeURIComponent(number)}/${action}`, { text: $("suggestion-text").value });
  refreshSuggestions();
});

// MARK: Acting

$("token").value = page.token;
$("token").addEventListener("change", () => {
  page.token = $("token").value.trim();
  sessionStorage.setItem("seoulworld-token", page.token);
  if (page.chosen) { layoutMap(); openStream(); }
});

async function send(path, body) {
  const result = $("action-result");
  result.textContent = "sending…";
  result.className = "result";
  try {
    const response = await fetch(path, { method: "POST", headers: headers({ "Content-Type": "application/json" }), body: JSON.stringify(body) });
    const answer = await response.json().catch(() => ({}));
    const message = answer.message || answer.error || response.statusText;
    result.textContent = response.ok ? message : `refused (${response.status}): ${message}`;
    result.className = "result " + (response.ok ? "done" : "refused");
    result.dataset.status = String(response.status);
  } catch (e) {
    result.textContent = "could not reach the server: " + e.message;
    result.className = "result refused";
    result.dataset.status = "0";
  }
}

$("notice-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const everywhere = $("notice-everywhere").checked;
  send("api/notice", { text: $("notice-text").value, space: everywhere ? null : page.chosen });
});

$("person-form").addEventListener("click", (event) => {
  const action = event.target.dataset.action;
  if (!action) return;
  const form = $("person-form");
  if (!form.reportValidity()) return;
  const seconds = Number($("person-duration").value);
  if (action === "ban" && !confirm(`Ban ${$("person-account").value} ${seconds ? "for " + duration(seconds) : "for good"}?`)) return;
  send("api/" + action, { account: $("person-account").value.trim(), reason: $("person-reason").value, seconds: action === "mute" && seconds === 0 ? 86400 : seconds });
});

// MARK: Usage statistics

async function refreshStats() {
  let report;
  try { report = await getJSON("api/stats?days=30"); } catch (e) {
    $("stats-note").textContent = "usage statistics: " + e.message;
    return;
  }
  const all = report.spaces.filter((r) => r.space === "(all)");
  barChart($("visits"), all.map((r) => r.period.slice(5)), all.map((r) => r.visits), "visits a day, every space");
  const hours = new Array(24).fill(0);
  for (const values of Object.values(report.presenceByHour)) values.forEach((v, i) => (hours[i] += v));
  barChart($("presence"), hours.map((_, i) => String(i)), hours, "average people present by hour of day (KST)");
  $("stats-note").textContent = `From the store, ${report.from} to ${report.to} (${report.timeZone}).`;
}

function barChart(canvas, labels, values, title) {
  const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  g.clearRect(0, 0, w, h);
  g.font = "12px sans-serif";
  g.fillStyle = "#222";
  g.fillText(title, 6, 14);
  const top = Math.max(1, ...values);
  const bw = (w - 40) / Math.max(1, values.length);
  values.forEach((v, i) => {
    const bh = (v / top) * (h - 44);
    g.fillStyle = "#457b9d";
    g.fillRect(34 + i * bw + 1, h - 22 - bh, Math.max(1, bw - 2), bh);
    if (values.length <= 31 && (values.length <= 24 || i % 3 === 0)) {
      g.fillStyle = "#555";
      g.font = "10px sans-serif";
      g.fillText(labels[i], 34 + i * bw, h - 8);
    }
  });
  g.fillStyle = "#555";
  g.fillText(String(Math.round(top * 10) / 10), 2, 30);
}

// MARK: Start

function every(millis, body) { body(); setInterval(body, millis); }
every(1000, refreshStatus);
every(1000, refreshSpaces);
every(2000, refreshTicks);
every(2000, refreshDesks);
every(5000, refreshPeople);
every(5000, refreshReports);
every(5000, refreshBoard);
every(5000, refreshSuggestions);
every(60000, refreshSuggestionFigures);
every(300000, refreshStats);
