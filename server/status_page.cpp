#include "status_page.hpp"

namespace closenotify::server {

const std::string_view status_page_html = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>closenotify</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 46em; color: #222; }
  h1 { font-size: 1.4em; margin-bottom: 0.2em; }
  .muted { color: #777; }
  .grid { display: grid; grid-template-columns: repeat(3, 1fr); gap: 0.8em; margin: 1em 0; }
  .card { border: 1px solid #ddd; border-radius: 6px; padding: 0.6em 0.8em; }
  .card b { display: block; font-size: 1.6em; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 0.25em 0.5em; border-bottom: 1px solid #eee; }
  td.n { text-align: right; font-variant-numeric: tabular-nums; }
  input { font: inherit; padding: 0.3em; width: 70%; }
  button { font: inherit; padding: 0.3em 0.8em; }
  #echo-reply { font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<h1>closenotify</h1>
<div class="muted">live over <code>wss://</code> from this server &middot; <span id="status-state">connecting</span> &middot; <span id="updates">0</span> updates</div>
<div class="grid">
  <div class="card">active connections<b id="active">&ndash;</b></div>
  <div class="card">accepted<b id="accepted">&ndash;</b></div>
  <div class="card">handshake failures<b id="handshake-failures">&ndash;</b></div>
</div>
<h2>Closes by reason</h2>
<table id="closes"><tbody><tr><td class="muted">waiting for the first update</td></tr></tbody></table>
<h2>Echo</h2>
<p><input id="echo-input" value="hello over wss" aria-label="message"> <button id="echo-send">send</button>
<span id="echo-state" class="muted">connecting</span></p>
<p>reply: <span id="echo-reply"></span></p>
<script>
"use strict";
const base = "wss://" + location.host;
const $ = (id) => document.getElementById(id);
let updates = 0;

function showCounters(c) {
  $("active").textContent = c.active;
  $("accepted").textContent = c.accepted;
  $("handshake-failures").textContent = c.handshake_failures ?? 0;
  const rows = Object.entries(c.closed || {}).sort((a, b) => b[1] - a[1]);
  const body = document.createElement("tbody");
  for (const [reason, n] of rows) {
    const tr = body.insertRow();
    tr.insertCell().textContent = reason;
    const td = tr.insertCell();
    td.className = "n";
    td.textContent = n;
  }
  if (rows.length === 0) body.insertRow().insertCell().textContent = "none yet";
  $("closes").replaceChildren(body);
  $("updates").textContent = ++updates;
}

function openStatus() {
  const ws = new WebSocket(base + "/ws/status");
  let timer;
  ws.onopen = () => {
    $("status-state").textContent = "open";
    ws.send("counters");
    timer = setInterval(() => ws.send("counters"), 1000);
  };
  ws.onmessage = (e) => showCounters(JSON.parse(e.data));
  ws.onclose = (e) => {
    clearInterval(timer);
    $("status-state").textContent = "closed (" + e.code + (e.reason ? " " + e.reason : "") + "), reconnecting";
    setTimeout(openStatus, 2000);
  };
}

function openEcho() {
  const ws = new WebSocket(base + "/ws");
  ws.onopen = () => { $("echo-state").textContent = "open"; };
  ws.onmessage = (e) => { $("echo-reply").textContent = e.data; };
  ws.onclose = (e) => {
    $("echo-state").textContent = "closed (" + e.code + (e.reason ? " " + e.reason : "") + ")";
    setTimeout(openEcho, 2000);
  };
  $("echo-send").onclick = () => { if (ws.readyState === WebSocket.OPEN) ws.send($("echo-input").value); };
}

openStatus();
openEcho();
</script>
</body>
</html>
)html";

}  // namespace closenotify::server
